"""Read delimited text of any delimiter, quoting, encoding and line ending into a SourceTable.

Python's csv module does the splitting because it keeps going after a malformed record: a broken
quote or a wrong number of fields costs that one row (flagged for quarantine), not the file.
"""

from __future__ import annotations

import codecs
import csv
import io
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
        line = data.count(b"\n", 0, exc.start) + 1
        raise DeliveryUnreadable(
            f"{filename}: het bestand is niet in de tekencodering {encoding} "
            f"(eerste onleesbare teken op regel {line}). Lever het opnieuw aan in {encoding} "
            f"of pas de codering in de partnerconfiguratie aan.",
            "CODERING_ONJUIST",
        ) from None


def read_csv(data: bytes, options: CsvOptions, filename: str) -> SourceTable:
    text = decode(data, options.encoding, filename)
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=options.delimiter,
        quotechar=options.quote,
        doublequote=True,
        strict=True,
    )
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    problems: list[str | None] = []
    while True:
        start_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:
            # The csv module resets and continues with the next line; this record is kept as a
            # row that could not be read so that it is counted and quarantined, not lost.
            if header is None:
                raise DeliveryUnreadable(
                    f"{filename}: de kopregel kan niet worden gelezen (aanhalingstekens kloppen niet).",
                    "KOPREGEL_ONLEESBAAR",
                ) from None
            rows.append([None] * len(header))
            numbers.append(start_line)
            problems.append("RIJ_ONLEESBAAR")
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
        numbers.append(start_line)
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
