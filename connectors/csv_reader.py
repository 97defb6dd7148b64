"""Read delimited text of any delimiter, quoting, encoding and line ending into a SourceTable.

Python's csv module does the splitting because it keeps going after a malformed record: a broken
quote or a wrong number of fields costs that one row (flagged for quarantine), not the file.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
from array import array

import polars as pl

from connectors.table import READ_PROBLEM, SourceTable, build_table, check_header
from vroeg.config import CsvOptions
from vroeg.errors import DeliveryUnreadable
from vroeg.schema import SOURCE_ROW

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


#: Single-byte encodings in which any byte sequence decodes: a UTF-8 file read in one of these
#: does not fail, it turns "ë" into "Ã«". Such a file gets a note instead of an error.
_SINGLE_BYTE = {"latin_1", "iso8859_1", "cp1252", "iso8859_15"}


def decode(data: bytes, encoding: str, filename: str) -> str:
    """Bytes to text. A byte-order mark wins over the configured encoding (it cannot lie)."""
    return decode_with_notes(data, encoding, filename)[0]


def decode_with_notes(data: bytes, encoding: str, filename: str) -> tuple[str, list[str]]:
    """Bytes to text, plus notes for the data officer (never values).

    `encoding` is a Python codec name, or "auto": UTF-8 when the bytes are valid UTF-8, else
    Windows-1252 (what Excel on a Dutch Windows laptop writes), said in a note.
    """
    if not data.strip():
        raise DeliveryUnreadable(f"{filename}: het bestand is leeg.", "BESTAND_LEEG")
    configured = encoding
    notes: list[str] = []
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
        if encoding.lower() == "auto":
            try:
                return data.decode("utf-8"), notes
            except UnicodeDecodeError:
                notes.append("tekencodering herkend als Windows-1252 (geen geldige UTF-8)")
                return data.decode("cp1252", errors="replace"), notes
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
        text = data.decode(codec_name)
    except UnicodeDecodeError as exc:
        # Count lines in the text decoded so far: byte counting is wrong for UTF-16.
        line = data[: exc.start].decode(codec_name, errors="replace").count("\n") + 1
        raise DeliveryUnreadable(
            f"{filename}: het bestand is niet in de tekencodering {configured} "
            f"(eerste onleesbare teken op regel {line}). Lever het opnieuw aan in {configured} "
            f"of pas de codering in de partnerconfiguratie aan.",
            "CODERING_ONJUIST",
        ) from None
    if codec_name.replace("-", "_") in _SINGLE_BYTE and _looks_like_utf8(data):
        notes.append(
            f"het bestand lijkt UTF-8 te zijn, maar wordt gelezen als {configured}: letters met "
            f"accenten worden dan verminkt; controleer csv.encoding in de partnerconfiguratie"
        )
    return text, notes


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _looks_like_utf8(data: bytes) -> bool:
    """Valid UTF-8 with at least one multi-byte character (pure ASCII is the same either way)."""
    sample = data[: 1024 * 1024]
    if not _UTF8_MULTIBYTE.search(sample):
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off by the sample's end is still UTF-8.
        return exc.start >= len(sample) - 3 and len(sample) == 1024 * 1024
    return True


#: A quoted field may hold a line break (an address on two lines), but a field spanning more
#: physical lines than this is taken for a stray opening quote that swallowed the rows after it.
MAX_FIELD_LINES = 3
#: Kept for readers of this module: a record of one field spans at most this many lines.
MAX_RECORD_LINES = MAX_FIELD_LINES

#: Rows are gathered as Python lists this many at a time and then moved into a polars frame, so a
#: file of a million rows never holds a million rows of Python strings (about 1 kB per row).
ROWS_PER_BLOCK = 50_000

_LINE_END = re.compile(r"\r\n|\n|\r")


class _Lines:
    """Physical lines with a cursor the reader can move back, so a bad record costs one line.

    Only the offsets of the line starts are kept (8 bytes a line), not the lines themselves:
    the text is already in memory once, and a list of a million line strings would double it.
    """

    def __init__(self, text: str):
        self.text = text
        starts = array("q", [0])
        starts.extend(m.end() for m in _LINE_END.finditer(text))
        if starts[-1] < len(text):
            starts.append(len(text))  # the last line has no line end
        self.starts = starts
        self.count = len(starts) - 1
        self.pos = 0
        #: Where the record being read started, and how many lines it may take: the csv module
        #: reads an unclosed quote to the end of the file, so it is cut off here instead (it
        #: then reports "unexpected end of data" and the record counts as unreadable).
        self.record_start = 0
        self.record_lines = MAX_FIELD_LINES

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.pos >= self.count or self.pos - self.record_start >= self.record_lines:
            raise StopIteration
        self.pos += 1
        return self.text[self.starts[self.pos - 1]:self.starts[self.pos]]


def _swallowed(record: list[str], options: CsvOptions) -> bool:
    """A field over too many lines, or with a line break followed by a delimiter, holds what were
    meant to be rows: a stray opening quote, not an address on two lines."""
    for field in record:
        if "\n" not in field and "\r" not in field:
            continue
        parts = _LINE_END.split(field)
        if len(parts) > MAX_FIELD_LINES or any(options.delimiter in part for part in parts[1:]):
            return True
    return False


class _Blocks:
    """Rows gathered in blocks of Python lists, each block moved into a polars frame when full."""

    def __init__(self, header: list[str]):
        self.header = header
        self.frames: list[SourceTable] = []
        self.rows: list[list[str | None]] = []
        self.numbers: list[int] = []
        self.problems: list[str | None] = []

    def add(self, record: list[str | None], number: int, problem: str | None) -> None:
        self.rows.append(record)
        self.numbers.append(number)
        self.problems.append(problem)
        if len(self.rows) >= ROWS_PER_BLOCK:
            self.flush()

    def flush(self) -> None:
        if self.rows or not self.frames:
            self.frames.append(build_table(self.header, self.rows, self.numbers, self.problems))
            self.rows, self.numbers, self.problems = [], [], []

    def table(self) -> SourceTable:
        self.flush()
        if len(self.frames) == 1:
            return self.frames[0]
        frame = pl.concat([t.frame for t in self.frames], rechunk=True)
        return SourceTable(columns=self.header, frame=frame)


def _csv_reader(lines: _Lines, options: CsvOptions):
    if options.quote:
        return csv.reader(lines, delimiter=options.delimiter, quotechar=options.quote,
                          doublequote=True, strict=True)
    # No quoting at all: every quote character is an ordinary character.
    return csv.reader(lines, delimiter=options.delimiter, quoting=csv.QUOTE_NONE, strict=True)


#: Characters Python's str.strip() takes for white space but polars' does not; a file holding
#: one goes the general way, so that "is this line blank" has one answer.
_PYTHON_ONLY_SPACE = "\x1c\x1d\x1e\x1f"

#: A carriage return that ends a line on its own (old Mac files).
_LONE_CR = re.compile("\r(?!\n)")


#: The fast path's working column: no header can name it (NUL makes a file binary, see decode).
_LINE = "\x00regel"


def _read_unquoted(text: str, options: CsvOptions, filename: str) -> SourceTable | None:
    """The same table as the general reader for a file without a single quote character, in
    polars instead of a Python loop per row (a million-row delivery: ~5x less CPU).

    Without quotes a record is exactly one physical line split at every delimiter, so nothing
    can be swallowed or broken: rows with too few or too many fields are kept and flagged
    (AANTAL_VELDEN), padded with nulls or cut, blank lines are skipped, and row numbers are line
    numbers, as in the general reader. None when the file needs the general reader.
    """
    # `in` per character: a regular expression's character class scans a 150 MB text 4x slower.
    if (options.quote and options.quote in text) or "\x00" in text \
            or any(ch in text for ch in _PYTHON_ONLY_SPACE):
        return None
    delimiter = options.delimiter
    # Lazy, so that polars frees each intermediate (lines, the filtered frame) as soon as the
    # next one exists: eagerly, a wide 100 MB file held five copies at once (1.6 GB peak).
    line = pl.col(_LINE)
    if _LONE_CR.search(text):  # old Mac line ends: one more copy of the text, rare
        line = line.str.replace_all("\r\n|\r", "\n")
    lines = (
        pl.LazyFrame({_LINE: [text]})
        .select(line.str.split("\n"))
        .explode(_LINE)
        .select(pl.col(_LINE).str.strip_suffix("\r"))
        .with_row_index(SOURCE_ROW, offset=1)
        # Blank lines are skipped (also the empty piece after a final line end).
        .filter((pl.col(_LINE).str.strip_chars() != "")
                | pl.col(_LINE).str.contains(delimiter, literal=True))
        .collect()
    )
    if lines.is_empty():
        return None  # no header: the general reader says so
    header = check_header(lines.item(0, _LINE).split(delimiter), filename)
    width = len(header)
    fields = pl.col(_LINE)
    # split_exact gives exactly `width` columns, null-padded, extra fields cut, as the general
    # reader does; the count of delimiters says whether the row had the header's width.
    table = (
        lines.lazy().slice(1)
        .select(
            fields.str.split_exact(delimiter, width - 1).struct.rename_fields(header)
            .struct.unnest(),
            pl.col(SOURCE_ROW).cast(pl.Int64),
            pl.when(fields.str.count_matches(delimiter, literal=True) != width - 1)
            .then(pl.lit("AANTAL_VELDEN")).otherwise(pl.lit(None, dtype=pl.String))
            .alias(READ_PROBLEM),
        )
        .collect()
    )
    return SourceTable(columns=header, frame=table)


def read_csv(data: bytes, options: CsvOptions, filename: str) -> SourceTable:
    text, notes = decode_with_notes(data, options.encoding, filename)
    fast = _read_unquoted(text, options, filename)
    if fast is not None:
        fast.notes.extend(notes)
        hint = delimiter_hint(fast.columns, options.delimiter)
        if hint:
            fast.notes.append(hint)
        return fast
    return _read_general(text, notes, options, filename)


def _read_general(text: str, notes: list[str], options: CsvOptions,
                  filename: str) -> SourceTable:
    lines = _Lines(text)
    records = _csv_reader(lines, options)
    header: list[str] | None = None
    blocks: _Blocks | None = None
    width = 0
    while True:
        start = lines.pos  # index of the record's first physical line
        lines.record_start = start
        lines.record_lines = MAX_FIELD_LINES * max(width, 1)
        try:
            record = next(records)
            broken = lines.pos - start > 1 and _swallowed(record, options)
        except StopIteration:
            if lines.pos < lines.count:  # cut off by record_lines inside a quote
                broken = True
            else:
                break
        except csv.Error:
            broken = True
        if broken:
            # The record cannot be taken apart (a stray or unclosed quote). It is kept as one
            # unreadable row, and reading resumes on the line after its first line, so no row
            # that follows it is swallowed.
            if blocks is None:
                raise DeliveryUnreadable(
                    f"{filename}: de kopregel kan niet worden gelezen "
                    "(aanhalingstekens kloppen niet).",
                    "KOPREGEL_ONLEESBAAR",
                ) from None
            blocks.add([None] * width, start + 1, "RIJ_ONLEESBAAR")
            lines.pos = start + 1
            records = _csv_reader(lines, options)
            continue
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line: not a row
        if blocks is None:
            header = check_header(record, filename)
            width = len(header)
            blocks = _Blocks(header)
            continue
        problem = None
        if len(record) != width:
            problem = "AANTAL_VELDEN"
            record = (record + [None] * width)[:width]
        blocks.add(record, start + 1, problem)
    if blocks is None or header is None:
        raise DeliveryUnreadable(f"{filename}: het bestand bevat geen kopregel.", "BESTAND_LEEG")
    table = blocks.table()
    table.notes.extend(notes)
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
