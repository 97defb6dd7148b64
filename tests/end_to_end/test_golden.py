"""The golden set: households built for the purpose, through the real pipeline, to exact lists.

Standard-format deliveries go through the real flows (run directly, as on the embedded default):
receive, read, validate (Great Expectations), pseudonymise (vault), load (DuckDB), then the
monthly run: exclusion lists loaded as pseudonyms, matching and scoring in SQL, publication with
re-identification from the vault. The expected list below is worked out by hand from the sample
municipality's rules, and every expectation says why it holds.

The municipality is the shipped sample with two changes: wijkteam Centrum can visit 3 households
this month (so a waiting list appears), and its exclusion lists are the two below.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest
import yaml

from tests.builders import row, standard_file
from vroeg.bsn import first_valid

PERIOD = "2026-10"
TODAY = "2026-11-22"
PARTNERS = {"Huur": "Woongroep Fryslân", "Energie": "Energie Fryslân",
            "Water": "Waterbedrijf Noord", "Zorg": "Zorgverzekeraar Noord",
            # The sample partners of the types added since 2024, activated for the golden set.
            "Belastingdienst": "Belastingdienst", "Dienst Toeslagen": "Dienst Toeslagen",
            "CAK Eigen bijdrage": "CAK Eigen bijdrage", "Hypotheek": "Hypotheekbank Noord"}


#: A valid (elfproef) synthetic BSN starting with `prefix` (seven digits).
bsn = first_valid


def signal(sid: str, ptype: str, day: str, start: str, amount: str, first: str, last: str,
           postcode: str, number: str, addition: str = "", *, crisis: bool = False,
           person_bsn: str = "", deadline: str = "") -> dict:
    return row(signaal_id=sid, partner_type=ptype, partner_naam=PARTNERS[ptype],
               signaaldatum=day, ontstaansdatum=start, bedrag=amount,
               crisis="ja" if crisis else "nee", uiterste_datum=deadline, bsn=person_bsn,
               voornamen=first,
               tussenvoegsel="", achternaam=last, geboortedatum="1980-01-01",
               straatnaam="Goudstraat", postcode=postcode, huisnummer=number,
               huisnummertoevoeging=addition, telefoon="", email="")


FOKKE = bsn("9999911")   # deceased
FROUKJE = bsn("9999912")  # lives with Fokke

#: Signals before the period: they make later ones a repeat or 'opeenvolgend'.
HISTORY = [
    # C: energy arrears of EUR 300 since 20-07, signalled in September ...
    signal("G-E-C1", "Energie", "2026-09-10", "2026-07-20", "300,00", "Cees", "Cdorp",
           "8911 EF", "5"),
    # D: water arrears of EUR 90 since 01-06, signalled in August ...
    signal("G-W-D1", "Water", "2026-08-12", "2026-06-01", "90,00", "Dirk", "Ddorp", "8911 GH", "7"),
    # J: energy arrears of EUR 400 since 15-07, signalled in September with id G-E-J1 ...
    signal("G-E-J1", "Energie", "2026-09-14", "2026-07-15", "400,00", "Jet", "Jdorp",
           "8911 JK", "9"),
]

#: The signals of the period, per household.
OCTOBER = [
    # A: one small health-insurance signal, EUR 50 < EUR 75 minimum: not listed.
    signal("G-Z-A", "Zorg", "2026-10-05", "2026-08-20", "50,00", "Ans", "Adorp", "8911 AA", "1"),
    # B: rent + energy + water at one address.
    signal("G-H-B", "Huur", "2026-10-06", "2026-08-01", "620,00", "Bram", "Bdorp", "8911 AB", "12"),
    signal("G-E-B", "Energie", "2026-10-07", "2026-08-15", "275,00", "Bram", "Bdorp", "8911 AB",
           "12"),
    signal("G-W-B", "Water", "2026-10-08", "2026-07-01", "110,00", "Bram", "Bdorp", "8911 AB",
           "12"),
    # C: ... and again in October, a new signal id but the same arrears (same partner, same start)
    # with the same amount: suppressed.
    signal("G-E-C2", "Energie", "2026-10-09", "2026-07-20", "300,00", "Cees", "Cdorp", "8911 EF",
           "5"),
    # D: ... and again in October, the same arrears with a higher amount (EUR 140): it counts.
    signal("G-W-D2", "Water", "2026-10-13", "2026-06-01", "140,00", "Dirk", "Ddorp", "8911 GH",
           "7"),
    # E: eviction announced (crisis) for 14-11: the date is on the list.
    signal("G-H-E", "Huur", "2026-10-02", "2026-08-25", "900,00", "Eva", "Edorp", "8911 KL", "3",
           crisis=True, deadline="2026-11-14"),
    # P: an end-of-supply signal (eindeleveringssignaal) of the energy supplier: the contract
    # ends on 20-11, 20 working days after the signal.
    signal("G-E-P", "Energie", "2026-10-20", "2026-08-10", "240,00", "Pieter", "Pdorp",
           "8911 ST", "40", crisis=True, deadline="2026-11-20"),
    # Q: an eviction announced at an address on the 'schuldhulp' list: excluded, as in the
    # monthly run, so the crisis lane does not publish it either.
    signal("G-H-Q", "Huur", "2026-10-14", "2026-08-01", "800,00", "Quinta", "Qdorp", "8911 UV",
           "50", crisis=True, deadline="2026-11-30"),
    # R: a disconnection of the water announced; the same crisis comes again in a later delivery
    # of the month (REPEAT): listed once.
    signal("G-W-R1", "Water", "2026-10-05", "2026-07-01", "80,00", "Rik", "Rdorp", "8911 WX", "60",
           crisis=True),
    # F: Fokke (deceased, on the 'overleden' list by BSN) and Froukje share an address.
    signal("G-Z-F", "Zorg", "2026-10-15", "2026-08-10", "400,00", "Fokke", "Fdorp", "8911 MN",
           "20", person_bsn=FOKKE),
    signal("G-H-F", "Huur", "2026-10-16", "2026-08-15", "700,00", "Froukje", "Fdorp", "8911 MN",
           "20", person_bsn=FROUKJE),
    # G: an address on the 'schuldhulp' list (already in debt help).
    signal("G-E-G", "Energie", "2026-10-19", "2026-08-05", "500,00", "Gerrit", "Gdorp", "8911 PR",
           "30"),
    # H: one address written four ways, one signal per partner type, each exactly one monthly
    # bill of its type (EUR 650 rent, 180 energy, 25 water, 150 health insurance).
    signal("G-H-H", "Huur", "2026-10-20", "2026-08-01", "650,00", "Hanna", "Hdorp", "8911 cd",
           "14-a"),
    signal("G-E-H", "Energie", "2026-10-21", "2026-08-01", "180,00", "Hanna", "Hdorp", "8911CD",
           "14", "A"),
    signal("G-W-H", "Water", "2026-10-22", "2026-08-01", "25,00", "Hanna", "Hdorp", "8911 CD",
           "14 a"),
    signal("G-Z-H", "Zorg", "2026-10-23", "2026-08-01", "150,00", "Hanna", "Hdorp", "8911cd",
           "14a"),
    # J: ... and the same signal id G-E-J1 re-sent in October with a lower amount (EUR 350): an
    # update of the same arrears whose amount did not rise: suppressed.
    signal("G-E-J1", "Energie", "2026-10-12", "2026-07-15", "350,00", "Jet", "Jdorp", "8911 JK",
           "9"),
]

#: A later delivery of October: R's crisis once more (a new signal id, the same arrears and
#: amount). The crisis lane finds R on the list as a crisis household already: not added again.
REPEAT = [
    signal("G-W-R2", "Water", "2026-10-26", "2026-07-01", "80,00", "Rik", "Rdorp", "8911 WX", "60",
           crisis=True),
]

#: The partner types added since 2024, in wijkteam Oost (postcode 8912), delivered in a file of
#: their own. Their rules are the shipped defaults: CAK Eigen bijdrage from EUR 100 and 151 days
#: (five months), Belastingdienst from EUR 600; Dienst Toeslagen and Hypotheek per agreement.
SINCE_2024 = [
    # K: a tax debt of EUR 1,200 after a formal reminder: counts.
    signal("G-B-K", "Belastingdienst", "2026-10-05", "2026-07-01", "1200,00", "Klaas", "Kdorp",
           "8912 AB", "1"),
    # L: an own contribution of EUR 300 whose oldest claim is from 15-04 (174 days): counts.
    signal("G-C-L", "CAK Eigen bijdrage", "2026-10-06", "2026-04-15", "300,00", "Lies", "Ldorp",
           "8912 AB", "2"),
    # M: a mortgage and a benefit recovery at one address: meervoudig.
    signal("G-Y-M", "Hypotheek", "2026-10-07", "2026-08-01", "2000,00", "Mees", "Mdorp",
           "8912 AB", "3"),
    signal("G-T-M", "Dienst Toeslagen", "2026-10-08", "2026-06-01", "450,00", "Mees", "Mdorp",
           "8912 AB", "3"),
    # N: two rows the regulation does not allow, quarantined at validation: an own contribution
    # whose oldest claim is 100 days old (< 151), a tax debt of EUR 450 (< EUR 600).
    signal("G-C-N", "CAK Eigen bijdrage", "2026-10-09", "2026-07-01", "150,00", "Nel", "Ndorp",
           "8912 AB", "4"),
    signal("G-B-N", "Belastingdienst", "2026-10-09", "2026-07-01", "450,00", "Nel", "Ndorp",
           "8912 AB", "4"),
]

RULE = "4 per maandbedrag, max 30"
MONTHS = "2 per maand, max 12"

#: The expected list of wijkteam Centrum: (rang, sectie, score, naam, signalen, totaal, advies,
#: redenen). Points follow the sample rules: partner type Huur 30, Energie 20, Water 20,
#: Zorg 10; 4 points per monthly bill (rent 650, energy 180, water 25, health 150), rounded down,
#: max 30; 2 per full month since the oldest arrears began, up to 31-10-2026, max 12;
#: 20 per partner type beyond the first; 15 for an earlier signal at the address; 100 for crisis.
EXPECTED = [
    # E: crisis always first, whatever its score: 100 + 30 + 5 (900/650 = 1.38 bills) + 4 (two
    # full months since 25-08) = 139. Advice: within 3 working days, before the eviction.
    (1, "bezoeklijst", 139, "Eva Edorp", "Huur", "900,00", "binnen 3 werkdagen, vóór 14-11-2026",
     "Crisissignaal: ontruiming of afsluiting aangekondigd (+100); huurachterstand (+30); "
     f"achterstand € 900,00 = 1,38 maandbedragen (+5; {RULE}); "
     f"achterstand loopt 2 maanden, sinds 25-08-2026 (+4; {MONTHS})"),
    # R: crisis 100 + water 20 + 12 (80/25 = 3.2 bills) + 6 (three months since 01-07) = 138;
    # its two signals are one arrears: the newest stands for it, one line, no deadline given.
    (2, "bezoeklijst", 138, "Rik Rdorp", "Water", "80,00", "binnen 3 werkdagen",
     "Crisissignaal: ontruiming of afsluiting aangekondigd (+100); achterstand drinkwater "
     f"(+20); achterstand € 80,00 = 3,20 maandbedragen (+12; {RULE}); "
     f"achterstand loopt 3 maanden, sinds 01-07-2026 (+6; {MONTHS})"),
    # P: crisis 100 + energy 20 + 5 (240/180 = 1.33 bills) + 4 (two months since 10-08) = 129;
    # before the end of supply on 20-11.
    (3, "bezoeklijst", 129, "Pieter Pdorp", "Energie", "240,00",
     "binnen 3 werkdagen, vóór 20-11-2026",
     "Crisissignaal: ontruiming of afsluiting aangekondigd (+100); energieachterstand (+20); "
     f"achterstand € 240,00 = 1,33 maandbedragen (+5; {RULE}); "
     f"achterstand loopt 2 maanden, sinds 10-08-2026 (+4; {MONTHS})"),
    # H: the four spellings are one household with four partner types: 30 + 20 + 20 + 10, three
    # types beyond the first (+60), four bills (+16), two months (+4) = 160.
    (4, "bezoeklijst", 160, "Hanna Hdorp", "Energie, Huur, Water, Zorg", "1005,00",
     "binnen 4 weken",
     "Huurachterstand (+30); energieachterstand (+20); achterstand drinkwater (+20); "
     "achterstand zorgverzekering (+10); meervoudig: 4 soorten schuldeisers deze maand (+60); "
     f"achterstand € 1.005,00 = 4,00 maandbedragen (+16; {RULE}); "
     f"achterstand loopt 2 maanden, sinds 01-08-2026 (+4; {MONTHS})"),
    # B: rent + energy + water: 30 + 20 + 20, two types beyond the first (+40); the same total
    # as H (EUR 1005) but 6.88 bills, because EUR 110 of water is 4.4 bills (+27); three months
    # since 01-07 (+6) = 143.
    (5, "bezoeklijst", 143, "Bram Bdorp", "Energie, Huur, Water", "1005,00", "binnen 4 weken",
     "Huurachterstand (+30); energieachterstand (+20); achterstand drinkwater (+20); "
     "meervoudig: 3 soorten schuldeisers deze maand (+40); "
     f"achterstand € 1.005,00 = 6,88 maandbedragen (+27; {RULE}); "
     f"achterstand loopt 3 maanden, sinds 01-07-2026 (+6; {MONTHS})"),
    # D: the repeat with a higher amount counts: water 20, EUR 140 = 5.6 bills (+22), four months
    # since 01-06 (+8), the August signal at the address makes it opeenvolgend (+15) = 65.
    (6, "bezoeklijst", 65, "Dirk Ddorp", "Water", "140,00", "binnen 4 weken",
     f"Achterstand drinkwater (+20); achterstand € 140,00 = 5,60 maandbedragen (+22; {RULE}); "
     f"achterstand loopt 4 maanden, sinds 01-06-2026 (+8; {MONTHS}); "
     "opeenvolgend: eerder signaal op dit adres op 12-08-2026 (+15); "
     "herhaald signaal voor dezelfde achterstand, met een hoger bedrag"),
    # F: Fokke's signal is excluded (deceased), Froukje's rent counts: 30 + 4 (700/650 = 1.07
    # bills) + 4 = 38. Capacity 3 is used by H, B and D (crisis households come on top), so
    # F is first on the waiting list. Only Froukje's name appears.
    (7, "wachtlijst", 38, "Froukje Fdorp", "Huur", "700,00", "als er ruimte is",
     f"Huurachterstand (+30); achterstand € 700,00 = 1,07 maandbedragen (+4; {RULE}); "
     f"achterstand loopt 2 maanden, sinds 15-08-2026 (+4; {MONTHS})"),
]

#: The expected list of wijkteam Oost (capacity 15, so all on the bezoeklijst): the sample's
#: points for the new types, Hypotheek 30, Belastingdienst, Dienst Toeslagen and CAK Eigen
#: bijdrage 15 each; their typical monthly amounts 1000, 250, 150 and 100.
EXPECTED_OOST = [
    # M: 30 + 15, one type beyond the first (+20); EUR 2,000 = 2 mortgage payments and EUR 450 =
    # 3 benefit instalments, 5 bills (+20); four months since 01-06 (+8) = 93.
    (1, "bezoeklijst", 93, "Mees Mdorp", "Dienst Toeslagen, Hypotheek", "2450,00",
     "binnen 4 weken", "Hypotheekachterstand (+30); terugvordering toeslagen (+15); "
     "meervoudig: 2 soorten schuldeisers deze maand (+20); "
     f"achterstand € 2.450,00 = 5,00 maandbedragen (+20; {RULE}); "
     f"achterstand loopt 4 maanden, sinds 01-06-2026 (+8; {MONTHS})"),
    # K: 15; EUR 1,200 = 4.8 bills of 250 (+19); three months since 01-07 (+6) = 40.
    (2, "bezoeklijst", 40, "Klaas Kdorp", "Belastingdienst", "1200,00", "binnen 4 weken",
     f"Belastingschuld (+15); achterstand € 1.200,00 = 4,80 maandbedragen (+19; {RULE}); "
     f"achterstand loopt 3 maanden, sinds 01-07-2026 (+6; {MONTHS})"),
    # L: 15; EUR 300 = 3 bills of 100 (+12); six months since 15-04 (+12, the maximum) = 39.
    (3, "bezoeklijst", 39, "Lies Ldorp", "CAK Eigen bijdrage", "300,00", "binnen 4 weken",
     f"Achterstand eigen bijdrage (CAK) (+15); achterstand € 300,00 = 3,00 maandbedragen "
     f"(+12; {RULE}); achterstand loopt 6 maanden, sinds 15-04-2026 (+12; {MONTHS})"),
]

#: Households not on the list, and why (status in household_scores).
NOT_LISTED = {
    "8911AA|1|": "onder_drempel",   # A: EUR 50 < EUR 75
    "8911EF|5|": "herhaling",       # C: same arrears, same amount
    "8911JK|9|": "herhaling",       # J: same signal id re-sent with a lower amount
    "8911PR|30|": "uitgesloten",    # G: on the schuldhulp list by address
    "8911UV|50|": "uitgesloten",    # Q: a crisis, but on the schuldhulp list by address
}


def _write_config(root: Path) -> None:
    """The sample municipality, with capacity 3 for Centrum and the golden exclusion lists."""
    from vroeg.settings import SHIPPED_CONFIG

    folder = root / "config" / "0080"
    shutil.copytree(SHIPPED_CONFIG / "0080", folder)
    shutil.rmtree(folder / "lists")
    # The sample partners of the types added since 2024 become active partners.
    for sample in sorted((folder / "partners-sinds-2024").glob("*.yaml")):
        sample.rename(folder / "partners" / sample.name)
    data = yaml.safe_load((folder / "gemeente.yaml").read_text(encoding="utf-8"))
    for team in data["wijkteams"]:
        if team["code"] == "wt-centrum":
            team["capacity"] = 3
    data["exclusions"] = [
        {"code": "overleden", "name": "Overleden", "kind": "overleden", "scope": "persoon",
         "file": "lists/overleden.csv"},
        {"code": "schuldhulp", "name": "In schuldhulp", "kind": "schuldhulp",
         "scope": "huishouden", "file": "lists/schuldhulp.csv"},
    ]
    (folder / "gemeente.yaml").write_text(yaml.safe_dump(data, allow_unicode=True,
                                                         sort_keys=False), encoding="utf-8")
    (folder / "lists").mkdir()
    # Fokke died on 30-09; a partner signalled him on 15-10 (partners lag behind the BRP).
    (folder / "lists" / "overleden.csv").write_text(f"bsn;datum\n{FOKKE};2026-09-30\n")
    # Address G, written as the municipality's debt-help register writes it.
    (folder / "lists" / "schuldhulp.csv").write_text(
        "postcode;huisnummer;huisnummertoevoeging;datum\n8911pr;30;;2026-05-01\n"
        "8911 UV;50;;2026-06-01\n")


@pytest.fixture(scope="module")
def golden(direct_flows, tmp_path_factory):
    from flows.ingest import ingest
    from flows.run import run_flow
    from privacy.keys import init_keys
    from vroeg.settings import Home

    root = tmp_path_factory.mktemp("golden-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(root))
        mp.delenv("VROEG_KEY_0080", raising=False)
        home = Home(root).ensure()
        init_keys(home, "0080")
        _write_config(root)
        files = root / "leveringen"
        files.mkdir()
        (files / "historie.csv").write_bytes(standard_file(HISTORY))
        (files / "oktober.csv").write_bytes(standard_file(OCTOBER))
        (files / "sinds-2024.csv").write_bytes(standard_file(SINCE_2024))
        (files / "oktober-herhaald.csv").write_bytes(standard_file(REPEAT))
        ingested = [ingest(gemeente="0080", paths=[str(files / name)], today=TODAY)[0]
                    for name in ("historie.csv", "oktober.csv", "sinds-2024.csv")]
        # The crisis lane published October's crisis households already (TODAY is in November,
        # so October is the month being worked on); the repeat comes after.
        crisis_list = _current_centrum(home)
        repeat = ingest(gemeente="0080", paths=[str(files / "oktober-herhaald.csv")],
                        today=TODAY)[0]
        run = run_flow(gemeente="0080", period=PERIOD)
        yield {"home": home, "root": root, "ingested": ingested, "run": run,
               "crisis_list": crisis_list, "repeat": repeat}


def _current_centrum(home):
    from vroeg.opsdb import runs

    return runs.current_publication(home.database_url, "0080", "wt-centrum", PERIOD)


def _read_csv(path: str) -> list[dict]:
    text = Path(path).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _centrum(run: dict) -> dict:
    return next(item for item in run["lijsten"] if item["wijkteam"] == "wt-centrum")


def _pseudonym(home, key: str) -> str:
    from privacy.keys import load_keys
    from privacy.pseudonymise import Pseudonymiser

    return Pseudonymiser(load_keys(home, "0080")).one("huishouden", key)


def test_every_signal_is_loaded(golden):
    history, october, _ = golden["ingested"]
    assert (history["rijen_geladen"], history["rijen_quarantaine"]) == (3, 0)
    # 18 rows: 17 new signals, and G-E-J1 again with another amount (an update, loaded).
    assert (october["rijen_gelezen"], october["rijen_geladen"], october["rijen_quarantaine"],
            october["rijen_dubbel"]) == (18, 18, 0, 0)


def test_the_list_of_wijkteam_centrum_is_exactly_the_expected_one(golden):
    centrum = _centrum(golden["run"])
    rows = _read_csv(centrum["csv"])
    got = [(int(r["rang"]), r["sectie"], int(r["score"]), r["naam"], r["signalen"],
            r["totaal_bedrag"], r["advies"], r["redenen"]) for r in rows]
    assert got == EXPECTED
    # The points per rule add up to the score on every row.
    for r in rows:
        points = [int(r[c]) for c in r if c.startswith("punten_")]
        assert sum(points) == int(r["score"]), r["rang"]
    assert [r["crisis"] for r in rows] == ["ja"] * 3 + ["nee"] * 4
    # H's address as its newest signal (the Zorg one, 23-10) wrote it.
    hanna = rows[3]
    assert (hanna["postcode"], hanna["huisnummer"]) == ("8911CD", "14")
    # Summary: 6 on the bezoeklijst (capacity 3 + the crisis households), 1 waiting.
    assert (centrum["huishoudens"], centrum["wachtlijst"], centrum["crisis"]) == (6, 1, 3)


def test_the_workbook_has_the_same_list_on_two_sheets(golden):
    workbook = openpyxl.load_workbook(_centrum(golden["run"])["xlsx"])
    visits = [r for r in workbook["Bezoeklijst"].iter_rows(min_row=2, values_only=True)]
    waiting = [r for r in workbook["Wachtlijst"].iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in visits] == [1, 2, 3, 4, 5, 6] and [r[0] for r in waiting] == [7]
    assert waiting[0][2] == "Froukje Fdorp"
    about = dict(workbook["Toelichting"].iter_rows(min_row=3, values_only=True))
    assert about["Regelversie"].startswith(golden["run"]["regelversie"])
    assert about["Capaciteit"].startswith("3 huishoudens per periode")


def test_crisis_households_reach_the_list_before_the_monthly_run(golden):
    """The crisis lane of October's delivery published E, R and P at once (Q is excluded), with
    their deadlines; R's repeat in a later delivery added nobody; the monthly run's list is the
    next version and holds each of them once."""
    first = golden["crisis_list"]
    assert first is not None and first.version == 1  # no list of October existed yet
    crisis = golden["ingested"][1]["crisis"]
    assert crisis["perioden"] == [PERIOD] and crisis["toegevoegd"] == 3
    assert [(i["wijkteam"], i["versie"], i["toegevoegd"]) for i in crisis["lijsten"]] == [
        ("wt-centrum", 1, 3)]
    rows = _read_csv(first.csv_path)
    assert [(int(r["rang"]), r["naam"], r["crisis"], r["advies"]) for r in rows] == [
        (1, "Eva Edorp", "ja", "binnen 3 werkdagen, vóór 14-11-2026"),
        (2, "Rik Rdorp", "ja", "binnen 3 werkdagen"),
        (3, "Pieter Pdorp", "ja", "binnen 3 werkdagen, vóór 20-11-2026")]
    # The repeat: loaded, no household added, nothing published.
    repeat = golden["repeat"]
    assert repeat["status"] == "geladen" and repeat["crisis"]["toegevoegd"] == 0
    assert repeat["crisis"]["lijsten"] == []
    centrum = _centrum(golden["run"])
    assert (centrum["versie"], centrum["status"]) == (2, "nieuwe versie")
    names = [r["naam"] for r in _read_csv(centrum["csv"])]
    assert names.count("Rik Rdorp") == 1 and "Quinta Qdorp" not in names


def test_households_left_off_and_why(golden):
    """Each household not listed has its reason; the other teams' lists are empty."""
    home = golden["home"]
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        status = dict(con.execute(
            "SELECT huishouden_pseudoniem, status FROM household_scores WHERE run_id = ?",
            [golden["run"]["run"]]).fetchall())
    finally:
        con.close()
    for key, why in NOT_LISTED.items():
        assert status[_pseudonym(home, key)] == why, key
    # Twelve households in Centrum (the four spellings of H are one): 7 listed + 5 left off;
    # and K, L and M in Oost (N's rows were quarantined).
    assert len(status) == 15
    run = golden["run"]
    assert (run["huishoudens"], run["op_lijst"], run["wachtlijst"], run["crisis"],
            run["onder_drempel"], run["herhaling"], run["uitgesloten"]) == (15, 9, 1, 3, 1, 2, 2)
    for item in run["lijsten"]:
        if item["wijkteam"] not in ("wt-centrum", "wt-oost"):
            assert item["huishoudens"] == item["wachtlijst"] == 0
            assert _read_csv(item["csv"]) == []


