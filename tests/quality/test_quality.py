"""Row validation with the declared suites on the production path: reasons, conservation,
privacy, verdict. (That GX's own engine gives the same is test_engine_equality.py's concern.)

The reason codes are checked on one delivery holding a bad row per code among good rows; each
bad row carries a distinctive value that must never appear outside `outcome.clean`.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

import connectors
from connectors.parse import parse
from quality.quarantine_reasons import REASONS, message
from quality.suite import build_suites
from quality.validate import QuarantineEntry, validate
from tests import REPO_ROOT
from tests.builders import TODAY, row, standard_file
from vroeg.config import load_municipality, standard_partner
from vroeg.schema import STANDARD_COLUMNS, label
from vroeg.settings import Home

FILENAME = "zorg-noord_2026-11.csv"
MEGABYTE_NAME = "Zzcanaryqq" * 100_000  # 1 MB: not a name
OLDEST = TODAY - dt.timedelta(days=400)  # the shipped 0080: max_signal_age_days 400

CLEAN_COLUMNS = [
    "partner_id", "signaal_id", "partner_type", "partner_naam", "signaaldatum", "ontstaansdatum",
    "bedrag_cent", "crisis", "uiterste_datum", "bsn", "voornamen", "tussenvoegsel", "achternaam",
    "geboortedatum",
    "straatnaam", "postcode", "huisnummer", "toevoeging_sleutel", "huisnummertoevoeging",
    "woonplaats", "telefoon", "email", "wijkteam", "bron_rij",
]


def data_line(values: dict) -> str:
    """One standard line, quoted as the builder quotes it."""
    return standard_file([values], bom=False, newline="\n").decode().split("\n")[1]


def delivery(items: list[dict | str]) -> tuple[bytes, list[int]]:
    """A standard file from rows (dicts) and raw lines (str); the bron_rij of each item."""
    lines = [";".join(STANDARD_COLUMNS)]
    lines += [item if isinstance(item, str) else data_line(item) for item in items]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode(), list(range(2, len(items) + 2))


def check(data: bytes, municipality, filename: str = FILENAME):
    partner = standard_partner()
    mapped = connectors.read_delivery(data, filename, partner, municipality.partners)
    return validate(parse(mapped, municipality), municipality, filename, TODAY)


def ids(frame: pl.DataFrame) -> list:
    return frame.get_column("signaal_id").to_list()


# -- one delivery with a bad row per reason --------------------------------------------------

GOOD: list[dict] = [
    row(signaal_id="G-today", signaaldatum=TODAY.isoformat(),
        ontstaansdatum=(TODAY - dt.timedelta(days=30)).isoformat()),
    row(signaal_id="G-oldest", signaaldatum=OLDEST.isoformat(), ontstaansdatum="2025-09-01"),
    row(signaal_id="G-max", bedrag="100000,00"),
    row(signaal_id="G-zero", bedrag="0"),
    row(signaal_id="G-point", bedrag="1234.5", crisis="JA"),
    row(signaal_id="G-optional", bsn="", geboortedatum="", email="", telefoon="", voornamen="",
        tussenvoegsel="", huisnummertoevoeging=""),
    row(signaal_id="G-long", achternaam="x" * 200, telefoon="0" * 40),
    row(signaal_id="G-hn", huisnummer="12345", postcode="9001 AA", woonplaats="Grou"),
    row(signaal_id="G-addition", huisnummer="12-a", postcode="8912cd"),
    row(signaal_id="G-bsn8", bsn="12345672"),
    row(signaal_id="G-types", partner_type="CAK Zorgverzekeringen", ontstaansdatum="2026-04-14"),
    row(signaal_id="G-crisis-early", partner_type="Energie", crisis="ja",
        ontstaansdatum="2026-10-13"),
    row(signaal_id="G-zorg", partner_type="Zorg", ontstaansdatum="2026-07-06"),
    row(signaal_id="G-duo", partner_type="DUO", bedrag="270,00"),
    row(signaal_id="G-twice", huisnummer="3"),
    row(signaal_id="G-twice", huisnummer="3", bedrag="620.00"),  # the same signal, repeated
] + [row(signaal_id=f"G-{i}", huisnummer=str(i + 1)) for i in range(21)]

_broken_quote = data_line(row(signaal_id="X-quote")).replace("Proefstraat", '"Proef"straat')
_line = data_line(row(signaal_id="X-fields"))

#: (row or raw line, expected {(reason, column)}); column None for reading problems.
BAD: list[tuple[dict | str, set]] = [
    (row(signaal_id="X-empty", achternaam="", woonplaats=""),
     {("VERPLICHT_LEEG", "achternaam"), ("VERPLICHT_LEEG", "woonplaats")}),
    (row(signaal_id="X-empty-amount", bedrag=""), {("VERPLICHT_LEEG", "bedrag")}),
    (row(signaal_id="X-long", achternaam=MEGABYTE_NAME), {("VELD_TE_LANG", "achternaam")}),
    (row(signaal_id="X-long-phone", telefoon="06" + "9" * 39), {("VELD_TE_LANG", "telefoon")}),
    (row(signaal_id="X-type", partner_type="Zzbankqq"), {("PARTNERTYPE_ONBEKEND", "partner_type")}),
    (row(signaal_id="X-date-dmy", signaaldatum="31-02-2026"), {("DATUM_ONGELDIG", "signaaldatum")}),
    (row(signaal_id="X-date-month", signaaldatum="2026-13-01"),
     {("DATUM_ONGELDIG", "signaaldatum")}),
    (row(signaal_id="X-date-feb", ontstaansdatum="2026-02-31"),
     {("DATUM_ONGELDIG", "ontstaansdatum")}),
    (row(signaal_id="X-date-serial", geboortedatum="46000"), {("DATUM_ONGELDIG", "geboortedatum")}),
    (row(signaal_id="X-future", signaaldatum=(TODAY + dt.timedelta(days=1)).isoformat()),
     {("DATUM_IN_TOEKOMST", "signaaldatum")}),
    (row(signaal_id="X-born-future", geboortedatum="2027-01-01"),
     {("DATUM_IN_TOEKOMST", "geboortedatum")}),
    (row(signaal_id="X-stale", signaaldatum=(OLDEST - dt.timedelta(days=1)).isoformat(),
         ontstaansdatum="2025-09-01"), {("SIGNAAL_TE_OUD", "signaaldatum")}),
    (row(signaal_id="X-order", ontstaansdatum="2026-10-15"),
     {("DATUM_VOLGORDE", "ontstaansdatum")}),
    (row(signaal_id="X-window-short", ontstaansdatum="2026-09-15"),
     {("TERMIJN_TE_KORT", "ontstaansdatum")}),
    (row(signaal_id="X-window-long", partner_type="Zorg", ontstaansdatum="2026-07-05"),
     {("TERMIJN_TE_LANG", "ontstaansdatum")}),
    (row(signaal_id="X-cak-early", partner_type="CAK Zorgverzekeringen",
         ontstaansdatum="2026-05-01"),
     {("TERMIJN_TE_KORT", "ontstaansdatum")}),
    (row(signaal_id="X-duo", partner_type="DUO", bedrag="269,99"),
     {("BEDRAG_ONDER_AFSPRAAK", "bedrag")}),
    (row(signaal_id="X-conflict", huisnummer="4"), {("SIGNAAL_ID_DUBBEL", "signaal_id")}),
    (row(signaal_id="X-conflict", huisnummer="4", bedrag="621,00"),
     {("SIGNAAL_ID_DUBBEL", "signaal_id")}),
    (row(signaal_id="X-amount-euro", bedrag="€ 12"), {("BEDRAG_ONGELDIG", "bedrag")}),
    (row(signaal_id="X-amount-grouped", bedrag="1.234,56"), {("BEDRAG_ONGELDIG", "bedrag")}),
    (row(signaal_id="X-negative", bedrag="-0,01"), {("BEDRAG_NEGATIEF", "bedrag")}),
    (row(signaal_id="X-huge", bedrag="100000,01"), {("BEDRAG_ONWAARSCHIJNLIJK", "bedrag")}),
    (row(signaal_id="X-crisis", crisis="zzmisschienqq"), {("CRISIS_ONGELDIG", "crisis")}),
    (row(signaal_id="X-postcode", postcode="99ZZ99"), {("POSTCODE_ONGELDIG", "postcode")}),
    (row(signaal_id="X-elsewhere", postcode="1011 AB"), {("POSTCODE_BUITEN_GEMEENTE", "postcode")}),
    (row(signaal_id="X-number", huisnummer="Zzhnqq"), {("HUISNUMMER_ONGELDIG", "huisnummer")}),
    (row(signaal_id="X-number-long", huisnummer="123456"), {("HUISNUMMER_ONGELDIG", "huisnummer")}),
    (row(signaal_id="X-bsn", bsn="123456789"), {("BSN_ONGELDIG", "bsn")}),
    (row(signaal_id="X-bsn-text", bsn="12AB34"), {("BSN_ONGELDIG", "bsn")}),
    (_line + ";Zzextraqq;meer", {("AANTAL_VELDEN", None)}),
    (";".join(_line.split(";")[:4]), {("AANTAL_VELDEN", None)}),
    (_broken_quote, {("RIJ_ONLEESBAAR", None)}),
]

#: Values from bad rows that may be personal data; none may leave `clean`.
CANARIES = ["Zzcanaryqq", "06999999999", "Zzbankqq", "31-02-2026", "2026-13-01", "2026-02-31",
            "46000", "€ 12", "1.234,56", "100000,01", "zzmisschienqq", "99ZZ99", "1011 AB",
            "Zzhnqq", "123456789", "12AB34", "Zzextraqq", "Proef\"straat", "X-quote"]


@pytest.fixture(scope="module")
def mixed():
    """One delivery: good and bad rows interleaved, validated once for the tests below."""
    municipality = load_municipality(Home(REPO_ROOT), "0080")
    items: list[dict | str] = []
    expected: dict[int, set] = {}
    good = iter(GOOD)
    for bad, reasons in BAD:
        items.append(next(good))
        items.append(bad)
        expected[len(items) + 1] = reasons  # header is line 1
    items.extend(good)
    data, numbers = delivery(items)
    assert len(BAD) / len(items) <= municipality.validation.max_bad_share
    outcome = check(data, municipality)
    return outcome, expected, numbers, municipality


def test_every_reason_the_suite_and_readers_give_is_exercised():
    produced = {reason for _, reasons in BAD for reason, _ in reasons}
    assert produced == set(REASONS) - {"GENEST_VELD", "BESTAND_AFGEKEURD"}


def test_each_bad_row_has_exactly_its_reasons(mixed):
    outcome, expected, _, _ = mixed
    got: dict[int, set] = {}
    for entry in outcome.entries:
        got.setdefault(entry.row, set()).add((entry.reason, entry.column))
    assert got == expected
    assert not outcome.rejected


def test_good_rows_are_clean_and_rows_are_conserved(mixed):
    outcome, expected, numbers, _ = mixed
    assert outcome.rows == len(numbers) == len(GOOD) + len(BAD)
    assert outcome.quarantined_rows == len(BAD) == len(expected)
    assert outcome.rows == outcome.clean.height + outcome.quarantined_rows
    assert sorted(ids(outcome.clean)) == sorted(r["signaal_id"] for r in GOOD)
    assert set(outcome.clean.get_column("bron_rij").to_list()).isdisjoint(expected)
    assert outcome.bad_share == pytest.approx(len(BAD) / len(numbers))


def test_messages_name_file_row_and_column(mixed):
    outcome, _, _, _ = mixed
    order = sorted(outcome.entries, key=lambda e: (e.row, e.reason, e.column or ""))
    assert outcome.entries == order
    for entry in outcome.entries:
        where = f"{FILENAME}, rij {entry.row}"
        if entry.column:
            where += f", kolom {label(entry.column)}"
        assert entry.message == f"{where}: {REASONS[entry.reason]}.", entry
    labelled = {e.message.split(": ")[0].split(", kolom ")[-1] for e in outcome.entries if e.column}
    assert {"achternaam", "BSN", "postcode", "bedrag", "signaaldatum", "partnertype"} <= labelled


def test_no_personal_values_outside_clean(mixed):
    outcome, _, _, _ = mixed
    text = repr(outcome.entries) + repr(outcome.results) + str(outcome.rows)
    for canary in CANARIES:
        assert canary not in text, canary
    assert len(text) < 50_000  # nothing like the 1 MB value
    # The distinctive values were really in the delivery, and none reached the clean rows.
    clean_text = repr(outcome.clean.to_dicts())
    assert "Zzcanaryqq" not in clean_text and "99ZZ99" not in clean_text


def test_rule_results_are_counts_per_expectation(mixed):
    outcome, _, numbers, municipality = mixed
    # The schema suite, plus the suites of the partner types in the delivery (Huur, Energie,
    # Zorg, CAK Zorgverzekeringen and DUO have rules; the delivery has no Water rows).
    suites = [s for s in build_suites(municipality, TODAY)
              if s.meta.get("partner_type") in (None, "Huur", "Energie", "Zorg",
                                                "CAK Zorgverzekeringen", "DUO")]
    assert len(outcome.results) == sum(len(s.expectations) for s in suites)
    assert {r.suite for r in outcome.results} == {s.name for s in suites}
    zorg = [r for r in outcome.results if r.suite == "signaal-0080-zorg"]
    assert {(r.reason, r.failed) for r in zorg} == {("TERMIJN_TE_KORT", 0), ("TERMIJN_TE_LANG", 1)}
    assert all(r.checked == 2 for r in zorg)  # the two Zorg rows only
    by_rule = {(r.reason, r.column, r.expectation): r for r in outcome.results}
    partner_type = by_rule[("PARTNERTYPE_ONBEKEND", "partner_type",
                            "expect_column_values_to_be_in_set")]
    assert (partner_type.success, partner_type.failed, partner_type.checked) == (
        False, 1, len(numbers))
    stale = by_rule[("SIGNAAL_TE_OUD", "signaaldatum", "expect_column_values_to_be_between")]
    assert (stale.success, stale.failed) == (False, 1)
    assert all(r.success == (r.failed == 0) for r in outcome.results)
    untouched = [r for r in outcome.results if r.column == "email"]
    assert untouched and all(r.success for r in untouched)


# -- file verdict ----------------------------------------------------------------------------


def test_more_bad_rows_than_the_share_rejects_the_file(municipality):
    items = [row(signaal_id="R-1"), row(signaal_id="R-2", postcode="99ZZ99"),
             row(signaal_id="R-3", bedrag="-1"), row(signaal_id="R-4"),
             row(signaal_id="R-5", achternaam="")]
    data, _ = delivery(items)
    outcome = check(data, municipality, "afgekeurd.csv")
    assert outcome.rejected
    assert outcome.rows == outcome.quarantined_rows == 5
    assert outcome.clean.height == 0
    assert outcome.clean.columns == CLEAN_COLUMNS
    first = outcome.entries[0]
    assert (first.row, first.reason, first.column) == (None, "BESTAND_AFGEKEURD", None)
    assert first.message.startswith("afgekeurd.csv: ")
    assert "3 van 5" in first.message and "50%" in first.message
    assert {(e.row, e.reason) for e in outcome.entries[1:]} == {
        (3, "POSTCODE_ONGELDIG"), (4, "BEDRAG_NEGATIEF"), (6, "VERPLICHT_LEEG")}
    assert "99ZZ99" not in repr(outcome.entries)


def test_exactly_the_share_is_not_rejected(municipality):
    items = [row(signaal_id="S-1"), row(signaal_id="S-2", crisis="soms"),
             row(signaal_id="S-3"), row(signaal_id="S-4", bsn="123456789")]
    data, _ = delivery(items)
    outcome = check(data, municipality)
    assert municipality.validation.max_bad_share == 0.5
    assert not outcome.rejected
    assert outcome.bad_share == 0.5
    assert outcome.quarantined_rows == 2
    assert ids(outcome.clean) == ["S-1", "S-3"]
    assert all(e.reason != "BESTAND_AFGEKEURD" for e in outcome.entries)
    assert [(e.row, e.reason, e.column) for e in outcome.entries] == [
        (3, "CRISIS_ONGELDIG", "crisis"), (5, "BSN_ONGELDIG", "bsn")]


def test_empty_delivery_is_valid_and_empty(municipality):
    outcome = check(("\r\n".join([";".join(STANDARD_COLUMNS)]) + "\r\n").encode(), municipality)
    assert (outcome.rows, outcome.quarantined_rows, outcome.rejected) == (0, 0, False)
    assert outcome.entries == [] and outcome.clean.height == 0
    assert outcome.clean.columns == CLEAN_COLUMNS


def test_json_nested_value_is_quarantined_alone(municipality):
    from vroeg.config import Partner

    partner = Partner(id="json-std", name="Json", partner_type="Zorg", format="json")
    good = {k: v or None for k, v in row().items()}
    records = [dict(good, signaal_id="J-1"), dict(good, signaal_id="J-2", achternaam={"x": 1}),
               dict(good, signaal_id="J-3")]
    mapped = connectors.read_delivery(json.dumps(records).encode(), "l.json", partner,
                                      municipality.partners)
    outcome = validate(parse(mapped, municipality), municipality, "l.json", TODAY)
    # The nested value also leaves achternaam empty; only the reading problem is reported.
    assert [(e.row, e.reason, e.column) for e in outcome.entries] == [(2, "GENEST_VELD", None)]
    assert outcome.entries[0].message == f"l.json, rij 2: {REASONS['GENEST_VELD']}."
    assert ids(outcome.clean) == ["J-1", "J-3"]


def test_reason_message_helper():
    assert message("POSTCODE_ONGELDIG", "a.csv", 14, "postcode") == (
        "a.csv, rij 14, kolom postcode: geen geldige postcode (verwacht 1234AB).")
    assert message("BSN_ONGELDIG", "a.csv", 3, "bsn").startswith("a.csv, rij 3, kolom BSN: ")
    assert message("AANTAL_VELDEN", "a.csv", 2, None) == (
        f"a.csv, rij 2: {REASONS['AANTAL_VELDEN']}.")
    assert message("ONBEKEND", "a.csv", None, None) == "a.csv: ONBEKEND."
    assert QuarantineEntry(1, "X", None, "m").row == 1


# -- optional fields and the clean schema ----------------------------------------------------


def test_optional_fields_may_be_empty_or_absent(municipality):
    columns = tuple(c for c in STANDARD_COLUMNS if c not in ("bsn", "geboortedatum", "email"))
    rows = [row(signaal_id="O-1", voornamen="", tussenvoegsel="", telefoon="",
                huisnummertoevoeging=""),
            row(signaal_id="O-2")]
    data = standard_file(rows, columns=columns)
    outcome = check(data, municipality)
    assert outcome.entries == []
    assert ids(outcome.clean) == ["O-1", "O-2"]
    first = outcome.clean.row(0, named=True)
    assert (first["bsn"], first["geboortedatum"], first["email"], first["telefoon"],
            first["voornamen"], first["tussenvoegsel"]) == (None,) * 6


def test_clean_signals_types_and_normal_forms(municipality):
    rows = [
        row(signaal_id="T-1", postcode="8911 ab", huisnummer="012", bedrag="1234,56", crisis="JA",
            bsn="12345672", geboortedatum="1984-03-02"),
        row(signaal_id="T-2", postcode="8912CD", huisnummer="12-a", bedrag="12.5"),
        row(signaal_id="T-3", postcode=" 8913 ef ", huisnummer="12", huisnummertoevoeging="2-hoog",
            bedrag="7", crisis="nee"),
        row(signaal_id="T-4", postcode="9001AA", huisnummer="7", huisnummertoevoeging="",
            bsn="", geboortedatum=""),
    ]
    outcome = check(standard_file(rows), municipality)
    assert outcome.entries == []
    clean = outcome.clean
    assert clean.columns == CLEAN_COLUMNS
    expected_types = {
        "signaaldatum": pl.Date, "ontstaansdatum": pl.Date, "geboortedatum": pl.Date,
        "bedrag_cent": pl.Int64, "crisis": pl.Boolean, "bron_rij": pl.Int64, "bsn": pl.String,
        "postcode": pl.String, "huisnummer": pl.String, "toevoeging_sleutel": pl.String,
    }
    for name, dtype in expected_types.items():
        assert clean.schema[name] == dtype, name
    got = {r["signaal_id"]: r for r in clean.iter_rows(named=True)}
    assert got["T-1"]["postcode"] == "8911AB"
    assert got["T-1"]["huisnummer"] == "12"
    assert got["T-1"]["bedrag_cent"] == 123456
    assert got["T-1"]["crisis"] is True
    assert got["T-1"]["bsn"] == "012345672"
    assert got["T-1"]["geboortedatum"] == dt.date(1984, 3, 2)
    assert got["T-1"]["signaaldatum"] == dt.date(2026, 10, 14)
    assert got["T-1"]["wijkteam"] == "wt-centrum"
    assert got["T-1"]["partner_id"] == "wonen-fryslan"  # from partner_naam in the row
    assert got["T-2"]["bedrag_cent"] == 1250
    assert got["T-3"]["postcode"] == "8913EF"
    assert got["T-3"]["crisis"] is False
    assert got["T-4"]["wijkteam"] == "wt-dorpen"
    assert got["T-4"]["bsn"] is None and got["T-4"]["geboortedatum"] is None
    # The normalised addition is the household key; the partner's spelling is what is shown.
    sleutel = {k: (v["toevoeging_sleutel"], v["huisnummertoevoeging"]) for k, v in got.items()}
    assert sleutel == {"T-1": ("", None), "T-2": ("A", "A"), "T-3": ("2HOOG", "2-hoog"),
                       "T-4": ("", None)}
    assert [r["bron_rij"] for r in clean.iter_rows(named=True)] == [2, 3, 4, 5]


def test_dates_outside_the_nanosecond_range_get_the_same_reasons(municipality):
    """A year 9999, 1500 or 1 gets its reasons. GX's engine is handed nanosecond datetimes where
    every date fits (its fast path); such a column does not fit and keeps its type there, with the
    same reasons (test_engine_equality.py compares both engines on these rows)."""
    from quality.gx_engine import dates_as_ns as _dates_as_ns

    items = [row(signaal_id=f"G-{i}", huisnummer=str(i + 1)) for i in range(20)] + [
        row(signaal_id="X-far-future", geboortedatum="9999-12-31"),
        row(signaal_id="G-long-ago", geboortedatum="1500-01-01"),
        row(signaal_id="X-ancient", signaaldatum="0001-01-01", ontstaansdatum="0001-01-01"),
    ]
    data, _ = delivery(items)
    outcome = check(data, municipality)
    got = {(e.row, e.reason, e.column) for e in outcome.entries}
    assert got == {(22, "DATUM_IN_TOEKOMST", "geboortedatum"),
                   (24, "SIGNAAL_TE_OUD", "signaaldatum"),
                   (24, "TERMIJN_TE_KORT", "ontstaansdatum")}  # no days between the dates
    assert "G-long-ago" in ids(outcome.clean)

    fits = pl.DataFrame({"d": [dt.date(2026, 1, 1), None]})
    assert _dates_as_ns(fits).schema["d"] == pl.Datetime("ns")
    too_late = pl.DataFrame({"d": [dt.date(9999, 12, 31)]})
    assert _dates_as_ns(too_late).schema["d"] == pl.Date
