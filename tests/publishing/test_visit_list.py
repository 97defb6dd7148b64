"""Visit list rendering (CSV and XLSX) and the reasons text, from hand-built ranked households.

The ranked dicts have the shape of sql/model/visit_list.sql's output; identities are what the
vault returns per household, newest first. No warehouse or vault is needed to render a list.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import openpyxl
import pytest

from publishing.visit_list import (
    COLUMNS,
    LABELS,
    LIST_COLUMNS,
    POINT_COLUMNS,
    ListRow,
    PageHeading,
    build_rows,
    neutralise,
    render_csv,
    render_xlsx,
    workbook_worker,
    write_list,
)
from scoring.explanations import ARREARS, advice, bill_months, follow_up, reasons
from vroeg.config import Scoring
from vroeg.formats import euros, full_name

RULES = Scoring()
HEADING = PageHeading(team="Wijkteam Centrum & Oost", period="oktober 2026",
                      rules_version="a1b2c3d4e5f6")


def household(rang: int, pseudonym: str, types: list[str], cents: int, *, crisis: bool = False,
              amount_points: int = 0, mille: int = 0, months: int = 0, duration_points: int = 0,
              previous: dt.date | None = None, sectie: str = "bezoeklijst",
              rules: Scoring = RULES) -> dict:
    """A ranked household as visit_list.sql returns it, with points computed by the rules."""
    by_type = [{"partner_type": t, "punten": rules.partner_type_points.get(
        t, rules.other_partner_type_points)} for t in types]
    multiple = rules.multiple_points * (len(set(types)) - 1)
    crisis_points = rules.crisis_points if crisis else 0
    consecutive = rules.consecutive_points if previous else 0
    return {
        "rang": rang,
        "sectie": sectie,
        "huishouden_pseudoniem": pseudonym,
        "signalen": len(types),
        "partnertypes": types,
        "totaal_bedrag_cent": cents,
        "maandbedragen_mille": mille,
        "oudste_ontstaansdatum": dt.date(2026, 10, 31) - dt.timedelta(days=31 * months),
        "maanden_achterstand": months,
        "vorig_signaal": previous,
        "bedrag_gestegen": False,
        "crisis": crisis,
        "leeftijdsgroepen": [],
        "punten_partnertype": by_type,
        "punten_bedrag": amount_points,
        "punten_duur": duration_points,
        "punten_meervoudig": multiple,
        "punten_opeenvolgend": consecutive,
        "punten_crisis": crisis_points,
        "punten_leeftijd": 0,
        "score": (sum(p["punten"] for p in by_type) + amount_points + duration_points + multiple
                  + consecutive + crisis_points),
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
        household(1, "hh-crisis", ["Huur", "Energie"], 123456, crisis=True, amount_points=15,
                  mille=3793, months=3, duration_points=6),
        household(2, "hh-zorg", ["Zorg"], 8050, amount_points=2, mille=536),
        household(3, "hh-none", ["Water"], 7, amount_points=0, mille=2, sectie="wachtlijst"),
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
    assert first.score == households[0]["score"] == 100 + 30 + 20 + 20 + 15 + 6
    assert first.crisis is True
    assert first.redenen == reasons(households[0], RULES)
    # The points per rule add up to the score, and the advice follows crisis and section.
    assert first.punten == {"punten_crisis": 100, "punten_partnertype": 50,
                            "punten_meervoudig": 20, "punten_bedrag": 15, "punten_duur": 6,
                            "punten_opeenvolgend": 0, "punten_leeftijd": 0,
                            "punten_minderjarigen": 0}
    assert sum(first.punten.values()) == first.score
    assert [r.advies for r in rows] == ["binnen 3 werkdagen", "binnen 4 weken", "als er ruimte is"]
    assert [r.sectie for r in rows] == ["bezoeklijst", "bezoeklijst", "wachtlijst"]
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


def test_first_model_columns_keep_their_place():
    """Tools reading the first model's thirteen columns keep working: new ones come after."""
    assert LIST_COLUMNS == COLUMNS[:13] == (
        "rang", "score", "naam", "straatnaam", "postcode", "huisnummer", "huisnummertoevoeging",
        "woonplaats", "telefoon", "signalen", "totaal_bedrag", "crisis", "redenen")
    assert COLUMNS[13:] == ("advies", "schuldeisers", "sectie", *POINT_COLUMNS)


