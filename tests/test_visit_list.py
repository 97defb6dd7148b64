"""Visit list rendering (CSV and XLSX) and the reasons text, from hand-built ranked households.

The ranked dicts have the shape of sql/model/visit_list.sql's output; identities are what the
vault returns per household, newest first. No warehouse or vault is needed to render a list.
"""

from __future__ import annotations

import csv
import hashlib
import io

import openpyxl
import pytest

from publishing.visit_list import (
    LIST_COLUMNS,
    ListRow,
    build_rows,
    full_name,
    neutralise,
    render_csv,
    render_xlsx,
    write_list,
)
from scoring.reasons import ARREARS, euros, reasons
from vroeg.config import Scoring

RULES = Scoring()


def household(rang: int, pseudonym: str, types: list[str], cents: int, *, crisis: bool = False,
              amount_points: int = 0, rules: Scoring = RULES) -> dict:
    """A ranked household as visit_list.sql returns it, with points computed by the rules."""
    by_type = [{"partner_type": t, "punten": rules.partner_type_points.get(
        t, rules.other_partner_type_points)} for t in types]
    multiple = rules.multiple_points if len(set(types)) > 1 else 0
    crisis_points = rules.crisis_points if crisis else 0
    return {
        "rang": rang,
        "huishouden_pseudoniem": pseudonym,
        "signalen": len(types),
        "partnertypes": types,
        "totaal_bedrag_cent": cents,
        "crisis": crisis,
        "punten_partnertype": by_type,
        "punten_bedrag": amount_points,
        "punten_meervoudig": multiple,
        "punten_crisis": crisis_points,
        "score": sum(p["punten"] for p in by_type) + amount_points + multiple + crisis_points,
    }


def person(voornamen="Anna", tussenvoegsel="de", achternaam="Vries", straatnaam="Kanaalweg",
           postcode="8912AB", huisnummer="14", huisnummertoevoeging="A", woonplaats="Leeuwarden",
           telefoon="0581234567") -> dict:
    return {
        "voornamen": voornamen, "tussenvoegsel": tussenvoegsel, "achternaam": achternaam,
        "straatnaam": straatnaam, "postcode": postcode, "huisnummer": huisnummer,
        "huisnummertoevoeging": huisnummertoevoeging, "woonplaats": woonplaats,
        "telefoon": telefoon,
    }


def parse_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.fixture
def ranked() -> tuple[list[dict], dict[str, list[dict]]]:
    households = [
        household(1, "hh-crisis", ["Huur", "Energie"], 123456, crisis=True, amount_points=24),
        household(2, "hh-zorg", ["Zorg"], 8050, amount_points=1),
        household(3, "hh-none", ["Water"], 7, amount_points=0),
    ]
    identities = {
        "hh-crisis": [
            person(),
            person(voornamen="Piet", tussenvoegsel=None, achternaam="Jansen",
                   straatnaam="Oudeweg", postcode="8911CC", huisnummer="3",
                   huisnummertoevoeging=None, telefoon="0612345678"),
            person(straatnaam="Oudeweg", telefoon="0581234567"),  # Anna again, older address
        ],
        "hh-zorg": [person(voornamen="J.", tussenvoegsel="", achternaam="Bakker",
                           huisnummertoevoeging="", telefoon=None)],
        # hh-none: no identity found (it stays on the list, without name and address)
    }
    return households, identities


# =================================================================================================
# Rows
# =================================================================================================


