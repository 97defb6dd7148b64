"""The golden set with the BRP link on: the same month, plus households for each BRP rule.

The golden deliveries of tests/end_to_end/test_golden.py go through the same real flows (run
directly), with the municipality's BRP link on and pointed at the local stand-in
(synthetic/brp_standin.py) over real HTTP, and the minors rule switched on (10 points). The
stand-in's register holds every golden person at the address the partners signalled, so the
BRP confirms them all: the lists of Centrum and Oost are exactly test_golden's, and the
households left off stay left off for the same reasons. On top, one delivery of households in
wijkteam Zuid (postcode 8914, capacity 18: everyone listed there is on the bezoeklijst), one
per BRP rule, worked out by hand below. The BRP's rules are those of docs/scoring.md section 8
(connectors/brp.py, scoring/brp.py).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from synthetic.brp_standin import BrpStandIn, Resident
from tests.builders import standard_file
from tests.end_to_end.test_golden import (
    EXPECTED,
    EXPECTED_OOST,
    FOKKE,
    FROUKJE,
    HISTORY,
    MONTHS,
    NOT_LISTED,
    OCTOBER,
    PERIOD,
    REPEAT,
    RULE,
    SINCE_2024,
    TODAY,
    _centrum,
    _pseudonym,
    _read_csv,
    _write_config,
    bsn,
    signal,
)

MINORS_POINTS = 10


def _resident(person_bsn: str, first: str, last: str, postcode: str, number: int, *,
              letter: str = "", addition: str = "", born: str = "19800101", died: str = "",
              gemeente: str = "0080", place: str = "Leeuwarden") -> Resident:
    # One address object and one nummeraanduiding per address, derived from it, so that
    # housemates share them as in the BRP.
    code = f"{postcode[:4]}{number:03d}{ord(letter or '@') - 64}{len(addition)}"
    return Resident(bsn=person_bsn, voornamen=first, geslachtsnaam=last, geboortedatum=born,
                    gemeente=gemeente, postcode=postcode, huisnummer=number, huisletter=letter,
                    toevoeging=addition, woonplaats=place, overlijdensdatum=died,
                    adresseerbaar_object=f"0080010{code}", nummeraanduiding=f"0080200{code}",
                    sinds="20200101")


#: The golden persons, registered where the partners signalled them (born 01-01-1980, as the
#: golden signals say), so the BRP confirms each of them: Hanna's "14 a" is house letter A in
#: the BRP; Froukje (signalled with her BSN) lives with Fokke, who died on 30-09 (the
#: 'overleden' list excludes him already; the BRP gives living residents only).
GOLDEN_RESIDENTS = [
    _resident(bsn(f"99998{i:02d}"), first, last, postcode, number, letter=letter)
    for i, (first, last, postcode, number, letter) in enumerate([
        ("Ans", "Adorp", "8911AA", 1, ""), ("Bram", "Bdorp", "8911AB", 12, ""),
        ("Cees", "Cdorp", "8911EF", 5, ""), ("Dirk", "Ddorp", "8911GH", 7, ""),
        ("Eva", "Edorp", "8911KL", 3, ""), ("Gerrit", "Gdorp", "8911PR", 30, ""),
        ("Hanna", "Hdorp", "8911CD", 14, "A"), ("Jet", "Jdorp", "8911JK", 9, ""),
        ("Pieter", "Pdorp", "8911ST", 40, ""), ("Quinta", "Qdorp", "8911UV", 50, ""),
        ("Rik", "Rdorp", "8911WX", 60, ""), ("Klaas", "Kdorp", "8912AB", 1, ""),
        ("Lies", "Ldorp", "8912AB", 2, ""), ("Mees", "Mdorp", "8912AB", 3, ""),
        ("Nel", "Ndorp", "8912AB", 4, "")])
] + [
    _resident(FOKKE, "Fokke", "Fdorp", "8911MN", 20, died="20260930"),
    _resident(FROUKJE, "Froukje", "Fdorp", "8911MN", 20),
]

SJOERD, TAMME, VERA, VINCENT, YDE = (bsn(p) for p in (
    "9999821", "9999822", "9999824", "9999825", "9999826"))

#: The BRP households' residents, in wijkteam Zuid.
BRP_RESIDENTS = [
    # S: Sjoerd died on 30-10, after his partner's signal of 12-10.
    _resident(SJOERD, "Sjoerd", "Sdorp", "8914AB", 1, died="20261030"),
    # T: Tamme moved to Amsterdam on 01-11, after the signal: registered in 0363 now.
    _resident(TAMME, "Tamme", "Tdorp", "1011AB", 2, gemeente="0363", place="Amsterdam"),
    # U: at number 3 the BRP has someone else, not the signalled Ulbe.
    _resident(bsn("9999823"), "Uilke", "Uitdam", "8914AB", 3),
    # V: Vera and her son Vincent, eleven.
    _resident(VERA, "Vera", "Vdorp", "8914AB", 4),
    _resident(VINCENT, "Vincent", "Vdorp", "8914AB", 4, born="20150101"),
    # Y and Z: a couple on the first floor of number 6, "6-1" in the BRP.
    _resident(YDE, "Yde", "Ydorp", "8914AB", 6, addition="1"),
    _resident(bsn("9999827"), "Zwaantje", "Zdorp", "8914AB", 6, addition="1"),
]


def _zuid(sid: str, ptype: str, amount: str, first: str, last: str, number: str,
          addition: str = "", *, person_bsn: str = "") -> dict:
    """A signal of 12-10 in Zuid, of arrears since 01-08 (two full months by 31-10)."""
    return signal(sid, ptype, "2026-10-12", "2026-08-01", amount, first, last, "8914 AB",
                  number, addition, person_bsn=person_bsn)


#: The BRP households: one delivery of October, in wijkteam Zuid.
BRP_SIGNALS = [
    # S: a signal with the BSN of a person who died after it: excluded, "BRP: overleden".
    _zuid("G-H-S", "Huur", "650,00", "Sjoerd", "Sdorp", "1", person_bsn=SJOERD),
    # T: the BSN of a person registered in Amsterdam now: excluded, "BRP: buiten de gemeente".
    _zuid("G-H-T", "Huur", "650,00", "Tamme", "Tdorp", "2", person_bsn=TAMME),
    # U: no BSN; nobody of that name and date of birth at the address: listed, with the reason.
    _zuid("G-H-U", "Huur", "1300,00", "Ulbe", "Udorp", "3"),
    # V: Vera's BSN, at her address, where a minor is registered: minors points.
    _zuid("G-H-V", "Huur", "650,00", "Vera", "Vdorp", "4", person_bsn=VERA),
    # W: a contract in a business name: not searched in the BRP, listed as it was.
    _zuid("G-H-W", "Huur", "650,00", "", "Schildersbedrijf Wdorp B.V.", "5"),
    # Y and Z: one address object spelt "6-1" (rent, Yde's BSN) and "6, 1 hoog" (energy, no
    # BSN) by two partners: two household keys the normaliser keeps apart; the BRP places both
    # at one address object, so they are one household under the BRP's spelling ("6-1").
    _zuid("G-H-Y", "Huur", "650,00", "Yde", "Ydorp", "6-1", person_bsn=YDE),
    _zuid("G-E-Z", "Energie", "180,00", "Zwaantje", "Zdorp", "6", "1 hoog"),
]

#: The expected list of wijkteam Zuid, worked out as test_golden's (Huur 30, Energie 20, 4 per
#: monthly bill of 650 rent and 180 energy, 2 per full month since 01-08 = +4), plus
#: MINORS_POINTS for minors in the household. S and T are excluded, so not on it.
EXPECTED_ZUID = [
    # Y/Z: rent + energy, one type beyond the first (+20); two bills (+8); two months (+4):
    # 30 + 20 + 20 + 8 + 4 = 82. One line with both names.
    (1, "bezoeklijst", 82, "Yde Ydorp / Zwaantje Zdorp", "Energie, Huur", "830,00",
     "binnen 4 weken",
     "Huurachterstand (+30); energieachterstand (+20); "
     "meervoudig: 2 soorten schuldeisers deze maand (+20); "
     f"achterstand € 830,00 = 2,00 maandbedragen (+8; {RULE}); "
     f"achterstand loopt 2 maanden, sinds 01-08-2026 (+4; {MONTHS})"),
    # V: 30 + 4 (one bill) + 4 (two months) + 10 for her son = 48.
    (2, "bezoeklijst", 48, "Vera Vdorp", "Huur", "650,00", "binnen 4 weken",
     f"Huurachterstand (+30); achterstand € 650,00 = 1,00 maandbedragen (+4; {RULE}); "
     f"achterstand loopt 2 maanden, sinds 01-08-2026 (+4; {MONTHS}); "
     f"minderjarigen in het huishouden volgens de BRP (+{MINORS_POINTS})"),
    # U: 30 + 8 (EUR 1,300 = two bills) + 4 = 42, and the reason to look twice (no points).
    (3, "bezoeklijst", 42, "Ulbe Udorp", "Huur", "1300,00", "binnen 4 weken",
     f"Huurachterstand (+30); achterstand € 1.300,00 = 2,00 maandbedragen (+8; {RULE}); "
     f"achterstand loopt 2 maanden, sinds 01-08-2026 (+4; {MONTHS}); "
     "volgens de BRP niet ingeschreven op dit adres"),
    # W: 30 + 4 + 4 = 38; the BRP was not asked, so no BRP reason and no minors points.
    (4, "bezoeklijst", 38, "Schildersbedrijf Wdorp B.V.", "Huur", "650,00", "binnen 4 weken",
     f"Huurachterstand (+30); achterstand € 650,00 = 1,00 maandbedragen (+4; {RULE}); "
     f"achterstand loopt 2 maanden, sinds 01-08-2026 (+4; {MONTHS})"),
]


def _write_brp_config(root: Path, url: str) -> None:
    """The golden municipality, with the BRP link on at the stand-in and the minors rule on."""
    import yaml

    _write_config(root)
    path = root / "config" / "0080" / "gemeente.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["brp"] = {"enabled": True, "personen_url": url, "retries": 0, "timeout_seconds": 30}
    data["scoring"]["features"].append("household_minors")
    data["scoring"]["minors_points"] = MINORS_POINTS
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def standin():
    residents = [*GOLDEN_RESIDENTS, *BRP_RESIDENTS]
    with BrpStandIn(today=dt.date.fromisoformat(TODAY), residents=residents) as server:
        # test_golden picked Fokke's and Froukje's BSNs from the 9999 test range without the
        # stand-in in mind: two of RvIG's test persons (in 0400 and 1916) have them. A BSN is
        # one person list in the BRP, so those two test persons leave this register.
        ours = {r.bsn for r in residents}
        people = server.register.people
        people[:] = [p for p in people if p.bsn not in ours or p in residents]
        assert sorted(p.bsn for p in people if p.bsn in ours) == sorted(ours)
        yield server
    assert not server.violations, server.violations


@pytest.fixture(scope="module")
def golden_brp(direct_flows, standin, tmp_path_factory):
    from flows.ingest import ingest
    from flows.run import run_flow
    from privacy.keys import init_keys
    from vroeg.settings import Home

    root = tmp_path_factory.mktemp("golden-brp-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(root))
        mp.delenv("VROEG_KEY_0080", raising=False)
        home = Home(root).ensure()
        init_keys(home, "0080")
        _write_brp_config(root, standin.url)
        files = root / "leveringen"
        files.mkdir()
        deliveries = {"historie.csv": HISTORY, "oktober.csv": OCTOBER,
                      "sinds-2024.csv": SINCE_2024, "oktober-herhaald.csv": REPEAT,
                      "oktober-zuid.csv": BRP_SIGNALS}
        ingested = {}
        for name, rows in deliveries.items():
            (files / name).write_bytes(standard_file(rows))
            ingested[name] = ingest(gemeente="0080", paths=[str(files / name)], today=TODAY)[0]
        run = run_flow(gemeente="0080", period=PERIOD)
        yield {"home": home, "root": root, "ingested": ingested, "run": run}


def _rows(item: dict) -> list[tuple]:
    # A merged line names each person once; in which order is no rule (sorted here).
    return [(int(r["rang"]), r["sectie"], int(r["score"]), " / ".join(sorted(
        r["naam"].split(" / "))), r["signalen"], r["totaal_bedrag"], r["advies"], r["redenen"])
        for r in _read_csv(item["csv"])]


def _team(run: dict, code: str) -> dict:
    return next(item for item in run["lijsten"] if item["wijkteam"] == code)


def _scores(home, run_id: str) -> dict[str, tuple]:
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        rows = con.execute(
            "SELECT huishouden_pseudoniem, status, uitsluiting, punten_minderjarigen, "
            "niet_op_adres, signalen FROM household_scores WHERE run_id = ?",
            [run_id]).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_the_brp_confirms_the_golden_households_so_their_lists_do_not_change(golden_brp):
    """Every golden person is registered where signalled and no golden household has a
    minor: Centrum's and Oost's lists are test_golden's exactly, and the households left off
    are left off for the same reasons (none of them by the BRP)."""
    home, run = golden_brp["home"], golden_brp["run"]
    assert run["brp"] == "gebruikt" and "brp_melding" not in run
    assert _rows(_centrum(run)) == EXPECTED
    assert _rows(_team(run, "wt-oost")) == EXPECTED_OOST
    scores = _scores(home, run["run"])
    for key, why in NOT_LISTED.items():
        assert scores[_pseudonym(home, key)][0] == why, key
    golden = [_pseudonym(home, key) for key in (
        "8911KL|3|", "8911WX|60|", "8911ST|40|", "8911CD|14|A", "8911AB|12|", "8911GH|7|",
        "8911MN|20|", "8912AB|1|", "8912AB|2|", "8912AB|3|")]
    # Listed, with no BRP reason and no minors points; no exclusion but F's, the 'overleden'
    # list's (Fokke's signal), as without the BRP.
    assert {scores[h][2:4] for h in golden} == {(0, False)}
    assert {h: scores[h][1] for h in golden if scores[h][1]} == {
        _pseudonym(home, "8911MN|20|"): "overleden"}
    # The crisis lane asked the BRP too, and published E, R and P at once as without it (Q is
    # on the schuldhulp list); R's repeat added nobody.
    ingested = golden_brp["ingested"]
    assert ingested["oktober.csv"]["crisis"]["toegevoegd"] == 3
    assert ingested["oktober-herhaald.csv"]["crisis"]["toegevoegd"] == 0
    # Every delivered row ends loaded or quarantined (N's two rows, as without the BRP).
    assert [(i["rijen_geladen"], i["rijen_quarantaine"]) for i in
            golden_brp["ingested"].values()] == [(3, 0), (18, 0), (4, 2), (1, 0), (7, 0)]


def test_the_brp_households_end_as_the_rules_say(golden_brp):
    home, run = golden_brp["home"], golden_brp["run"]
    zuid = _team(run, "wt-zuid")
    rows = _read_csv(zuid["csv"])
    assert _rows(zuid) == EXPECTED_ZUID
    for r in rows:
        assert sum(int(r[c]) for c in r if c.startswith("punten_")) == int(r["score"])
    # Vera's minors points are a column of their own on the list.
    assert [r["punten_minderjarigen"] for r in rows] == ["0", str(MINORS_POINTS), "0", "0"]
    scores = _scores(home, run["run"])
    key = {name: _pseudonym(home, f"8914AB|{n}|") for n, name in enumerate("STUVW", start=1)}
    # S and T: excluded as the exclusion lists exclude, with the BRP's reason.
    assert scores[key["S"]][:2] == ("uitgesloten", "BRP: overleden")
    assert scores[key["T"]][:2] == ("uitgesloten", "BRP: buiten de gemeente")
    # U: listed, flagged; V: minors points; W: neither (the BRP was not asked).
    assert scores[key["U"]][0] == "bezoeklijst" and scores[key["U"]][3] is True
    assert scores[key["V"]][2:4] == (MINORS_POINTS, False)
    assert scores[key["W"]][2:4] == (0, False)
    # Y and Z: one household under the BRP's spelling, with both signals; Z's key is gone.
    y, z = _pseudonym(home, "8914AB|6|1"), _pseudonym(home, "8914AB|6|1HOOG")
    assert z not in scores and scores[y][0] == "bezoeklijst" and scores[y][4] == 2
    names = " ".join(r["naam"] for r in rows)
    assert "Sjoerd" not in names and "Tamme" not in names


def test_the_runs_counts_name_each_brp_outcome(golden_brp):
    """The BRP is asked about the 24 signals that count in the first scoring: test_golden's 17
    (A, whose one signal counts though the household stays under the threshold; B 3, D, E, P,
    R's newest, Froukje, H 4, K, L, M 2: not C's and J's repeats, not Fokke's, G's or Q's,
    excluded by the lists) and the 7 of Zuid; the outcomes are on the run's counts with their
    reasons."""
    run = golden_brp["run"]
    assert (run["brp_gevraagd"], run["brp_overleden"], run["brp_buiten_gemeente"],
            run["brp_niet_op_adres"], run["brp_bedrijfsnaam"], run["brp_met_minderjarigen"],
            run["brp_huishoudens_samengevoegd"]) == (24, 1, 1, 1, 1, 1, 1)
    assert run["brp_redenen"] == {
        "contract op een bedrijfsnaam: niet in de BRP gezocht": 1,
        "ingeschreven buiten de gemeente volgens de BRP": 1,
        "niet ingeschreven op dit adres volgens de BRP": 1, "overleden volgens de BRP": 1}
    assert run["brp_minderjarigenregel"] is True
    # 15 golden households and 6 in Zuid (Y and Z one); listed: test_golden's 9 and Zuid's 4;
    # excluded: G and Q by the schuldhulp list, S and T by the BRP.
    assert (run["huishoudens"], run["op_lijst"], run["wachtlijst"], run["crisis"],
            run["onder_drempel"], run["herhaling"], run["uitgesloten"]) == (
        21, 13, 1, 3, 1, 2, 4)


def test_the_card_shows_the_minors_rule_and_what_is_asked_of_the_brp(golden_brp):
    run = golden_brp["run"]
    card = Path(run["algoritmekaart"]["md"]).read_text(encoding="utf-8")
    assert "minderjarigen in het huishouden volgens de BRP" in card
    assert "Niet ingeschreven op dit adres: een reden op de lijst, geen uitsluiting" in card
    document = json.loads(Path(run["algoritmekaart"]["json"]).read_text(encoding="utf-8"))
    assert document["regels"]["scoring"]["minors_points"] == MINORS_POINTS