def test_csv_format_bom_delimiter_header_amounts(ranked):
    households, identities = ranked
    data = render_csv(build_rows(households, identities, RULES))
    assert data.startswith(b"\xef\xbb\xbf" + ";".join(COLUMNS).encode() + b"\r\n")
    records = parse_csv(data)
    assert records[0] == list(COLUMNS)
    body = [dict(zip(COLUMNS, r, strict=True)) for r in records[1:]]
    assert [r["rang"] for r in body] == ["1", "2", "3"]
    assert [r["totaal_bedrag"] for r in body] == ["1234,56", "80,50", "0,07"]
    assert [r["crisis"] for r in body] == ["ja", "nee", "nee"]
    assert [r["sectie"] for r in body] == ["bezoeklijst", "bezoeklijst", "wachtlijst"]
    assert [r["advies"] for r in body] == ["binnen 3 werkdagen", "binnen 4 weken",
                                           "als er ruimte is"]
    for r in body:
        assert sum(int(r[name]) for name in POINT_COLUMNS) == int(r["score"])
    assert body[0]["naam"] == "Anna de Vries / Piet Jansen"
    assert body[0]["score"] == str(households[0]["score"])
    assert body[0]["signalen"] == "Huur, Energie"
    assert body[0]["redenen"].startswith("Crisissignaal")
    assert "€ 1.234,56" in body[0]["redenen"]


def test_csv_negative_and_large_amounts():
    def amount(cents: int) -> str:
        row = ListRow(1, 1, "", "", "", "", "", "", "", "", cents, False, "")
        assert parse_csv(render_csv([row]))[1][COLUMNS.index("sectie")] == "bezoeklijst"
        return parse_csv(render_csv([row]))[1][COLUMNS.index("totaal_bedrag")]
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
            totaal_bedrag_cent=12345, crisis=False, redenen=text, advies=text,
        ))
    return rows


TEXT_COLUMNS = ("naam", "straatnaam", "postcode", "huisnummer", "huisnummertoevoeging",
                "woonplaats", "telefoon", "signalen", "redenen", "advies")


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
        cells = dict(zip(COLUMNS, record, strict=True))
        for name in TEXT_COLUMNS:
            assert cells[name] == "'" + text, (name, text)
        assert cells["totaal_bedrag"] == "123,45"


def test_csv_keeps_delimiters_and_quotes_inside_names():
    row = ListRow(1, 5, 'Jansen; "Piet"', "Straat\nmet regel", "8911AB", "1", "", "Leeuwarden",
                  "", "Huur", 100, True, "Huurachterstand (+30)")
    record = parse_csv(render_csv([row]))[1]
    assert record[COLUMNS.index("naam")] == 'Jansen; "Piet"'
    assert record[COLUMNS.index("straatnaam")] == "Straat\nmet regel"
    assert len(record) == len(COLUMNS)


# =================================================================================================
# XLSX
# =================================================================================================


def test_xlsx_has_no_formulas_numeric_amounts_and_an_explanation_sheet():
    about = [("Gemeente", "Leeuwarden (0080)"), ("Opmerking", "=1+1")]
    data = render_xlsx(hostile_rows(), title="Bezoeklijst Wijkteam Centrum 2026-10", about=about,
                       heading=HEADING)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Bezoeklijst", "Wachtlijst", "Toelichting"]
    # An empty waiting list still has its header, so a coordinator sees the same columns.
    assert [c.value for c in workbook["Wachtlijst"][1]] == [LABELS[c] for c in COLUMNS]
    assert workbook["Wachtlijst"].max_row == 1
    sheet = workbook["Bezoeklijst"]
    assert [c.value for c in sheet[1]] == [LABELS[c] for c in COLUMNS]
    for cells in sheet.iter_rows():
        for cell in cells:
            assert cell.data_type != "f", cell.coordinate
    for r, text in enumerate(HOSTILE, start=2):
        values = {name: sheet.cell(row=r, column=i + 1) for i, name in enumerate(COLUMNS)}
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
    """The CSV's rows, split by section: the bezoeklijst on one sheet, the wachtlijst on another."""
    households, identities = ranked
    rows = build_rows(households, identities, RULES)
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(rows, title="t", about=[],
                                                             heading=HEADING)))
    records = parse_csv(render_csv(rows))[1:]
    section = COLUMNS.index("sectie")
    sheets = [(workbook["Bezoeklijst"], [r for r in records if r[section] == "bezoeklijst"]),
              (workbook["Wachtlijst"], [r for r in records if r[section] == "wachtlijst"])]
    assert [len(expected) for _, expected in sheets] == [2, 1]
    for sheet, expected in sheets:
        for r, record in enumerate(expected, start=2):
            for c, name in enumerate(COLUMNS, start=1):
                value = sheet.cell(row=r, column=c).value
                if name == "totaal_bedrag":
                    assert f"{value:.2f}".replace(".", ",") == record[c - 1]
                elif name in ("rang", "score", *POINT_COLUMNS):
                    assert str(value) == record[c - 1], name
                elif name == "huisnummer":  # a number when it is one
                    assert str(value if value is not None else "") == record[c - 1]
                else:
                    assert (value or "") == record[c - 1], name
        assert sheet.max_row == len(expected) + 1


