"""Read JSON deliveries: an array of objects, or one object per line (JSON Lines)."""

from __future__ import annotations

import json

from connectors.csv_reader import decode
from connectors.table import SourceTable, build_table, check_header
from vroeg.errors import DeliveryUnreadable


def _scalar_text(value: object) -> tuple[str | None, bool]:
    """A JSON value as cell text, and whether it was a scalar (objects and arrays are not)."""
    if value is None:
        return None, True
    if isinstance(value, bool):
        return ("ja" if value else "nee"), True
    if isinstance(value, (int, float, str)):
        return str(value), True
    return None, False


def read_json(data: bytes, encoding: str, filename: str) -> SourceTable:
    text = decode(data, encoding, filename)
    records: list[tuple[int, object]]
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        records = []
        # Only \n ends a JSON Lines record; str.splitlines would also split on U+2028 and other
        # characters JSON allows inside strings.
        for line_number, line in enumerate(text.split("\n"), start=1):
            line = line.removesuffix("\r")
            if not line.strip():
                continue
            try:
                records.append((line_number, json.loads(line)))
            except json.JSONDecodeError:
                records.append((line_number, None))  # counted, quarantined as unreadable
        if records and all(obj is None for _, obj in records):
            raise DeliveryUnreadable(
                f"{filename}: het bestand is geen geldige JSON of JSON Lines.", "GEEN_JSON"
            ) from None
    else:
        if isinstance(document, dict):
            document = [document]  # JSON Lines with a single record
        if not isinstance(document, list):
            raise DeliveryUnreadable(
                f"{filename}: verwacht een lijst van objecten of één object per regel.",
                "GEEN_JSON",
            )
        records = [(index, obj) for index, obj in enumerate(document, start=1)]

    columns: list[str] = []
    for _, obj in records:
        if isinstance(obj, dict):
            columns.extend(k for k in obj if k not in columns)
    if not columns:
        raise DeliveryUnreadable(f"{filename}: het bestand bevat geen objecten.", "BESTAND_LEEG")
    columns = check_header([str(c) for c in columns], filename)

    rows, numbers, problems = [], [], []
    for number, obj in records:
        problem = None
        cells: list[str | None] = [None] * len(columns)
        if isinstance(obj, dict):
            for position, key in enumerate(columns):
                text_value, scalar = _scalar_text(obj.get(key))
                cells[position] = text_value
                if not scalar:
                    problem = "GENEST_VELD"
        else:
            problem = "RIJ_ONLEESBAAR"
        rows.append(cells)
        numbers.append(number)
        problems.append(problem)
    return build_table(columns, rows, numbers, problems)