def test_the_partner_types_added_since_2024_are_validated_and_scored_by_one_rule(golden):
    """K, L and M are listed in Oost by the points of their types; N's two rows are quarantined
    by the same windows and amounts (the shipped partner_types) that scoring reads."""
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import QuarantineRecord

    since = golden["ingested"][2]
    assert (since["rijen_gelezen"], since["rijen_geladen"], since["rijen_quarantaine"]) == (
        6, 4, 2)
    with db.session(golden["home"].database_url) as s:
        reasons = sorted(r.reason for r in s.scalars(select(QuarantineRecord)).all())
    assert reasons == ["BEDRAG_ONDER_AFSPRAAK", "TERMIJN_TE_KORT"]
    oost = next(item for item in golden["run"]["lijsten"] if item["wijkteam"] == "wt-oost")
    rows = _read_csv(oost["csv"])
    got = [(int(r["rang"]), r["sectie"], int(r["score"]), r["naam"], r["signalen"],
            r["totaal_bedrag"], r["advies"], r["redenen"]) for r in rows]
    assert got == EXPECTED_OOST
    for r in rows:
        assert sum(int(r[c]) for c in r if c.startswith("punten_")) == int(r["score"])
    # The algorithm card names the new types' rules and where they come from.
    card = Path(golden["run"]["algoritmekaart"]["md"]).read_text(encoding="utf-8")
    assert "minimaal € 600,00 per signaal, na een formele aanmaning" in card
    assert "vanaf 151 dagen, minimaal € 100,00 per signaal" in card