def test_write_list_writes_both_files(tmp_path, ranked):
    households, identities = ranked
    rows = build_rows(households, identities, RULES)
    written = write_list(tmp_path / "wt-centrum", "bezoeklijst_wt-centrum_x", "wt-centrum", rows,
                         title="Bezoeklijst", about=[("Run", "x")], heading=HEADING)
    assert (written.households, written.waiting, written.crisis, written.wijkteam) == (
        2, 1, 1, "wt-centrum")
    assert written.csv_path.read_bytes() == render_csv(rows)
    assert written.csv_sha256 == hashlib.sha256(render_csv(rows)).hexdigest()
    assert openpyxl.load_workbook(written.xlsx_path).sheetnames == [
        "Bezoeklijst", "Wachtlijst", "Toelichting"]
    assert sorted(p.name for p in (tmp_path / "wt-centrum").iterdir()) == [
        "bezoeklijst_wt-centrum_x.csv", "bezoeklijst_wt-centrum_x.xlsx"]  # no temporary files


def test_the_workbook_worker_writes_the_same_lists(tmp_path, ranked):
    """A large run renders its workbooks in a worker process (workbook_worker): the same CSV and
    the same workbook, part for part, as rendered here (bar the creation time in
    docProps/core.xml), and nothing else in the folder."""
    import zipfile

    households, identities = ranked
    rows = build_rows(households, identities, RULES) + hostile_rows()
    args = dict(title="Bezoeklijst", about=[("Run", "x")], heading=HEADING)
    here = write_list(tmp_path / "here", "lijst", "wt-centrum", rows, **args)
    with workbook_worker():
        there = write_list(tmp_path / "worker", "lijst", "wt-centrum", rows, **args)
    assert there.csv_path.read_bytes() == here.csv_path.read_bytes()
    with zipfile.ZipFile(here.xlsx_path) as a, zipfile.ZipFile(there.xlsx_path) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "docProps/core.xml":
                assert a.read(name) == b.read(name), name
    assert sorted(p.name for p in there.csv_path.parent.iterdir()) == ["lijst.csv", "lijst.xlsx"]


# =================================================================================================
# scoring.explanations
# =================================================================================================


@pytest.mark.parametrize(("cents", "text"), [
    (123456, "€ 1.234,56"), (0, "€ 0,00"), (5, "€ 0,05"), (100, "€ 1,00"),
    (123456789, "€ 1.234.567,89"), (-123456, "€ -1.234,56"), (-5, "€ -0,05"),
])
def test_euros(cents, text):
    assert euros(cents) == text


def test_reasons_crisis_household_exact_text():
    row = household(1, "h", ["Huur", "Energie"], 123456, crisis=True, amount_points=15,
                    mille=3793, months=3, duration_points=6, previous=dt.date(2026, 6, 3))
    row["oudste_ontstaansdatum"] = dt.date(2026, 7, 20)
    assert reasons(row, RULES) == (
        "Crisissignaal: ontruiming of afsluiting aangekondigd (+100); huurachterstand (+30); "
        "energieachterstand (+20); meervoudig: 2 soorten schuldeisers deze maand (+20); "
        "achterstand € 1.234,56 = 3,79 maandbedragen (+15; 4 per maandbedrag, max 30); "
        "achterstand loopt 3 maanden, sinds 20-07-2026 (+6; 2 per maand, max 12); "
        "opeenvolgend: eerder signaal op dit adres op 03-06-2026 (+15)"
    )
    assert advice(row, RULES) == "binnen 3 werkdagen"