def test_build_rows_names_addresses_and_reasons(ranked):
    households, identities = ranked
    rows = build_rows(households, identities, RULES)
    assert [r.rang for r in rows] == [1, 2, 3]
    first = rows[0]
    # Several people: distinct, newest first, joined with " / ".
    assert first.naam == "Anna de Vries / Piet Jansen"
    assert first.telefoon == "0581234567 / 0612345678"
    # The address is the newest identity's.
    assert (first.straatnaam, first.postcode, first.huisnummer, first.huisnummertoevoeging,
            first.woonplaats) == ("Kanaalweg", "8912AB", "14", "A", "Leeuwarden")
    assert first.signalen == "Huur, Energie"
    assert first.score == households[0]["score"] == 30 + 20 + 20 + 100 + 24
    assert first.crisis is True
    assert first.redenen == reasons(households[0], RULES)
    assert rows[1].naam == "J. Bakker"
    assert rows[1].telefoon == ""
    assert rows[1].huisnummertoevoeging == ""
    assert (rows[2].naam, rows[2].straatnaam, rows[2].postcode) == ("", "", "")
    assert rows[2].totaal_bedrag_cent == 7


def test_full_name_skips_empty_parts():
    assert full_name({"voornamen": "Anna Maria", "tussenvoegsel": "van der",
                      "achternaam": "Berg"}) == "Anna Maria van der Berg"
    assert full_name({"voornamen": None, "tussenvoegsel": "", "achternaam": "Berg"}) == "Berg"
    assert full_name({}) == ""


# =================================================================================================
# CSV
# =================================================================================================


def test_csv_format_bom_delimiter_header_amounts(ranked):
    households, identities = ranked
    data = render_csv(build_rows(households, identities, RULES))
    assert data.startswith(b"\xef\xbb\xbf" + ";".join(LIST_COLUMNS).encode() + b"\r\n")
    records = parse_csv(data)
    assert records[0] == list(LIST_COLUMNS)
    body = [dict(zip(LIST_COLUMNS, r, strict=True)) for r in records[1:]]
    assert [r["rang"] for r in body] == ["1", "2", "3"]
    assert [r["totaal_bedrag"] for r in body] == ["1234,56", "80,50", "0,07"]
    assert [r["crisis"] for r in body] == ["ja", "nee", "nee"]
    assert body[0]["naam"] == "Anna de Vries / Piet Jansen"
    assert body[0]["score"] == str(households[0]["score"])
    assert body[0]["signalen"] == "Huur, Energie"
    assert body[0]["redenen"].startswith("Crisissignaal")
    assert "€ 1.234,56" in body[0]["redenen"]


def test_csv_negative_and_large_amounts():
    def amount(cents: int) -> str:
        row = ListRow(1, 1, "", "", "", "", "", "", "", "", cents, False, "")
        return parse_csv(render_csv([row]))[1][LIST_COLUMNS.index("totaal_bedrag")]
    assert amount(-5) == "-0,05"
    assert amount(100_000_000) == "1000000,00"  # no thousands grouping in the CSV
    assert amount(0) == "0,00"


HOSTILE = ['=HYPERLINK("http://x")', "+31612345678", "-5", "@SUM(A1)", "\tTab", "\rCR"]


def hostile_rows() -> list[ListRow]:
    rows = []
    for i, text in enumerate(HOSTILE, start=1):
        rows.append(ListRow(
            rang=i, score=10, naam=text, straatnaam=text, postcode=text, huisnummer=text,
            huisnummertoevoeging=text, woonplaats=text, telefoon=text, signalen=text,
            totaal_bedrag_cent=12345, crisis=False, redenen=text,
        ))
    return rows


TEXT_COLUMNS = ("naam", "straatnaam", "postcode", "huisnummer", "huisnummertoevoeging",
                "woonplaats", "telefoon", "signalen", "redenen")


def test_neutralise():
    for text in HOSTILE:
        assert neutralise(text) == "'" + text
    for text in ("Jansen", "1234AB", "'al geciteerd", " =spatie", "12-a"):
        assert neutralise(text) == text
    assert neutralise(None) == "" and neutralise("") == ""


def test_csv_formula_injection_is_neutralised():
    records = parse_csv(render_csv(hostile_rows()))
    assert len(records) == len(HOSTILE) + 1
    for text, record in zip(HOSTILE, records[1:], strict=True):
        cells = dict(zip(LIST_COLUMNS, record, strict=True))
        for name in TEXT_COLUMNS:
            assert cells[name] == "'" + text, (name, text)
        assert cells["totaal_bedrag"] == "123,45"