def test_excluded_people_are_never_reidentified_or_published(golden):
    """Fokke (deceased), Gerrit and Quinta (in debt help; Quinta's eviction went through the
    crisis lane) appear in no list and in no re-identification, of the monthly run or of the
    crisis lane."""
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine

    home, run = golden["home"], golden["run"]
    for item in run["lijsten"]:
        for path in (item["csv"], item["xlsx"]):
            data = Path(path).read_bytes()
            assert b"Fokke" not in data and b"Gerrit" not in data and b"Cees" not in data
            assert b"Quinta" not in data
    crisis_files = [p for p in home.outbox_dir("0080").rglob("*crisis*") if p.is_file()]
    assert crisis_files
    for path in crisis_files:
        assert b"Quinta" not in path.read_bytes() and b"Fokke" not in path.read_bytes()
    with db.session(home.database_url) as s:
        lines = s.scalars(select(AuditLine).where(AuditLine.name == "heridentificatie")).all()
        from privacy.audit import Audit
        from privacy.keys import load_keys

        audit = Audit(home.database_url, load_keys(home, "0080"))
        subjects = {(audit.decrypt_subject(line.data_subject_id), line.attributes["sectie"])
                    for line in lines if line.attributes["run"] == run["run"]}
    expected = {(_pseudonym(home, key), sectie) for key, sectie in (
        ("8911KL|3|", "bezoeklijst"), ("8911WX|60|", "bezoeklijst"),
        ("8911ST|40|", "bezoeklijst"), ("8911CD|14|A", "bezoeklijst"),
        ("8911AB|12|", "bezoeklijst"), ("8911GH|7|", "bezoeklijst"),
        ("8911MN|20|", "wachtlijst"),
        # Oost: the households of the types added since 2024.
        ("8912AB|1|", "bezoeklijst"), ("8912AB|2|", "bezoeklijst"),
        ("8912AB|3|", "bezoeklijst"))}
    assert subjects == expected
    # The crisis lane re-identified its three crisis households, and no one else.
    crisis = {audit.decrypt_subject(line.data_subject_id) for line in lines
              if "crisis" in line.attributes["run"]}
    assert crisis == {_pseudonym(home, key) for key in ("8911KL|3|", "8911WX|60|", "8911ST|40|")}