def test_reasons_without_crisis_or_multiple():
    text = reasons(household(2, "h", ["Zorg"], 8050, amount_points=2, mille=536), RULES)
    assert text == ("Achterstand zorgverzekering (+10); achterstand € 80,50 = 0,53 maandbedragen "
                    "(+2; 4 per maandbedrag, max 30)")
    # A longer matching period is named as such.
    assert "deze periode" in reasons(household(1, "h", ["Zorg", "Huur"], 1, mille=1), RULES,
                                     period_months=3)


def test_reasons_name_every_partner_type_with_its_points():
    rules = Scoring(partner_type_points={"Huur": 30, "DUO": 15}, other_partner_type_points=5,
                    points_per_bill_month=10, amount_points_max=40, crisis_points=200)
    types = list(ARREARS)
    row = household(1, "h", types, 250_000, crisis=True, amount_points=40, mille=9000,
                    rules=rules)
    text = reasons(row, rules)
    assert text.index("Crisissignaal") == 0 and "(+200)" in text
    for item in row["punten_partnertype"]:
        fragment = f"{ARREARS[item['partner_type']]} (+{item['punten']})"
        assert fragment in text, fragment
    assert "achterstand studieschuld (DUO) (+15)" in text
    assert "hypotheekachterstand (+5)" in text
    extra = len(types) - 1
    assert f"meervoudig: {len(types)} soorten schuldeisers deze maand (+{20 * extra})" in text
    assert "achterstand € 2.500,00 = 9,00 maandbedragen (+40; 10 per maandbedrag, max 40)" in text
    # Order: crisis, partner types, multiple, amount.
    assert text.index("Crisis") < text.index("huurachterstand") < text.index("meervoudig") \
        < text.index("achterstand € ")


def test_reasons_unknown_partner_type_and_no_partner_points():
    row = household(1, "h", ["Huur", "Gemeentelijke Kredietbank"], 10_000, amount_points=2)
    assert "; gemeentelijke kredietbank (+10); " in reasons(row, RULES)
    row = household(1, "h", ["Gemeentelijke Kredietbank"], 10_000, amount_points=2)
    assert reasons(row, RULES).startswith("Gemeentelijke kredietbank (+10); ")
    row["punten_partnertype"] = []
    text = reasons(row, RULES)
    assert text.startswith("Achterstand € 100,00 = ")


def test_reasons_mention_only_rules_that_gave_points():
    row = household(1, "h", ["Huur", "Water"], 10_000, amount_points=2)
    assert "meervoudig" in reasons(row, RULES)
    row["punten_meervoudig"] = 0
    assert "meervoudig" not in reasons(row, RULES)
    assert "loopt" not in reasons(row, RULES) and "opeenvolgend" not in reasons(row, RULES)
    row["bedrag_gestegen"] = True
    assert reasons(row, RULES).endswith(
        "herhaald signaal voor dezelfde achterstand, met een hoger bedrag")


@pytest.mark.parametrize(("mille", "text"), [(1992, "1,99"), (6880, "6,88"), (0, "0,00"),
                                             (46, "0,04"), (12_345_678, "12345,67")])
def test_bill_months_are_cut_off_not_rounded(mille, text):
    # Cut off, so that 4 x 1,99 = 7,96 -> 7 points is what a reader computes from the text.
    assert bill_months(mille) == text


def test_the_list_amount_cell_reads_back_and_days_parse_one_way():
    from vroeg.formats import decimal_comma, parse_day, parse_decimal_comma, postal_address

    for cents in (0, 5, 123456, -123456):
        assert parse_decimal_comma(decimal_comma(cents)) == cents
    assert decimal_comma(-123456) == "-1234,56"
    assert [parse_decimal_comma(t) for t in ("75", "1234,5", "1.234,56", "€ 5", "")] == [
        7500, 123450, None, None, None]
    assert parse_day(" 2026-10-31 ") == dt.date(2026, 10, 31)
    assert parse_day("31-10-2026", "%d-%m-%Y") == dt.date(2026, 10, 31)
    with pytest.raises(ValueError, match="JJJJ-MM-DD"):
        parse_day("31-10-2026")
    assert postal_address({"straatnaam": "Kerkstraat", "huisnummer": "12",
                           "huisnummertoevoeging": "A", "postcode": "8911AB",
                           "woonplaats": "Leeuwarden"}) == "Kerkstraat 12 A, 8911AB Leeuwarden"
    assert postal_address({"straatnaam": "Kerkstraat", "huisnummer": "12"}) == "Kerkstraat 12"


