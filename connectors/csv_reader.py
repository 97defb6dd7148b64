"""Read delimited text of any delimiter, quoting, encoding and line ending into a SourceTable.

Python's csv module does the splitting because it keeps going after a malformed record: a broken
quote or a wrong number of fields costs that one row (flagged for quarantine), not the file.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys

from connectors.table import SourceTable, build_table, check_header
from vroeg.config import CsvOptions
from vroeg.errors import DeliveryUnreadable

# A single 1 MB field must reach validation (and be quarantined there as too long) rather than
# stop the reader; beyond this a "field" is a broken file, reported as such.
csv.field_size_limit(min(sys.maxsize, 64 * 1024 * 1024))

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_CANDIDATE_DELIMITERS = ";,\t|"


def decode(data: bytes, encoding: str, filename: str) -> str:
    """Bytes to text. A byte-order mark wins over the configured encoding (it cannot lie)."""
    if not data.strip():
        raise DeliveryUnreadable(f"{filename}: het bestand is leeg.", "BESTAND_LEEG")
    configured = encoding
    for bom, codec in _BOMS:
        if data.startswith(bom):
            encoding = codec
            break
    else:
        # NUL bytes do not occur in text in a single-byte or UTF-8 encoding: this is binary data.
        if b"\x00" in data[:65536]:
            raise DeliveryUnreadable(
                f"{filename}: het bestand is geen tekstbestand (binaire inhoud).", "GEEN_TEKST"
            )
        if encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
            encoding = "utf-8-sig"
    try:
        codec_name = codecs.lookup(encoding).name
    except LookupError:
        raise DeliveryUnreadable(
            f"{filename}: onbekende tekencodering '{encoding}' in de partnerconfiguratie.",
            "CODERING_ONBEKEND",
        ) from None
    try:
        return data.decode(codec_name)
    except UnicodeDecodeError as exc:
        # Count lines in the text decoded so far: byte counting is wrong for UTF-16.
        line = data[: exc.start].decode(codec_name, errors="replace").count("\n") + 1
        raise DeliveryUnreadable(
            f"{filename}: het bestand is niet in de tekencodering {configured} "
            f"(eerste onleesbare teken op regel {line}). Lever het opnieuw aan in {configured} "
            f"of pas de codering in de partnerconfiguratie aan.",
            "CODERING_ONJUIST",
        ) from None


#: A quoted field may hold a line break (an address on two lines), but a record spanning more
#: physical lines than this is taken for a stray opening quote that swallowed the rows after it.
MAX_RECORD_LINES = 3

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r|$)")


class _Lines:
    """Physical lines with a cursor the reader can move back, so a bad record costs one line."""

    def __init__(self, text: str):
        self.lines = [m for m in _LINE.findall(text) if m]
        self.pos = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def _swallowed(record: list[str], options: CsvOptions) -> bool:
    """A field with a line break followed by a delimiter holds what were meant to be rows."""
    return any(
        options.delimiter in part
        for field in record if "\n" in field or "\r" in field
        for part in re.split(r"\r\n|\n|\r", field)[1:]
    )


def read_csv(data: bytes, options: CsvOptions, filename: str) -> SourceTable:
    text = decode(data, options.encoding, filename)
    lines = _Lines(text)

    def reader():
        return csv.reader(lines, delimiter=options.delimiter, quotechar=options.quote,
                          doublequote=True, strict=True)

    records = reader()
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    problems: list[str | None] = []
    while True:
        start = lines.pos  # index of the record's first physical line
        try:
            record = next(records)
            spanned = lines.pos - start
            broken = spanned > MAX_RECORD_LINES or (spanned > 1 and _swallowed(record, options))
        except StopIteration:
            break
        except csv.Error:
            broken = True
        if broken:
            # The record cannot be taken apart (a stray or unclosed quote). It is kept as one
            # unreadable row, and reading resumes on the line after its first line, so no row
            # that follows it is swallowed.
            if header is None:
                raise DeliveryUnreadable(
                    f"{filename}: de kopregel kan niet worden gelezen (aanhalingstekens kloppen niet).",
                    "KOPREGEL_ONLEESBAAR",
                ) from None
            rows.append([None] * len(header))
            numbers.append(start + 1)
            problems.append("RIJ_ONLEESBAAR")
            lines.pos = start + 1
            records = reader()
            continue
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line: not a row
        if header is None:
            header = check_header(record, filename)
            continue
        problem = None
        if len(record) != len(header):
            problem = "AANTAL_VELDEN"
            record = (record + [None] * len(header))[: len(header)]
        rows.append(record)
        numbers.append(start + 1)
        problems.append(problem)
    if header is None:
        raise DeliveryUnreadable(f"{filename}: het bestand bevat geen kopregel.", "BESTAND_LEEG")
    table = build_table(header, rows, numbers, problems)
    hint = delimiter_hint(header, options.delimiter)
    if hint:
        table.notes.append(hint)
    return table


def delimiter_hint(header: list[str], delimiter: str) -> str | None:
    """When the header is one column that contains another delimiter, say so."""
    if len(header) != 1:
        return None
    for candidate in _CANDIDATE_DELIMITERS:
        if candidate != delimiter and header[0].count(candidate) >= 2:
            shown = "tab" if candidate == "\t" else f"'{candidate}'"
            return (
                f"de kopregel lijkt {shown} als scheidingsteken te gebruiken in plaats van "
                f"'{delimiter}'"
            )
    return None
