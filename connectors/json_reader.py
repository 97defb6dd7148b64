"""Read JSON deliveries: an array of objects, or one object per line (JSON Lines).

JSON Lines are read line by line and gathered in blocks, like CSV, so a large file never holds
all its rows as Python objects at once. Columns are the union of the keys of all objects, in the
order they are first seen; an object without a key has no value there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import polars as pl

from connectors.csv_reader import ROWS_PER_BLOCK, decode
from connectors.table import READ_PROBLEM, SourceTable, build_table, check_header
from vroeg.errors import DeliveryUnreadable
from vroeg.schema import SOURCE_ROW


def _scalar_text(value: object) -> tuple[str | None, bool]:
    """A JSON value as cell text, and whether it was a scalar (objects and arrays are not)."""
    if value is None:
        return None, True
    if isinstance(value, bool):
        return ("ja" if value else "nee"), True
    if isinstance(value, (int, float, str)):
        return str(value), True
    return None, False


def _lines(text: str) -> Iterator[tuple[int, object]]:
    # Only \n ends a JSON Lines record; str.splitlines would also split on U+2028 and other
    # characters JSON allows inside strings.
    start, number = 0, 0
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        number += 1
        line = text[start:end].removesuffix("\r")
        start = end + 1
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            yield number, None  # counted, quarantined as unreadable


def _records(text: str, filename: str) -> Iterator[tuple[int, object]]:
    if text.lstrip().startswith("["):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            # The position is safe to show; the document's text is not.
            raise DeliveryUnreadable(
                f"{filename}: het bestand is geen geldige JSON (fout op regel {exc.lineno}; is "
                f"het bestand afgebroken?).", "GEEN_JSON") from None
        except RecursionError:
            raise DeliveryUnreadable(
                f"{filename}: de JSON is te diep genest.", "GEEN_JSON") from None
        yield from enumerate(document, start=1)
        return
    try:
        # One object (possibly over several lines) is a delivery of one record. For JSON Lines
        # this stops at the end of the first object ("extra data"), so it costs one line.
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        yield from _lines(text)
        return
    if isinstance(document, dict):
        yield 1, document
        return
    raise DeliveryUnreadable(
        f"{filename}: verwacht een lijst van objecten of één object per regel.", "GEEN_JSON"
    )


class _Blocks:
    """Rows with a growing set of columns, moved into polars frames a block at a time."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.positions: dict[str, int] = {}
        self.frames: list[pl.DataFrame] = []
        self.rows: list[list[str | None]] = []
        self.numbers: list[int] = []
        self.problems: list[str | None] = []

    def add(self, number: int, obj: object) -> None:
        problem = None
        cells: list[str | None] = [None] * len(self.keys)
        if isinstance(obj, dict):
            for key, value in obj.items():
                key = str(key)
                if key not in self.positions:
                    self.positions[key] = len(self.keys)
                    self.keys.append(key)
                    cells.append(None)
                text, scalar = _scalar_text(value)
                cells[self.positions[key]] = text
                if not scalar:
                    problem = "GENEST_VELD"
        else:
            problem = "RIJ_ONLEESBAAR"
        self.rows.append(cells)
        self.numbers.append(number)
        self.problems.append(problem)
        if len(self.rows) >= ROWS_PER_BLOCK:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        width = len(self.keys)
        rows = [r + [None] * (width - len(r)) for r in self.rows]
        self.frames.append(build_table(list(self.keys), rows, self.numbers, self.problems).frame)
        self.rows, self.numbers, self.problems = [], [], []


def read_json(data: bytes, encoding: str, filename: str) -> SourceTable:
    text = decode(data, encoding, filename)
    blocks = _Blocks()
    readable = 0
    for number, obj in _records(text, filename):
        blocks.add(number, obj)
        readable += obj is not None
    blocks.flush()
    del text
    if blocks.frames and not readable:
        raise DeliveryUnreadable(
            f"{filename}: het bestand is geen geldige JSON of JSON Lines.", "GEEN_JSON")
    if not blocks.keys:
        raise DeliveryUnreadable(f"{filename}: het bestand bevat geen objecten.", "BESTAND_LEEG")
    columns = check_header(blocks.keys, filename)
    frame = pl.concat(blocks.frames, how="diagonal", rechunk=True) if len(blocks.frames) > 1 \
        else blocks.frames[0]
    frame = frame.select(*blocks.keys, SOURCE_ROW, READ_PROBLEM)
    frame.columns = [*columns, SOURCE_ROW, READ_PROBLEM]
    return SourceTable(columns=columns, frame=frame)