# =================================================================================================
# Creditors by name and advice after unanswered attempts (issue 18, point 3)
# =================================================================================================


def test_each_row_names_its_creditors_from_the_partner_registry(ranked):
    households, identities = ranked
    creditors = {"hh-crisis": ["Woongroep Fryslân", "Energie Fryslân", "Woongroep Fryslân"],
                 "hh-zorg": ["Zorgverzekeraar Noord"], "hh-none": ["=Waterbedrijf"]}
    rows = build_rows(households, identities, RULES, creditors=creditors)
    assert [r.schuldeisers for r in rows] == [
        "Woongroep Fryslân, Energie Fryslân", "Zorgverzekeraar Noord", "=Waterbedrijf"]
    body = [dict(zip(COLUMNS, r, strict=True)) for r in parse_csv(render_csv(rows))[1:]]
    assert [r["schuldeisers"] for r in body] == [
        "Woongroep Fryslân, Energie Fryslân", "Zorgverzekeraar Noord", "'=Waterbedrijf"]
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(rows, title="t", about=[],
                                                          heading=HEADING)))["Bezoeklijst"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("Schuldeisers") + 1).value == (
        "Woongroep Fryslân, Energie Fryslân")


DAY = dt.date(2026, 10, 5)


def _tries(kind: str, n: int, *, reached: bool = False, start: dt.date = DAY) -> list:
    return [(kind, reached, start + dt.timedelta(days=7 * i)) for i in range(n)]


def test_after_unanswered_home_visits_the_advice_is_another_kind_with_the_reason():
    # Two closed doors in October and one in November: three, across months.
    history = _tries("Huisbezoek", 2) + _tries("Huisbezoek", 1, start=dt.date(2026, 11, 2))
    assert follow_up(history, RULES) == (
        "probeer brief: 3 keer huisbezoek zonder contact (laatste poging 02-11-2026)")
    row = household(2, "hh", ["Huur"], 9000)
    assert advice(row, RULES, history) == (
        "binnen 4 weken; probeer brief: 3 keer huisbezoek zonder contact "
        "(laatste poging 02-11-2026)")
    # Fewer than the configured number: the plain term.
    assert follow_up(history[:2], RULES) == ""
    assert advice(row, RULES, history[:2]) == "binnen 4 weken"


def test_the_number_of_unanswered_attempts_is_configurable():
    two = Scoring.model_validate({"advice": {"follow_up": {"unanswered_attempts": 2}}})
    assert follow_up(_tries("Telefoon", 2), two).startswith(
        "probeer huisbezoek: 2 keer telefoon zonder contact")
    assert follow_up(_tries("Telefoon", 2), RULES) == ""
    with pytest.raises(ValueError, match="unknown contact kinds"):
        Scoring.model_validate({"advice": {"follow_up": {"next_kind": {"Duif": "Brief"}}}})


def test_reaching_the_resident_starts_the_count_again():
    history = _tries("Huisbezoek", 3) + [("Telefoon", True, dt.date(2026, 11, 1))]
    assert follow_up(history, RULES) == ""
    history += _tries("Huisbezoek", 3, start=dt.date(2026, 11, 2))
    assert follow_up(history, RULES).startswith("probeer brief: 3 keer huisbezoek")


def test_the_chain_skips_kinds_that_went_unanswered_and_ends_with_a_partner_visit():
    visits, letters = _tries("Huisbezoek", 3), _tries("Brief", 3, start=dt.date(2026, 11, 1))
    # The letters were the last tried: after them a phone call, not a letter again.
    assert follow_up(visits + letters, RULES).startswith(
        "probeer telefoon: 3 keer brief zonder contact; 3 keer huisbezoek zonder contact")
    calls = _tries("Telefoon", 3, start=dt.date(2026, 12, 1))
    assert follow_up(visits + letters + calls, RULES).startswith(
        "probeer huisbezoek samen met een partner (bijvoorbeeld de schuldeiser): ")


def test_the_published_advice_column_reflects_the_history_known_then(ranked):
    households, identities = ranked
    history = {"hh-zorg": _tries("Huisbezoek", 3)}
    rows = build_rows(households, identities, RULES, history=history)
    assert rows[0].advies == "binnen 3 werkdagen"
    assert rows[1].advies.startswith("binnen 4 weken; probeer brief: 3 keer huisbezoek")