def test_exclusion_lists_are_stored_as_pseudonyms_only(golden):
    home = golden["home"]
    lists = {item["lijst"]: item for item in golden["run"]["uitsluitingslijsten"]}
    # Loaded by the crisis lane of October's delivery (it applies the exclusions as the monthly
    # run does); the monthly run finds them unchanged.
    assert lists["overleden"]["status"] == "ongewijzigd" and lists["overleden"]["personen"] == 1
    assert lists["schuldhulp"]["adressen"] == 2
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        stored = con.execute("SELECT lijst, sleutelsoort, pseudoniem FROM exclusion_entries "
                             "ORDER BY lijst, pseudoniem").fetchall()
    finally:
        con.close()
    assert [(a, b) for a, b, _ in stored] == [("overleden", "persoon"),
                                              ("schuldhulp", "huishouden"),
                                              ("schuldhulp", "huishouden")]
    assert {p for _, _, p in stored[1:]} == {_pseudonym(home, "8911PR|30|"),
                                              _pseudonym(home, "8911UV|50|")}
    data = home.warehouse_path("0080").read_bytes()
    assert FOKKE.encode() not in data and b"8911PR" not in data and b"8911UV" not in data


def _vroeg(root: Path, *args: str) -> subprocess.CompletedProcess:
    vroeg = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"
    # No Prefect server: the command runs its flow directly (flows.runner).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VROEG_", "PREFECT_API"))}
    env.update(VROEG_HOME=str(root))
    return subprocess.run([vroeg, *args], env=env, capture_output=True, text=True, timeout=300,
                          cwd=root)