def test_csv_keeps_delimiters_and_quotes_inside_names():
    row = ListRow(1, 5, 'Jansen; "Piet"', "Straat\nmet regel", "8911AB", "1", "", "Leeuwarden",
                  "", "Huur", 100, True, "Huurachterstand (+30)")
    record = parse_csv(render_csv([row]))[1]
    assert record[LIST_COLUMNS.index("naam")] == 'Jansen; "Piet"'
    assert record[LIST_COLUMNS.index("straatnaam")] == "Straat\nmet regel"
    assert len(record) == len(LIST_COLUMNS)


# =================================================================================================
# XLSX
# =================================================================================================


def test_xlsx_has_no_formulas_numeric_amounts_and_an_explanation_sheet():
    about = [("Gemeente", "Leeuwarden (0080)"), ("Opmerking", "=1+1")]
    data = render_xlsx(hostile_rows(), title="Bezoeklijst Wijkteam Centrum 2026-10", about=about)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Bezoeklijst", "Toelichting"]
    sheet = workbook["Bezoeklijst"]
    assert [c.value for c in sheet[1]] == list(LIST_COLUMNS)
    for cells in sheet.iter_rows():
        for cell in cells:
            assert cell.data_type != "f", cell.coordinate
    for r, text in enumerate(HOSTILE, start=2):
        values = {name: sheet.cell(row=r, column=i + 1) for i, name in enumerate(LIST_COLUMNS)}
        for name in TEXT_COLUMNS:
            assert values[name].data_type == "s"
            # Typed text in Text format ("@"): shown as sent, never evaluated, so no leading
            # quote. xlsxwriter stores a carriage return as the OOXML escape _x000D_, which Excel
            # reads back as CR; openpyxl leaves the escape as it is.
            assert values[name].value.replace("_x000D_", "\r") == text, (name, text)
            assert values[name].number_format == "@"
        amount = values["totaal_bedrag"]
        assert amount.data_type == "n" and amount.value == pytest.approx(123.45)
        assert "€" in amount.number_format
        assert values["rang"].data_type == "n" and values["rang"].value == r - 1
        assert values["score"].value == 10
        assert values["crisis"].value == "nee"
    info = workbook["Toelichting"]
    assert info["A1"].value == "Bezoeklijst Wijkteam Centrum 2026-10"
    assert (info["A3"].value, info["B3"].value) == ("Gemeente", "Leeuwarden (0080)")
    assert (info["A4"].value, info["B4"].value) == ("Opmerking", "=1+1")
    assert info["B4"].data_type == "s" and info["B4"].number_format == "@"
    for cells in info.iter_rows():
        assert all(c.data_type != "f" for c in cells)


def test_xlsx_matches_the_csv(ranked):
    households, identities = ranked
    rows = build_rows(households, identities, RULES)
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(rows, title="t", about=[])))
    sheet = workbook["Bezoeklijst"]
    records = parse_csv(render_csv(rows))
    for r, record in enumerate(records[1:], start=2):
        for c, name in enumerate(LIST_COLUMNS, start=1):
            value = sheet.cell(row=r, column=c).value
            if name == "totaal_bedrag":
                assert f"{value:.2f}".replace(".", ",") == record[c - 1]
            elif name in ("rang", "score"):
                assert str(value) == record[c - 1]
            else:
                assert (value or "") == record[c - 1], name
    assert sheet.max_row == len(rows) + 1


