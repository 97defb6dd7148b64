"""Property-based tests (hypothesis) for the CSV reader and the column mapping.

Settings: no deadline (a busy CI machine is not a failure), a moderate number of examples, and
derandomized with no example database, so CI runs the same examples every time and writes
nothing into the checkout.
"""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from connectors.csv_reader import read_csv
from connectors.mapping import cents_to_euros, map_to_standard
from connectors.parse import amount_cents
from connectors.table import READ_PROBLEM, SourceTable, build_table
from vroeg.config import CsvOptions, Partner
from vroeg.errors import DeliveryRejected
from vroeg.schema import SOURCE_ROW, STANDARD_COLUMNS

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]
LINE_ENDINGS = ["\n", "\r\n", "\r"]
DELIMITERS = [";", ",", "\t", "|"]
QUOTINGS = [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]


def _text(encoding: str, *, line_breaks: bool):
    """Cell text that the encoding can hold: printable characters, quotes and delimiters
    included; never NUL (binary) or a byte-order mark; a line break only where allowed."""
    blacklist = ["Cs", "Cc"] if not line_breaks else ["Cs"]
    alphabet = st.characters(blacklist_categories=blacklist, blacklist_characters="\x00\ufeff")
    if encoding in ("cp1252", "latin-1"):
        def encodable(ch: str) -> bool:
            try:
                ch.encode(encoding)
                return True
            except UnicodeEncodeError:
                return False
        alphabet = alphabet.filter(encodable)
    if line_breaks:
        # One line break at most and no delimiter after it: a record over more lines, or one
        # whose continuation holds delimiters, is a stray quote to the reader by design
        # (connectors.csv_reader.MAX_RECORD_LINES, _swallowed).
        plain = st.text(
            alphabet.filter(lambda c: c not in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
            max_size=12)
        return st.one_of(
            plain,
            st.tuples(plain, st.sampled_from(["\n", "\r\n"]),
                      plain.filter(lambda t: not any(d in t for d in DELIMITERS)))
            .map(lambda parts: "".join(parts)),
        )
    return st.text(alphabet, max_size=12)


@st.composite
def delimited_tables(draw):
    encoding = draw(st.sampled_from(ENCODINGS))
    width = draw(st.integers(min_value=2, max_value=6))
    # The readers' own column names are refused in a header (test_reserved_column_names...).
    header = draw(st.lists(
        _text(encoding, line_breaks=False).map(str.strip).filter(bool)
        .filter(lambda name: name.casefold() not in (SOURCE_ROW, READ_PROBLEM)),
        min_size=width, max_size=width, unique_by=str.casefold))
    body = draw(st.lists(
        st.lists(_text(encoding, line_breaks=True), min_size=width, max_size=width),
        max_size=12))
    return encoding, header, body


@SETTINGS
@given(table=delimited_tables(), delimiter=st.sampled_from(DELIMITERS),
       quoting=st.sampled_from(QUOTINGS), newline=st.sampled_from(LINE_ENDINGS))
def test_any_table_round_trips_through_the_csv_reader(table, delimiter, quoting, newline):
    """Any table of text cells, written by Python's csv writer with any delimiter, quoting,
    encoding and line ending, reads back cell for cell, with every row counted."""
    encoding, header, body = table
    # Python's writer quotes a line break only when it is part of the line terminator: with
    # "\r" as terminator it writes a "\n" in a cell bare, which no reader can tell from a new
    # line. Such a file is broken by its writer, not a table the reader must round-trip.
    if quoting == csv.QUOTE_MINIMAL:
        assume(not any(ch in cell and ch not in newline for r in body for cell in r
                       for ch in "\r\n"))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(body)
    data = buffer.getvalue().encode(encoding)

    result = read_csv(data, CsvOptions(delimiter=delimiter, encoding=encoding.replace("-sig", "")),
                      "eigenschap.csv")
    assert result.columns == [h.strip() for h in header]
    assert result.rows == len(body)  # no row lost, none invented
    assert result.frame.get_column(READ_PROBLEM).null_count() == len(body)
    got = [list(r) for r in result.frame.select(result.columns).iter_rows()]
    # An empty cell written unquoted reads back as an empty string: the same "no value".
    assert got == [[c for c in r] for r in body]


@SETTINGS
@given(lines=st.lists(st.sampled_from(["ok", "stray", "blank"]), min_size=1, max_size=30),
       newline=st.sampled_from(LINE_ENDINGS))
def test_stray_quotes_cost_one_row_each(lines, newline):
    """However stray quotes and blank lines are mixed in, every non-blank line is one row."""
    out = ["a;b;c"]
    for i, kind in enumerate(lines):
        out.append({"ok": f"{i};x;y", "stray": f'{i};"x;y', "blank": ""}[kind])
    data = (newline.join(out) + newline).encode()
    table = read_csv(data, CsvOptions(), "strooi.csv")
    assert table.rows == sum(kind != "blank" for kind in lines)
    problems = table.frame.get_column(READ_PROBLEM).to_list()
    assert sum(p is not None for p in problems) <= sum(kind == "stray" for kind in lines)


@SETTINGS
@given(cents=st.integers(min_value=-10**12, max_value=10**12))
def test_cents_to_euros_and_back(cents):
    frame = pl.DataFrame({"c": [str(cents)]}).with_columns(
        cents_to_euros(pl.col("c")).alias("euro"))
    back = frame.with_columns(amount_cents(pl.col("euro"), ".").alias("terug"))
    assert back.get_column("terug").to_list() == [cents]
    for mark in (",", "auto"):
        text = frame.get_column("euro")[0].replace(".", ",")
        parsed = pl.DataFrame({"t": [text]}).select(amount_cents(pl.col("t"), mark))
        assert parsed.to_series().to_list() == [cents]


@SETTINGS
@given(euros=st.integers(min_value=0, max_value=10**9), fraction=st.integers(0, 99))
def test_grouped_amounts_read_as_their_value(euros, fraction):
    grouped = f"{euros:,}".replace(",", ".") + f",{fraction:02d}"
    parsed = pl.DataFrame({"t": [grouped]}).select(amount_cents(pl.col("t"), ",", "."))
    assert parsed.to_series().to_list() == [euros * 100 + fraction]


def _table(columns: list[str], values: list[list[str]]) -> SourceTable:
    return build_table(columns, values, list(range(2, len(values) + 2)), [None] * len(values))


_NAME = st.text(st.characters(whitelist_categories=["Lu", "Ll"]), min_size=1, max_size=10)


@SETTINGS
@given(spacing=st.lists(st.sampled_from([" ", "  ", "\t"]), min_size=1, max_size=3),
       upper=st.lists(st.booleans(), min_size=30, max_size=30),
       surname=_NAME, given_names=_NAME)
def test_mapping_ignores_header_case_and_spacing_and_extracts_patterns(spacing, upper, surname,
                                                                       given_names):
    """A partner's header may change case and spacing between exports; the mapping still
    finds its columns, and a pattern takes its part of a combined column."""
    partner = Partner(
        id="eigen", name="Eigen", partner_type="Huur",
        columns={
            "signaal_id": "Melding Nummer", "signaaldatum": "Datum", "ontstaansdatum": "Sinds",
            "bedrag": {"column": "Saldo In Cent", "unit": "cent"}, "crisis": {"value": "nee"},
            "achternaam": {"column": "Klant Naam", "pattern": r"^\s*([^,]+?)\s*,"},
            "voornamen": {"column": "Klant Naam", "pattern": r",\s*(.*?)\s*$"},
            "straatnaam": "Straat", "postcode": "Postcode", "huisnummer": "Nr",
            "woonplaats": {"value": "Leeuwarden"},
        })
    flips = iter(upper)

    def vary(name: str) -> str:
        words = name.split(" ")
        varied = spacing[0].join(words) if len(words) > 1 else name
        return "".join(c.upper() if next(flips, False) else c.lower() for c in varied)

    header = ["Melding Nummer", "Datum", "Sinds", "Saldo In Cent", "Klant Naam", "Straat",
              "Postcode", "Nr"]
    values = ["M-1", "2026-10-14", "2026-08-01", "12345", f"  {surname} , {given_names} ",
              "Kerkstraat", "8911AA", "1"]
    mapped = map_to_standard(_table([vary(h) for h in header], [values]), partner, "v.csv")
    got = mapped.frame.row(0, named=True)
    assert got["signaal_id"] == "M-1" and got["bedrag"] == "123.45"
    assert got["achternaam"] == surname and got["voornamen"] == given_names
    assert got["woonplaats"] == "Leeuwarden" and got["partner_id"] == "eigen"
    assert mapped.ignored_columns == []
    assert set(STANDARD_COLUMNS) <= set(mapped.frame.columns) and SOURCE_ROW in mapped.frame.columns


@pytest.mark.parametrize("name", [SOURCE_ROW, READ_PROBLEM, SOURCE_ROW.upper()])
def test_reserved_column_names_are_refused_in_a_header(name):
    """Found by the round trip above: a delivery with a column named like the row number the
    reader adds lost its values or failed with polars' duplicate-name error."""
    data = f"0;{name}\n1;2\n".encode()
    with pytest.raises(DeliveryRejected, match="kolom 2 van de kopregel") as refused:
        read_csv(data, CsvOptions(delimiter=";", encoding="utf-8"), "eigenschap.csv")
    assert refused.value.code == "KOLOM_GERESERVEERD"