def test_dry_run_with_another_weight_shows_the_change_and_publishes_nothing(golden):
    """Rent at 100 points instead of 30: Froukje (rent, 38 -> 108) passes Dirk (water, 65)."""
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine

    root, home = golden["root"], golden["home"]
    outbox_before = sorted(p.name for p in home.outbox_dir("0080").rglob("*"))
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        runs_before = {r for (r,) in
                       con.execute("SELECT DISTINCT run_id FROM household_scores").fetchall()}
    finally:
        con.close()
    assert golden["run"]["run"] in runs_before
    with db.session(home.database_url) as s:
        reidentified_before = len(s.scalars(
            select(AuditLine).where(AuditLine.name == "heridentificatie")).all())
    ran = _vroeg(root, "run", "--dry-run", "--period", PERIOD,
                 "--set", "partner_type_points.Huur=100", "--json")
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    centrum = next(t for t in result["teams"] if t["wijkteam"] == "wt-centrum")
    assert (centrum["erbij"], centrum["eraf"], centrum["verschoven"], centrum["gelijk"]) == (
        1, 1, 0, 5)
    moves = {(c["pseudoniem"], c["verandering"], c["rang_nu"], c["rang_alternatief"])
             for c in centrum["wijzigingen"]}
    assert moves == {(_pseudonym(home, "8911MN|20|"), "erbij", 7, 6),
                     (_pseudonym(home, "8911GH|7|"), "eraf", 6, 7)}
    assert result["regelversie_nu"] == golden["run"]["regelversie"]
    assert result["regelversie_alternatief"] != result["regelversie_nu"]
    # Nothing published, nobody re-identified, no scores left behind; the dry run is audited.
    assert sorted(p.name for p in home.outbox_dir("0080").rglob("*")) == outbox_before
    with db.session(home.database_url) as s:
        assert len(s.scalars(select(AuditLine).where(
            AuditLine.name == "heridentificatie")).all()) == reidentified_before
        audit = s.scalars(select(AuditLine).where(AuditLine.name == "wat-als")).all()
    assert len(audit) == 1
    assert audit[0].attributes["erbij"] == 1 and audit[0].attributes["gepubliceerd"] is False
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        runs = {r for (r,) in
                con.execute("SELECT DISTINCT run_id FROM household_scores").fetchall()}
    finally:
        con.close()
    assert runs == runs_before
    # Other weights without --dry-run are refused: a published list always follows the config.
    refused = _vroeg(root, "run", "--set", "partner_type_points.Huur=100")
    assert refused.returncode == 2 and "--dry-run" in refused.stderr