def test_write_list_writes_both_files(tmp_path, ranked):
    households, identities = ranked
    rows = build_rows(households, identities, RULES)
    written = write_list(tmp_path / "wt-centrum", "bezoeklijst_wt-centrum_x", "wt-centrum", rows,
                         title="Bezoeklijst", about=[("Run", "x")])
    assert (written.households, written.crisis, written.wijkteam) == (3, 1, "wt-centrum")
    assert written.csv_path.read_bytes() == render_csv(rows)
    assert written.csv_sha256 == hashlib.sha256(render_csv(rows)).hexdigest()
    assert openpyxl.load_workbook(written.xlsx_path).sheetnames == ["Bezoeklijst", "Toelichting"]
    assert sorted(p.name for p in (tmp_path / "wt-centrum").iterdir()) == [
        "bezoeklijst_wt-centrum_x.csv", "bezoeklijst_wt-centrum_x.xlsx"]  # no temporary files


# =================================================================================================
# scoring.reasons
# =================================================================================================


@pytest.mark.parametrize(("cents", "text"), [
    (123456, "€ 1.234,56"), (0, "€ 0,00"), (5, "€ 0,05"), (100, "€ 1,00"),
    (123456789, "€ 1.234.567,89"), (-123456, "-€ 1.234,56"), (-5, "-€ 0,05"),
])
def test_euros(cents, text):
    assert euros(cents) == text


def test_reasons_crisis_household_exact_text():
    text = reasons(household(1, "h", ["Huur", "Energie"], 123456, crisis=True, amount_points=24),
                   RULES)
    assert text == (
        "Crisissignaal: ontruiming of afsluiting aangekondigd (+100); huurachterstand (+30); "
        "energieachterstand (+20); meervoudig: signalen van 2 soorten partners deze maand (+20); "
        "totale achterstand € 1.234,56 (+24, 1 punt per € 50,00, max 30)"
    )


def test_reasons_without_crisis_or_multiple():
    text = reasons(household(2, "h", ["Zorg"], 8050, amount_points=1), RULES)
    assert text.startswith("Achterstand zorgverzekering (+10); ")
    assert "risis" not in text and "meervoudig" not in text
    assert text.endswith("totale achterstand € 80,50 (+1, 1 punt per € 50,00, max 30)")


def test_reasons_name_every_partner_type_with_its_points():
    rules = Scoring(partner_type_points={"Huur": 30, "DUO": 15}, other_partner_type_points=5,
                    euros_per_amount_point=25, amount_points_max=40, crisis_points=200)
    types = list(ARREARS)
    row = household(1, "h", types, 250_000, crisis=True, amount_points=40, rules=rules)
    text = reasons(row, rules)
    assert text.index("Crisissignaal") == 0 and "(+200)" in text
    for item in row["punten_partnertype"]:
        fragment = f"{ARREARS[item['partner_type']]} (+{item['punten']})"
        assert fragment in text, fragment
    assert "achterstand studieschuld (DUO) (+15)" in text
    assert "hypotheekachterstand (+5)" in text
    assert f"meervoudig: signalen van {len(types)} soorten partners deze maand (+20)" in text
    assert "totale achterstand € 2.500,00 (+40, 1 punt per € 25,00, max 40)" in text
    # Order: crisis, partner types, multiple, amount.
    assert text.index("Crisis") < text.index("huurachterstand") < text.index("meervoudig") \
        < text.index("totale achterstand")


def test_reasons_unknown_partner_type_and_no_partner_points():
    row = household(1, "h", ["Huur", "Gemeentelijke Kredietbank"], 10_000, amount_points=2)
    assert "; gemeentelijke kredietbank (+10); " in reasons(row, RULES)
    row = household(1, "h", ["Gemeentelijke Kredietbank"], 10_000, amount_points=2)
    assert reasons(row, RULES).startswith("Gemeentelijke kredietbank (+10); ")
    row["punten_partnertype"] = []
    text = reasons(row, RULES)
    assert text.startswith("Totale achterstand € 100,00 (+2")


def test_reasons_mention_multiple_only_with_points():
    row = household(1, "h", ["Huur", "Water"], 10_000, amount_points=2)
    assert "meervoudig" in reasons(row, RULES)
    row["punten_meervoudig"] = 0
    assert "meervoudig" not in reasons(row, RULES)
