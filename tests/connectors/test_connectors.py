"""Connectors (csv, xlsx, json, mapping, parse) and address normalisation, on real bytes.

Every test feeds real file contents through the real readers, polars and openpyxl; expected
values are written out by hand or read independently (csv module, openpyxl) so that a test does
not check the code against itself.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import time
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

import connectors
from connectors import READ_PROBLEM
from connectors.csv_reader import delimiter_hint, read_csv
from connectors.json_reader import read_json
from connectors.parse import amount_cents, bsn, elfproef, parse
from connectors.xlsx_reader import MAX_COMPRESSION_RATIO, MAX_INFLATED_BYTES, cell_text, read_xlsx
from synthetic.generator import generate
from tests import REPO_ROOT
from tests.builders import row, standard_file
from vroeg import address
from vroeg.config import ColumnSpec, CsvOptions, Partner, SheetOptions, standard_partner
from vroeg.errors import DeliveryRejected, DeliveryUnreadable
from vroeg.schema import REQUIRED_COLUMNS, REQUIRED_VALUES, SOURCE_ROW, STANDARD_COLUMNS

SAMPLES = REPO_ROOT / "data_samples" / "0080"
HEADER = ";".join(STANDARD_COLUMNS)


def read(data: bytes, municipality, partner: Partner | None = None, name: str = "levering.csv"):
    """read_delivery + parse, as the pipeline does; zorg-noord (standard format) by default."""
    partner = partner or municipality.partner("zorg-noord")
    mapped = connectors.read_delivery(data, name, partner, municipality.partners)
    return mapped, parse(mapped, municipality)


def line(**overrides: str) -> str:
    """One standard data line (no quoting needed for the values used with it)."""
    values = row(**overrides)
    return ";".join(values[c] for c in STANDARD_COLUMNS)


def col(frame: pl.DataFrame, name: str) -> list:
    return frame.get_column(name).to_list()


# =================================================================================================
# Standard CSV
# =================================================================================================


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_standard_csv_with_and_without_bom(municipality, bom):
    data = standard_file([row(signaal_id="A-1"), row(signaal_id="A-2", achternaam="Fryslân")],
                         bom=bom)
    assert data.startswith(codecs.BOM_UTF8) is bom
    mapped, parsed = read(data, municipality)
    assert col(parsed, "signaal_id") == ["A-1", "A-2"]  # the BOM is not part of the first name
    assert col(parsed, "achternaam") == ["Testpersoon", "Fryslân"]
    assert mapped.ignored_columns == []
    assert col(parsed, READ_PROBLEM) == [None, None]
    assert col(parsed, "partner_id") == ["zorg-noord", "zorg-noord"]


@pytest.mark.parametrize("newline", ["\r\n", "\n", "mixed"])
def test_standard_csv_line_endings(municipality, newline):
    rows = [row(signaal_id=f"L-{i}", email=f"p{i}@example.nl") for i in range(1, 5)]
    if newline == "mixed":
        text = standard_file(rows, bom=False, newline="\n").decode()
        lines = text.split("\n")[:-1]
        ends = ["\r\n", "\n", "\r\n", "\n", "\r\n"]
        data = "".join(ln + end for ln, end in zip(lines, ends, strict=True)).encode()
        assert data.count(b"\r\n") == 3 and data.count(b"\n") == 5  # really both kinds
    else:
        data = standard_file(rows, newline=newline)
    _, parsed = read(data, municipality)
    assert col(parsed, "signaal_id") == ["L-1", "L-2", "L-3", "L-4"]
    # The last column carries no stray carriage return.
    assert col(parsed, "email") == [f"p{i}@example.nl" for i in range(1, 5)]
    assert col(parsed, SOURCE_ROW) == [2, 3, 4, 5]


AMOUNTS = [
    ("1234,56", 123456), ("1234.56", 123456), ("12,5", 1250), ("12.5", 1250), ("7", 700),
    ("0,01", 1), ("0", 0), (" 212,40 ", 21240), ("-5,00", -500),
    ("1.234,56", None), ("1,234.56", None), ("€ 12", None), ("12 EUR", None), ("NaN", None),
    ("", None), ("12,345", None), ("1e3", None), ("12,", None), (",5", None),
]


def test_amounts_to_exact_cents_in_one_file(municipality):
    rows = [row(signaal_id=f"B-{i}", bedrag=text) for i, (text, _) in enumerate(AMOUNTS)]
    _, parsed = read(standard_file(rows), municipality)
    assert parsed.schema["bedrag_p"] == pl.Int64
    got = dict(zip(col(parsed, "signaal_id"), col(parsed, "bedrag_p"), strict=True))
    assert got == {f"B-{i}": cents for i, (_, cents) in enumerate(AMOUNTS)}


def test_amount_decimal_mark_per_partner_setting():
    frame = pl.DataFrame({"t": ["1234,56", "1234.56", "7"]})
    def cents(mark):
        return frame.select(amount_cents(pl.col("t"), mark)).to_series().to_list()
    assert cents(",") == [123456, None, 700]
    assert cents(".") == [None, 123456, 700]
    assert cents("auto") == [123456, 123456, 700]


def test_crisis_flag_values(municipality):
    flags = ["ja", "nee", "JA", "Nee", " ja ", "j", "yes", "", "1"]
    rows = [row(signaal_id=f"C-{i}", crisis=v) for i, v in enumerate(flags)]
    _, parsed = read(standard_file(rows), municipality)
    assert col(parsed, "crisis_p") == [True, False, True, False, True, None, None, None, None]
    assert parsed.schema["crisis_p"] == pl.Boolean


def test_quoted_field_with_delimiter_doubled_quote_and_line_break(municipality):
    street = 'Kerkstraat; "Oude" kant'
    data = standard_file([
        row(signaal_id="Q-1", straatnaam=street),
        row(signaal_id="Q-2", woonplaats="Leeu\nwarden"),
        row(signaal_id="Q-3"),
    ])
    assert b'"Kerkstraat; ""Oude"" kant"' in data  # really quoted the way the format says
    _, parsed = read(data, municipality)
    assert col(parsed, "straatnaam") == [street, "Proefstraat", "Proefstraat"]
    assert col(parsed, "woonplaats")[1] == "Leeu\nwarden"
    # bron_rij is the physical line where a record starts: Q-2 spans lines 3-4.
    assert col(parsed, SOURCE_ROW) == [2, 3, 5]
    assert col(parsed, READ_PROBLEM) == [None, None, None]


def test_column_order_is_free(municipality):
    shuffled = tuple(reversed(STANDARD_COLUMNS))
    data = standard_file([row(signaal_id="S-1", postcode="8912 CD", bedrag="99,95")],
                         columns=shuffled)
    assert data.decode("utf-8-sig").startswith("email;telefoon;")
    mapped, parsed = read(data, municipality)
    assert list(mapped.frame.columns[: len(STANDARD_COLUMNS)]) == list(STANDARD_COLUMNS)
    first = parsed.row(0, named=True)
    assert first["signaal_id"] == "S-1"
    assert first["postcode_p"] == "8912CD"
    assert first["bedrag_p"] == 9995
    assert first["achternaam"] == "Testpersoon"


def test_unknown_column_is_ignored_and_reported(municipality):
    columns = STANDARD_COLUMNS[:3] + ("eigen_referentie",) + STANDARD_COLUMNS[3:]
    data = standard_file([row(eigen_referentie="REF-9")], columns=columns)
    mapped, parsed = read(data, municipality)
    assert mapped.ignored_columns == ["eigen_referentie"]
    assert "eigen_referentie" not in parsed.columns
    assert col(parsed, "signaal_id") == ["T-1"]


def test_optional_columns_may_be_absent(municipality):
    columns = tuple(c for c in STANDARD_COLUMNS if c not in ("bsn", "geboortedatum", "email"))
    mapped, parsed = read(standard_file([row(), row(signaal_id="T-2")], columns=columns),
                          municipality)
    assert parsed.height == 2
    for name in ("bsn", "geboortedatum", "email", "bsn_p", "geboortedatum_p"):
        assert col(parsed, name) == [None, None], name
    assert col(parsed, "achternaam") == ["Testpersoon", "Testpersoon"]
    assert mapped.ignored_columns == []


@pytest.mark.parametrize("missing", REQUIRED_COLUMNS)
def test_missing_required_column_is_rejected_by_name(municipality, missing):
    columns = tuple(c for c in STANDARD_COLUMNS if c != missing)
    with pytest.raises(DeliveryRejected) as info:
        read(standard_file([row()], columns=columns), municipality)
    assert info.value.code == "KOLOMMEN_ONTBREKEN"
    assert missing in info.value.message
    assert "levering.csv" in info.value.message


def test_wrong_delimiter_is_rejected_with_a_hint(municipality):
    data = standard_file([row()], delimiter=",")
    with pytest.raises(DeliveryRejected) as info:
        read(data, municipality)
    assert info.value.code == "KOLOMMEN_ONTBREKEN"
    assert "scheidingsteken" in info.value.message
    assert "','" in info.value.message and "';'" in info.value.message


def test_delimiter_hint():
    assert "tab" in delimiter_hint(["a\tb\tc"], ";")
    assert "'|'" in delimiter_hint(["a|b|c"], ";")
    assert "';'" in delimiter_hint(["a;b;c"], ",")  # a ';' file read as ','
    assert delimiter_hint(["a", "b"], ";") is None  # more than one column: split fine
    assert delimiter_hint(["a,b"], ";") is None  # one stray comma is not a pattern


# =================================================================================================
# Hostile CSV
# =================================================================================================


@pytest.mark.parametrize("data", [b"", b"   \r\n\t \n", codecs.BOM_UTF8 + b"\n"],
                         ids=["empty", "whitespace", "bom-only"])
def test_empty_file_is_unreadable(data):
    with pytest.raises(DeliveryUnreadable) as info:
        read_csv(data, CsvOptions(), "leeg.csv")
    assert info.value.code == "BESTAND_LEEG"
    assert "leeg.csv" in info.value.message


def test_binary_garbage_is_not_text():
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4
    with pytest.raises(DeliveryUnreadable) as info:
        read_csv(data, CsvOptions(), "foto.csv")
    assert info.value.code == "GEEN_TEKST"


def test_invalid_utf8_names_the_line_not_the_bytes():
    text = HEADER + "\n" + line(signaal_id="U-1") + "\n"
    data = text.encode() + line(achternaam="Zzcanaryqq").replace("Zzcanaryqq", "M\xfcller").encode(
        "latin-1") + b"\n"
    with pytest.raises(DeliveryUnreadable) as info:
        read_csv(data, CsvOptions(), "latin.csv")
    message = info.value.message
    assert info.value.code == "CODERING_ONJUIST"
    assert "regel 3" in message
    assert "latin.csv" in message
    for leaked in ("\\x", "0x", "fc", "252", "ller", "\ufffd"):
        assert leaked not in message, leaked


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-16-le"])
def test_utf16_with_bom_is_decoded(municipality, codec):
    text = HEADER + "\r\n" + line(signaal_id="W-1", achternaam="Fryslân") + "\r\n"
    bom = {"utf-16": b"", "utf-16-be": codecs.BOM_UTF16_BE, "utf-16-le": codecs.BOM_UTF16_LE}
    data = bom[codec] + text.encode(codec)
    assert b"\x00" in data
    _, parsed = read(data, municipality)
    assert col(parsed, "signaal_id") == ["W-1"]
    assert col(parsed, "achternaam") == ["Fryslân"]


def test_rows_with_wrong_field_count_are_kept_and_flagged(municipality):
    text = "\n".join([
        HEADER,
        line(signaal_id="F-1"),
        line(signaal_id="F-2") + ";extra;nog een",
        ";".join(line(signaal_id="F-3").split(";")[:5]),
        line(signaal_id="F-4"),
    ]) + "\n"
    _, parsed = read(text.encode(), municipality)
    assert parsed.height == 4  # every data line is a row
    assert col(parsed, SOURCE_ROW) == [2, 3, 4, 5]
    assert col(parsed, READ_PROBLEM) == [None, "AANTAL_VELDEN", "AANTAL_VELDEN", None]
    assert col(parsed, "signaal_id") == ["F-1", "F-2", "F-3", "F-4"]
    assert col(parsed, "achternaam")[2] is None  # too few: padded with nulls


def test_broken_quote_costs_one_row(municipality):
    broken = line(signaal_id="K-2").replace("Proefstraat", '"Proef"straat')
    text = "\n".join([HEADER, line(signaal_id="K-1"), broken, line(signaal_id="K-3"),
                      line(signaal_id="K-4")]) + "\n"
    _, parsed = read(text.encode(), municipality)
    assert col(parsed, SOURCE_ROW) == [2, 3, 4, 5]
    assert col(parsed, READ_PROBLEM) == [None, "RIJ_ONLEESBAAR", None, None]
    assert col(parsed, "signaal_id") == ["K-1", None, "K-3", "K-4"]


def test_unclosed_quote_on_a_middle_row_is_flagged(municipality):
    broken = line(signaal_id="K-2").replace("Proefstraat", '"Proefstraat')
    text = "\n".join([HEADER, line(signaal_id="K-1"), broken, line(signaal_id="K-3"),
                      line(signaal_id="K-4")]) + "\n"
    _, parsed = read(text.encode(), municipality)
    assert col(parsed, "signaal_id")[0] == "K-1"
    assert col(parsed, SOURCE_ROW)[:2] == [2, 3]
    assert col(parsed, READ_PROBLEM)[:2] == [None, "RIJ_ONLEESBAAR"]


def test_unclosed_quote_does_not_lose_the_rows_after_it(municipality):
    broken = line(signaal_id="K-2").replace("Proefstraat", '"Proefstraat')
    text = "\n".join([HEADER, line(signaal_id="K-1"), broken, line(signaal_id="K-3"),
                      line(signaal_id="K-4")]) + "\n"
    _, parsed = read(text.encode(), municipality)
    assert col(parsed, SOURCE_ROW) == [2, 3, 4, 5]
    assert col(parsed, "signaal_id") == ["K-1", None, "K-3", "K-4"]


def test_stray_quote_closed_lines_later_does_not_hide_the_rows_between(municipality):
    # The opening quote on K-2's street is closed inside K-4's street: without a guard, K-3 and
    # K-4 would silently become part of one long field of K-2.
    broken = line(signaal_id="K-2").replace("Proefstraat", '"Proefstraat')
    closing = line(signaal_id="K-4").replace("Proefstraat", 'Proef"straat')
    text = "\n".join([HEADER, line(signaal_id="K-1"), broken, line(signaal_id="K-3"), closing,
                      line(signaal_id="K-5")]) + "\n"
    _, parsed = read(text.encode(), municipality)
    assert col(parsed, SOURCE_ROW) == [2, 3, 4, 5, 6]
    assert col(parsed, READ_PROBLEM)[1] == "RIJ_ONLEESBAAR"
    assert col(parsed, "signaal_id")[2] == "K-3" and col(parsed, "signaal_id")[4] == "K-5"


def test_a_quoted_line_break_inside_a_field_is_kept(municipality):
    two_lines = line(signaal_id="M-1").replace("Proefstraat", '"Proefstraat\nachterom"')
    text = "\n".join([HEADER, two_lines, line(signaal_id="M-2")]) + "\n"
    _, parsed = read(text.encode(), municipality)
    assert col(parsed, "signaal_id") == ["M-1", "M-2"]
    assert col(parsed, READ_PROBLEM) == [None, None]
    assert col(parsed, "straatnaam")[0] == "Proefstraat\nachterom"


def test_blank_lines_are_skipped_and_bron_rij_is_the_physical_line(municipality):
    text = "\r\n".join([HEADER, "", line(signaal_id="B-1"), "   ", "", line(signaal_id="B-2"),
                        ""]) + "\r\n"
    _, parsed = read(text.encode(), municipality)
    assert col(parsed, "signaal_id") == ["B-1", "B-2"]
    assert col(parsed, SOURCE_ROW) == [3, 6]


def test_header_only_gives_zero_rows(municipality):
    _mapped, parsed = read((HEADER + "\r\n").encode(), municipality)
    assert parsed.height == 0
    assert set(STANDARD_COLUMNS) <= set(parsed.columns)
    assert "bedrag_p" in parsed.columns


def test_duplicate_header_name_is_rejected(municipality):
    text = HEADER + ";Signaal_ID\n" + line() + ";x\n"
    with pytest.raises(DeliveryRejected) as info:
        read(text.encode(), municipality)
    assert info.value.code == "KOLOM_DUBBEL"
    # By position, never by the text (issue 19: in a headerless file it is a resident's value).
    assert "Signaal_ID" not in info.value.message
    assert f"kolom 1 en kolom {len(HEADER.split(';')) + 1}" in info.value.message


# =================================================================================================
# Partner mapping on the committed samples
# =================================================================================================


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    """The generator run that produced data_samples/0080 (byte-identical, see test_generator)."""
    from vroeg.config import load_municipality
    from vroeg.settings import Home

    municipality = load_municipality(Home(REPO_ROOT), "0080")
    out = tmp_path_factory.mktemp("samples")
    report = generate(municipality, out, seed=80, end="2026-10", months=6)
    return {f.path.name: f for f in report.files}, out


SAMPLE_FILES = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*.*"))


def _raw_rows(path: Path, partner: Partner) -> dict[int, dict]:
    """{source row: {column: value}} read with the csv module or openpyxl, not the connectors."""
    if partner.format == "xlsx":
        workbook = openpyxl.load_workbook(path, data_only=True)
        sheet = workbook[partner.spreadsheet.sheet]
        header = [c.value for c in sheet[partner.spreadsheet.header_row]]
        out = {}
        for number, cells in enumerate(sheet.iter_rows(min_row=partner.spreadsheet.header_row + 1,
                                                       values_only=True),
                                       start=partner.spreadsheet.header_row + 1):
            if any(c not in (None, "") for c in cells):
                out[number] = dict(zip(header, cells, strict=True))
        return out
    encoding = "utf-8-sig" if partner.csv.encoding == "utf-8" else partner.csv.encoding
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=partner.csv.delimiter)
        header = next(reader)
        return {n: dict(zip(header, r, strict=True)) for n, r in enumerate(reader, start=2)}


def test_every_sample_file_is_committed_and_covered():
    assert len(SAMPLE_FILES) == 24
    assert {p.split("/")[0] for p in SAMPLE_FILES} == {
        "energie-fryslan", "water-noord", "wonen-fryslan", "zorg-noord"}


@pytest.mark.parametrize("relative", SAMPLE_FILES)
def test_sample_delivery_maps_completely(municipality, sample_report, relative):
    path = SAMPLES / relative
    partner = municipality.partner(relative.split("/")[0])
    generated = sample_report[0][path.name]
    assert (sample_report[1] / relative).read_bytes() == path.read_bytes()

    mapped, parsed = read(path.read_bytes(), municipality, partner, name=path.name)
    raw = _raw_rows(path, partner)

    assert parsed.height == len(raw) == generated.rows
    assert col(parsed, SOURCE_ROW) == sorted(raw)
    assert set(col(parsed, "partner_id")) == {partner.id}
    assert set(col(parsed, "partner_type")) == {partner.partner_type}
    assert set(col(parsed, "partner_naam")) == {partner.name}
    assert col(parsed, READ_PROBLEM) == [None] * parsed.height
    assert mapped.ignored_columns == []

    # Each generator defect shows up exactly where the generator put it, and nowhere else.
    defects = {
        "achternaam": pl.col("achternaam").is_null(),
        "huisnummer": pl.col("huisnummer_p").is_null(),
        "postcode": pl.col("postcode_p").is_null(),
        "bedrag": pl.col("bedrag_p") < 0,
    }
    found = {
        (n, kind) for kind, condition in defects.items()
        for n in parsed.filter(condition).get_column(SOURCE_ROW).to_list()
    }
    assert found == set(generated.bad_row_numbers)
    # Rows with any empty required value (or one that does not parse) are exactly the defect
    # rows whose defect empties or breaks a value; the bedrag defect is a negative, present value.
    required_parsed = ["signaaldatum_p", "ontstaansdatum_p", "bedrag_p", "crisis_p", "postcode_p",
                       "huisnummer_p"]
    incomplete = parsed.filter(pl.any_horizontal(
        [pl.col(c).is_null() for c in [*REQUIRED_VALUES, *required_parsed]]))
    assert set(col(incomplete, SOURCE_ROW)) == {
        n for n, kind in generated.bad_row_numbers if kind != "bedrag"}
    assert incomplete.height + sum(k == "bedrag" for _, k in generated.bad_row_numbers) \
        == generated.bad_rows


def test_energie_cents_names_and_dates_match_the_raw_file(municipality):
    partner = municipality.partner("energie-fryslan")
    path = SAMPLES / "energie-fryslan" / "energie-fryslan_2026-10.csv"
    with open(path, encoding="latin-1", newline="") as handle:
        raw = list(csv.DictReader(handle, delimiter=","))
    _mapped, parsed = read(path.read_bytes(), municipality, partner, name=path.name)
    assert parsed.height == len(raw)

    def euros_text(cents_text: str) -> str:
        cents = int(cents_text)
        sign = "-" if cents < 0 else ""
        return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"

    def part(value: str) -> str | None:
        return value.strip() or None

    accented = 0
    for source, got in zip(raw, parsed.iter_rows(named=True), strict=True):
        surname, _, given = source["Klantnaam"].partition(",")
        assert got["signaal_id"] == source["Meldingsnummer"]
        assert got["bedrag"] == euros_text(source["Openstaand (cent)"])
        assert got["bedrag_p"] == int(source["Openstaand (cent)"])
        assert got["achternaam"] == part(surname)
        assert got["voornamen"] == part(given)
        assert got["crisis_p"] is {"J": True, "N": False}[source["Afsluiting aangekondigd"]]
        assert got["signaaldatum_p"] == dt.datetime.strptime(source["Meldingsdatum"],
                                                             "%d-%m-%Y").date()
        assert got["ontstaansdatum_p"] == dt.datetime.strptime(
            source["Eerste onbetaalde factuur"], "%d-%m-%Y").date()
        assert got["partner_type"] == "Energie"
        name = (got["achternaam"] or "") + (got["voornamen"] or "")
        accented += any(ord(ch) > 127 for ch in name)
    assert accented > 0  # Latin-1 names really were decoded as such


def test_wonen_xlsx_dates_are_dates_and_amounts_exact_cents(municipality):
    partner = municipality.partner("wonen-fryslan")
    path = SAMPLES / "wonen-fryslan" / "wonen-fryslan_2026-10.xlsx"
    raw = _raw_rows(path, partner)
    _mapped, parsed = read(path.read_bytes(), municipality, partner, name=path.name)
    assert min(raw) == 4  # two title rows and the header above the data
    assert parsed.schema["signaaldatum_p"] == pl.Date
    assert parsed.schema["geboortedatum_p"] == pl.Date
    for got in parsed.iter_rows(named=True):
        source = raw[got[SOURCE_ROW]]
        assert isinstance(source["Datum melding"], dt.datetime)
        assert got["signaaldatum_p"] == source["Datum melding"].date()
        assert got["ontstaansdatum_p"] == source["Achterstand sinds"].date()
        assert got["geboortedatum_p"] == source["Geboortedatum"].date()
        amount = source["Huurachterstand"]
        assert got["bedrag_p"] == int(Decimal(repr(amount)) * 100)
        assert got["crisis_p"] is {"Ja": True, "Nee": False}[source["Ontruiming aangezegd"]]
        assert got["signaal_id"] == source["Dossiernummer"]
        assert got["bsn_p"] == source["BSN"]
        assert got["partner_type"] == "Huur"
        assert got["partner_naam"] == "Woongroep Fryslân"


# -- standard file without --partner ---------------------------------------------------------


def test_standard_file_without_partner_takes_the_partner_from_each_row(municipality):
    names = ["Zorgverzekeraar Noord", "  zorgverzekeraar   NOORD ", "ZORGVERZEKERAAR NOORD",
             "Waterbedrijf Noord", "Woongroep Fryslân", "Kredietbank Leeuwarden", ""]
    rows = [row(signaal_id=f"P-{i}", partner_naam=n, partner_type="Overige")
            for i, n in enumerate(names)]
    _mapped, parsed = read(standard_file(rows), municipality, standard_partner())
    assert col(parsed, "partner_id") == [
        "zorg-noord", "zorg-noord", "zorg-noord", "water-noord", "wonen-fryslan",
        "std-kredietbank-leeuwarden", None]
    # The standard format's partner type comes from the row, not from the placeholder partner.
    assert set(col(parsed, "partner_type")) == {"Overige"}


def test_sample_zorg_file_without_partner_gets_the_same_partner_id(municipality):
    data = (SAMPLES / "zorg-noord" / "zorg-noord_2026-10.csv").read_bytes()
    _, parsed = read(data, municipality, standard_partner())
    assert set(col(parsed, "partner_id")) == {"zorg-noord"}
    assert set(col(parsed, "partner_type")) == {"Zorg"}


def test_standard_format_dates_are_iso_whatever_the_partner_configures(municipality):
    partner = Partner(id="iso", name="Iso", partner_type="Water", date_formats=["%d-%m-%Y"])
    data = standard_file([row(signaaldatum="2026-10-14"), row(signaaldatum="14-10-2026")])
    mapped, parsed = read(data, municipality, partner)
    assert set(map(tuple, mapped.date_formats.values())) == {("%Y-%m-%d",)}
    assert col(parsed, "signaaldatum_p") == [dt.date(2026, 10, 14), None]


# -- mapping features ------------------------------------------------------------------------


CUSTOM = Partner(
    id="test-kredietbank",
    name="Kredietbank Test",
    partner_type="Energie",
    csv=CsvOptions(delimiter=","),
    decimal=".",
    date_formats=["%d-%m-%Y"],
    columns={
        "signaal_id": "Nummer",
        "signaaldatum": "Datum melding",
        "ontstaansdatum": "Sinds",
        "bedrag": ColumnSpec(column="Cent", unit="cent"),
        "crisis": ColumnSpec(column="Afsluiting", map={"J": "ja", "N": "nee"}),
        "voornamen": ColumnSpec(columns=["Voornaam", "Tweede naam"]),
        "achternaam": ColumnSpec(columns=["Naam", "Meisjesnaam"], separator="-"),
        "straatnaam": ColumnSpec(column="Adres", pattern=r"^(.*?)\s+\d"),
        "huisnummer": ColumnSpec(column="Adres", pattern=r"\s(\d+\S*)$"),
        "postcode": "Postcode",
        "woonplaats": ColumnSpec(value="Leeuwarden"),
        "geboortedatum": ColumnSpec(column="Geboren", date_formats=["%d/%m/%Y"]),
    },
)
CUSTOM_HEADER = ("  NUMMER ,datum   MELDING,Sinds,cent,Afsluiting,Voornaam,Tweede naam,NAAM,"
                 "Meisjesnaam,Adres,Postcode,Geboren,Eigen veld")


def custom_file(*lines: str) -> bytes:
    return ("\r\n".join([CUSTOM_HEADER, *lines]) + "\r\n").encode()


def test_configured_mapping_features(municipality):
    data = custom_file(
        "K-1,14-10-2026,01-08-2026,21240,J,Anna,Maria,Jansen,Bakker,Kerkstraat 12a,8911 AB,"
        "02/03/1984,x",
        "K-2,14-10-2026,01-08-2026,-5,N,Piet,,Visser,,Lange Laan 3,8912CD,1984-03-02,x",
        "K-3,14-10-2026,01-08-2026,5,X,,,,,Onbekend,8913EF,,x",
        "K-4,14-10-2026,01-08-2026,0,N,,,Smit,,Dorpsweg  140,8914GH,,x",
    )
    mapped, parsed = read(data, municipality, CUSTOM, name="kredietbank.csv")
    # Header matching ignores case and runs of white space.
    assert col(parsed, "signaal_id") == ["K-1", "K-2", "K-3", "K-4"]
    assert mapped.ignored_columns == ["Eigen veld"]
    # columns + separator; an empty part is left out rather than leaving a stray separator.
    assert col(parsed, "voornamen") == ["Anna Maria", "Piet", None, None]
    assert col(parsed, "achternaam") == ["Jansen-Bakker", "Visser", None, "Smit"]
    # value: fixed; partner_type and partner_naam from the configuration.
    assert col(parsed, "woonplaats") == ["Leeuwarden"] * 4
    assert set(col(parsed, "partner_type")) == {"Energie"}
    assert set(col(parsed, "partner_naam")) == {"Kredietbank Test"}
    assert set(col(parsed, "partner_id")) == {"test-kredietbank"}
    # pattern: first group kept; no match is null.
    assert col(parsed, "straatnaam") == ["Kerkstraat", "Lange Laan", None, "Dorpsweg"]
    assert col(parsed, "huisnummer") == ["12a", "3", None, "140"]
    assert col(parsed, "toevoeging_p") == ["A", "", "", ""]
    # map: whole values replaced, unknown values left for validation.
    assert col(parsed, "crisis") == ["ja", "nee", "X", "nee"]
    assert col(parsed, "crisis_p") == [True, False, None, False]
    # unit: cent, including negative and short values.
    assert col(parsed, "bedrag") == ["212.40", "-0.05", "0.05", "0.00"]
    assert col(parsed, "bedrag_p") == [21240, -5, 5, 0]
    # dates: partner formats, and per-column formats that replace them.
    assert mapped.date_formats["signaaldatum"] == ["%d-%m-%Y"]
    assert mapped.date_formats["geboortedatum"] == ["%d/%m/%Y"]
    assert col(parsed, "signaaldatum_p") == [dt.date(2026, 10, 14)] * 4
    assert col(parsed, "geboortedatum_p") == [dt.date(1984, 3, 2), None, None, None]


def test_cents_conversion_of_long_and_padded_values(municipality):
    data = custom_file(*[
        f"K-{i},14-10-2026,01-08-2026,{cents},N,A,,B,,Straat 1,8911AB,,x"
        for i, cents in enumerate(["123456789", "007", "-12345", "99"])
    ])
    _, parsed = read(data, municipality, CUSTOM)
    assert col(parsed, "bedrag") == ["1234567.89", "0.07", "-123.45", "0.99"]
    assert col(parsed, "bedrag_p") == [123456789, 7, -12345, 99]


def test_non_integer_value_in_a_cent_column_is_not_read_as_euros(municipality):
    data = custom_file("K-1,14-10-2026,01-08-2026,16415.0,N,A,,B,,Straat 1,8911AB,,x")
    _, parsed = read(data, municipality, CUSTOM)
    assert col(parsed, "bedrag_p") in ([None], [16415])


def test_missing_configured_source_column_is_rejected(municipality):
    header = CUSTOM_HEADER.replace(",Geboren", "")
    data = (header + "\r\nK-1,14-10-2026,01-08-2026,5,N,A,,B,,Straat 1,8911AB,x\r\n").encode()
    with pytest.raises(DeliveryRejected) as info:
        read(data, municipality, CUSTOM)
    assert info.value.code == "KOLOMMEN_ONTBREKEN"
    assert "Geboren" in info.value.message


def test_unmapped_required_fields_and_incomplete_configuration(municipality):
    assert CUSTOM.unmapped_required() == []
    thin = Partner(id="thin", name="Thin", partner_type="Water",
                   columns={"signaal_id": "Id", "bedrag": "Bedrag", "postcode": "PC"})
    expected = ["signaaldatum", "ontstaansdatum", "crisis", "achternaam", "straatnaam",
                "huisnummer", "woonplaats"]
    assert thin.unmapped_required() == expected  # partner_type/naam come from the config
    with pytest.raises(DeliveryRejected) as info:
        read(b"Id,Bedrag,PC\r\n1,2,8911AB\r\n", municipality, thin)
    assert info.value.code == "CONFIGURATIE_ONVOLLEDIG"
    for name in expected:
        assert name in info.value.message
    assert standard_partner().unmapped_required() == []


# =================================================================================================
# XLSX
# =================================================================================================


WONEN_SAMPLE = SAMPLES / "wonen-fryslan" / "wonen-fryslan_2026-10.xlsx"


def test_sample_workbook_skips_title_rows():
    options = SheetOptions(sheet="Huurachterstanden", header_row=3)
    table = read_xlsx(WONEN_SAMPLE.read_bytes(), options, WONEN_SAMPLE.name)
    workbook = openpyxl.load_workbook(WONEN_SAMPLE)
    sheet = workbook["Huurachterstanden"]
    assert table.columns == [c.value for c in sheet[3]]
    assert col(table.frame, SOURCE_ROW)[0] == 4
    assert table.rows == sheet.max_row - 3
    # The title rows are not data.
    title = sheet["A1"].value
    assert title not in col(table.frame, table.columns[0])


def test_not_a_zip_is_not_xlsx():
    with pytest.raises(DeliveryUnreadable) as info:
        read_xlsx(standard_file([row()]), SheetOptions(), "oud.xlsx")
    assert info.value.code == "GEEN_XLSX"
    assert "oud.xlsx" in info.value.message


def test_truncated_zip_is_damaged():
    data = WONEN_SAMPLE.read_bytes()
    with pytest.raises(DeliveryUnreadable) as info:
        read_xlsx(data[: len(data) // 2], SheetOptions(), "half.xlsx")
    assert info.value.code == "XLSX_BESCHADIGD"


def test_zip_that_is_not_a_workbook_is_damaged():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "dit is geen werkmap " * 20)
    with pytest.raises(DeliveryUnreadable) as info:
        read_xlsx(buffer.getvalue(), SheetOptions(), "zip.xlsx")
    assert info.value.code == "XLSX_BESCHADIGD"


def test_zip_bomb_is_refused_without_inflating():
    buffer = io.BytesIO()
    chunk = bytes(1024 * 1024)
    megabytes = 520
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024
    inflated = megabytes * 1024 * 1024
    assert inflated > MAX_INFLATED_BYTES and inflated / len(data) > MAX_COMPRESSION_RATIO

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DeliveryUnreadable) as info:
            read_xlsx(data, SheetOptions(), "bom.xlsx")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.code == "XLSX_TE_GROOT"
    assert "520 MB" in info.value.message
    assert elapsed < 2
    assert peak < 32 * 1024 * 1024  # nothing near the inflated size was ever allocated


def test_missing_sheet_names_the_configured_sheet_only():
    options = SheetOptions(sheet="Achterstanden", header_row=3)
    with pytest.raises(DeliveryUnreadable) as info:
        read_xlsx(WONEN_SAMPLE.read_bytes(), options, "wonen.xlsx")
    assert info.value.code == "WERKBLAD_ONTBREEKT"
    assert "Achterstanden" in info.value.message
    # The workbook's own sheet names are content (issue 19): counted, not shown.
    assert "Huurachterstanden" not in info.value.message


def _workbook(build) -> bytes:
    workbook = openpyxl.Workbook()
    build(workbook.active)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_titles_empty_rows_and_typed_cells():
    def build(sheet):
        sheet.title = "Gegevens"
        rows = {
            1: ["Export achterstanden"],  # a title row; row 2 stays empty
            3: ["Nummer", "Datum", "Bedrag", "Huisnummer", "Crisis"],
            4: ["N-1", dt.datetime(2026, 10, 14), 620.5, 12, True],
            6: ["N-2", dt.date(2026, 10, 15), 0.1, "12a", False],
            7: ["   ", None, "", None, None],  # white space only
            8: ["N-3", dt.datetime(2026, 10, 16, 9, 30), 1234.0, None, None],
        }
        for number, values in rows.items():
            for column, value in enumerate(values, start=1):
                sheet.cell(row=number, column=column, value=value)
        sheet["B5"].font = openpyxl.styles.Font(bold=True)  # formatted but empty

    table = read_xlsx(_workbook(build), SheetOptions(sheet="Gegevens", header_row=3), "w.xlsx")
    assert table.columns == ["Nummer", "Datum", "Bedrag", "Huisnummer", "Crisis"]
    assert col(table.frame, SOURCE_ROW) == [4, 6, 8]
    assert col(table.frame, "Nummer") == ["N-1", "N-2", "N-3"]
    assert col(table.frame, "Datum") == ["2026-10-14", "2026-10-15", "2026-10-16T09:30:00"]
    assert col(table.frame, "Bedrag") == ["620.5", "0.1", "1234"]
    assert col(table.frame, "Huisnummer") == ["12", "12a", None]
    assert col(table.frame, "Crisis") == ["ja", "nee", None]
    assert col(table.frame, READ_PROBLEM) == [None, None, None]


def test_xlsx_header_row_missing_is_empty():
    with pytest.raises(DeliveryUnreadable) as info:
        read_xlsx(_workbook(lambda s: s.append(["a", "b"])), SheetOptions(header_row=3), "k.xlsx")
    assert info.value.code == "BESTAND_LEEG"
    assert "rij 3" in info.value.message


def test_cell_text():
    assert cell_text(None) is None
    assert cell_text(12.0) == "12"
    assert cell_text(0.1) == "0.1"
    assert cell_text(212.4) == "212.4"
    assert cell_text(7) == "7"
    assert cell_text(dt.datetime(2026, 1, 2)) == "2026-01-02"
    assert cell_text(dt.date(2026, 1, 2)) == "2026-01-02"
    assert cell_text(True) == "ja" and cell_text(False) == "nee"
    assert cell_text("  tekst ") == "  tekst "


# =================================================================================================
# JSON
# =================================================================================================


def test_json_array_of_objects(municipality):
    partner = Partner(id="json-std", name="Json", partner_type="Zorg", format="json")
    data = ('[{"signaal_id": "J-1", "partner_type": "Zorg", "partner_naam": "Zorg J", '
            '"signaaldatum": "2026-10-14", "ontstaansdatum": "2026-08-01", "bedrag": 212.4, '
            '"crisis": false, "voornamen": null, "tussenvoegsel": null, "achternaam": "Vries", '
            '"straatnaam": "Kanaalweg", "postcode": "8912 AB", "huisnummer": 14, '
            '"huisnummertoevoeging": "A", "woonplaats": "Leeuwarden", "telefoon": null}]')
    _mapped, parsed = read(data.encode(), municipality, partner, name="levering.json")
    got = parsed.row(0, named=True)
    assert got["signaal_id"] == "J-1"
    assert got["bedrag_p"] == 21240
    assert got["crisis_p"] is False
    assert got["huisnummer_p"] == "14"
    assert got["postcode_p"] == "8912AB"
    assert got[SOURCE_ROW] == 1
    assert got["partner_id"] == "json-std"


def test_json_lines_with_blank_and_broken_lines():
    data = (b'{"a": "1", "b": 2}\n'
            b'\n'
            b'{"a": "3", "c": true}\n'
            b'{"a": "4", broken\n'
            b'{"a": "5"}\n')
    table = read_json(data, "utf-8", "x.jsonl")
    assert table.columns == ["a", "b", "c"]
    assert col(table.frame, SOURCE_ROW) == [1, 3, 4, 5]
    assert col(table.frame, "a") == ["1", "3", None, "5"]
    assert col(table.frame, "b") == ["2", None, None, None]
    assert col(table.frame, "c") == [None, "ja", None, None]
    assert col(table.frame, READ_PROBLEM) == [None, None, "RIJ_ONLEESBAAR", None]


def test_json_nested_value_is_flagged():
    data = b'[{"a": "1", "b": {"x": 1}}, {"a": "2", "b": [1, 2]}, {"a": "3", "b": "ok"}, 7]'
    table = read_json(data, "utf-8", "x.json")
    assert col(table.frame, READ_PROBLEM) == ["GENEST_VELD", "GENEST_VELD", None,
                                              "RIJ_ONLEESBAAR"]
    assert col(table.frame, "b") == [None, None, "ok", None]
    assert table.rows == 4


@pytest.mark.parametrize("document", [b'"hallo"', b"42", b"null", b"true"])
def test_json_scalar_document_is_rejected(document):
    with pytest.raises(DeliveryUnreadable) as info:
        read_json(document, "utf-8", "x.json")
    assert info.value.code == "GEEN_JSON"


def test_json_garbage_is_rejected():
    with pytest.raises(DeliveryUnreadable) as info:
        read_json(b"dit is geen json\nook dit niet\n", "utf-8", "x.json")
    assert info.value.code == "GEEN_JSON"


def test_json_lines_with_one_record_is_read():
    table = read_json(b'{"a": "1", "b": "2"}\n', "utf-8", "x.jsonl")
    assert table.rows == 1
    assert col(table.frame, "a") == ["1"]


def test_json_lines_split_on_newline_only():
    record = json.dumps({"a": "2", "naam": "Jan\u2028sen"}, ensure_ascii=False)
    data = ('{"a": "1"}\n' + record + '\n{"a": "3"}\n').encode()
    table = read_json(data, "utf-8", "x.jsonl")
    assert col(table.frame, SOURCE_ROW) == [1, 2, 3]
    assert col(table.frame, "naam") == [None, "Jan\u2028sen", None]


def test_csv_keeps_unicode_line_separators_inside_a_field(municipality):
    data = standard_file([row(signaal_id="U-1", straatnaam="Kerk\u2028str\x85aat"),
                          row(signaal_id="U-2")])
    _, parsed = read(data, municipality)
    assert col(parsed, "straatnaam") == ["Kerk\u2028str\x85aat", "Proefstraat"]
    assert col(parsed, SOURCE_ROW) == [2, 3]


# =================================================================================================
# Address normalisation and BSN
# =================================================================================================


def _apply(expr: pl.Expr, **columns: list) -> list:
    return pl.DataFrame(columns, schema={k: pl.String for k in columns}).select(
        expr.alias("out")).get_column("out").to_list()


def test_postcode_normal_form():
    values = ["1234 ab", "1234AB", " 1234ab ", "1234  Ab", "0123AB", "1234A", "12345", "1234ABC",
              "ABCD12", "", None]
    assert _apply(address.postcode(pl.col("p")), p=values) == [
        "1234AB", "1234AB", "1234AB", "1234AB", None, None, None, None, None, None, None]
    assert [address.normalise_postcode(v) for v in values[:-1]] == [
        "1234AB", "1234AB", "1234AB", "1234AB", None, None, None, None, None, None]
    assert _apply(address.pc4(pl.col("p")), p=["8911AB", None]) == [8911, None]


def test_house_number_and_addition():
    numbers = ["12-a", "12 A", "12a", "012", "12", "7 2-hoog", "a12", "", "12-a"]
    additions = ["", None, "", "", "a", "", "", "", "B"]
    assert _apply(address.house_number(pl.col("n")), n=numbers) == [
        "12", "12", "12", "12", "12", "7", None, None, "12"]
    assert _apply(address.addition(pl.col("n"), pl.col("t")), n=numbers, t=additions) == [
        "A", "A", "A", "", "A", "2HOOG", "", "", "B"]  # the separate field wins


def test_household_key_is_one_for_four_spellings():
    spellings = [("1234 ab", "12-a", ""), ("1234AB", "12 A", ""), ("1234ab", "12", "a"),
                 ("1234 AB", "12A", "")]
    p, n, t = (list(x) for x in zip(*spellings, strict=True))
    key = address.household_key(
        address.postcode(pl.col("p")), address.house_number(pl.col("n")),
        address.addition(pl.col("n"), pl.col("t")))
    assert _apply(key, p=p, n=n, t=t) == ["1234AB|12|A"] * 4
    # A different addition is a different household.
    assert _apply(key, p=["1234AB", "1234AB"], n=["12", "12b"], t=["", ""]) == [
        "1234AB|12|", "1234AB|12|B"]


def test_bsn_and_elfproef():
    values = ["999990019", "111222333", "123456789", "12345672", "9999.900.19", "000000000",
              "12345", "1234567890", "abcdefghi"]
    digits = _apply(bsn(pl.col("b")), b=values)
    assert digits == ["999990019", "111222333", "123456789", "012345672", "999990019",
                      "000000000", None, None, None]
    present = [d for d in digits if d is not None]
    assert _apply(elfproef(pl.col("b")), b=present) == [True, True, False, True, True, False]


def test_parsed_bsn_columns_in_a_delivery(municipality):
    rows = [row(signaal_id=f"N-{i}", bsn=v)
            for i, v in enumerate(["999990019", "123456789", "12345672", "", "12AB"])]
    _, parsed = read(standard_file(rows), municipality)
    assert col(parsed, "bsn_p") == ["999990019", "123456789", "012345672", None, None]
    assert col(parsed, "bsn_elfproef") == [True, False, True, None, None]


@pytest.mark.parametrize("text", [
    "a;b;c\n1;2;3\n",
    "a;b;c\r\n1;2;3\r\n\r\n   \r\n4;5\r\n6;7;8;9\r\n;;\r\n",  # blank, short, long, empty rows
    "\n\n a ;b\r1;2\r",  # blank lines before the header, old Mac line ends
    "a;b\n1;2",  # no line end after the last row
    "a;b\n",  # a header only
    "a;b\n\u00a0\n1;\u00a0\n \t \n;\n",  # white space that is not a row, and that is a field
    "x\n1\n \n2\n",  # one column
    "a;;b\n1;2;3\n",  # an unnamed column
])
def test_unquoted_fast_path_gives_the_general_readers_table(text):
    """A file without quote characters is read in polars; the table must be the general
    reader's, cell for cell, row numbers and reading problems included."""
    from polars.testing import assert_frame_equal

    from connectors.csv_reader import _read_general, _read_unquoted

    options = standard_partner().csv
    fast = _read_unquoted(text, options, "f.csv")
    general = _read_general(text, [], options, "f.csv")
    assert fast is not None
    assert fast.columns == general.columns
    assert_frame_equal(fast.frame, general.frame)


def test_a_quote_or_odd_white_space_takes_the_general_reader():
    from connectors.csv_reader import _read_unquoted

    options = standard_partner().csv
    assert _read_unquoted('a;b\n"1";2\n', options, "f.csv") is None
    assert _read_unquoted("a;b\n\x1f\n", options, "f.csv") is None