def test_a_weight_changed_in_configuration_changes_the_list_and_the_card(golden):
    """The same change made in gemeente.yaml: a new list, a new version, the card shows it."""
    from flows.run import run_flow
    from vroeg.config import load_municipality

    root, home = golden["root"], golden["home"]
    path = root / "config" / "0080" / "gemeente.yaml"
    original = path.read_text(encoding="utf-8")
    data = yaml.safe_load(original)
    data["scoring"]["partner_type_points"]["Huur"] = 100
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("VROEG_HOME", str(root))
            assert load_municipality(home, "0080").scoring.partner_type_points["Huur"] == 100
            rerun = run_flow(gemeente="0080", period=PERIOD)
    finally:
        path.write_text(original, encoding="utf-8")
    rows = _read_csv(_centrum(rerun)["csv"])
    # As the dry run predicted: Froukje (now 108) on the bezoeklijst, Dirk (65) waiting.
    assert [(r["naam"], r["sectie"], int(r["score"])) for r in rows] == [
        ("Eva Edorp", "bezoeklijst", 209), ("Rik Rdorp", "bezoeklijst", 138),
        ("Pieter Pdorp", "bezoeklijst", 129), ("Hanna Hdorp", "bezoeklijst", 230),
        ("Bram Bdorp", "bezoeklijst", 213), ("Froukje Fdorp", "bezoeklijst", 108),
        ("Dirk Ddorp", "wachtlijst", 65)]
    assert rerun["regelversie"] != golden["run"]["regelversie"]
    card = Path(rerun["algoritmekaart"]["md"])
    assert card.name == f"algoritmekaart_0080_{rerun['regelversie']}.md"
    text = card.read_text(encoding="utf-8")
    assert f"**Versie** `{rerun['regelversie']}`" in text
    assert "| partnertype | huurachterstand | 100 |" in text
    document = json.loads(Path(rerun["algoritmekaart"]["json"]).read_text(encoding="utf-8"))
    assert document["regels"]["scoring"]["partner_type_points"]["Huur"] == 100
