"""The monthly run with the BRP link on, against the local BRP stand-in over real HTTP.

Standard-format deliveries go through the real flows, run directly as a command on the embedded
default runs them (flows.runner; GX rules, vault, DuckDB); the run asks
the stand-in (synthetic/brp_standin.py: RvIG's test persons plus the synthetic residents below,
at addresses of wijkteam Oost) about the signals that count, keeps the answers as pseudonymous
facts and scores again. Each household below ends as the rule says, with its reason; a BRP that
stops answering leaves the next run without BRP facts, and the run says so.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from synthetic.brp_standin import BrpStandIn, Resident
from tests.builders import row, standard_file
from vroeg.bsn import first_valid

PERIOD = "2026-10"
TODAY = "2026-11-22"

PIET, PIETJE, DEAD, OTHER, HENDRIK, GRIETJE = (
    first_valid(p) for p in ("9999711", "9999712", "9999713", "9999714", "9999716", "9999717"))
MOULIN = "999993653"  # an official test person, registered in Rotterdam (0599)


def _resident(bsn: str, first: str, last: str, born: str, number: int, *, prefix: str = "",
              died: str = "", addition: str = "") -> Resident:
    return Resident(bsn=bsn, voornamen=first, voorvoegsel=prefix, geslachtsnaam=last,
                    geboortedatum=born, gemeente="0080", postcode="8913AB", huisnummer=number,
                    toevoeging=addition, woonplaats="Leeuwarden", overlijdensdatum=died,
                    adresseerbaar_object=f"00800100000{number:05d}",
                    nummeraanduiding=f"00802000000{number:05d}", sinds="20200101")


RESIDENTS = [
    # P: a parent and a child of eleven.
    _resident(PIET, "Piet", "Postma", "19800101", 1),
    _resident(PIETJE, "Pietje", "Postma", "20150101", 1),
    # Q: someone else lives at number 2.
    _resident(OTHER, "Oane", "Oosterhof", "19700101", 2),
    # R: died on 30-10-2026, after the signal.
    _resident(DEAD, "Rinse", "Rienstra", "19500101", 3, died="20261030"),
    # U: a name with a diacritic and a prefix.
    _resident(first_valid("9999715"), "Sjoukje", "Wâl", "19660606", 6, prefix="van der"),
    # V and W: a couple on the first floor of number 7, "7-1" in the BRP.
    _resident(HENDRIK, "Hendrik", "Hoekstra", "19750303", 7, addition="1"),
    _resident(GRIETJE, "Grietje", "Boer", "19770404", 7, prefix="de", addition="1"),
]


def signal(sid: str, first: str, last: str, number: str, *, person_bsn: str = "",
           born: str = "1980-01-01", prefix: str = "", addition: str = "",
           partner_type: str = "Huur", partner: str = "Woongroep Fryslân") -> dict:
    return row(signaal_id=sid, partner_type=partner_type, partner_naam=partner,
               signaaldatum="2026-10-12", ontstaansdatum="2026-08-01", bedrag="620,00",
               crisis="nee", bsn=person_bsn, voornamen=first, tussenvoegsel=prefix,
               achternaam=last, geboortedatum=born, straatnaam="Zilverstraat",
               postcode="8913 AB", huisnummer=number, huisnummertoevoeging=addition, telefoon="",
               email="")


SIGNALS = [
    signal("B-P", "Piet", "Postma", "1", person_bsn=PIET),
    signal("B-Q", "Quirijn", "Quist", "2"),
    signal("B-R", "Rinse", "Rienstra", "3", person_bsn=DEAD, born="1950-01-01"),
    signal("B-S", "Suzanne", "Moulin", "4", person_bsn=MOULIN, born="1985-12-01"),
    signal("B-T", "", "Schildersbedrijf Tjallingii B.V.", "5"),
    signal("B-U", "SJOUKJE", "WAL", "6", born="1966-06-06"),
    # The couple at 7-1, by two partners who spell the floor differently: vroeg.address keeps
    # "7-1" and "7, 1 hoog" apart (two household keys); the BRP's address object joins them.
    signal("B-V", "Hendrik", "Hoekstra", "7-1", person_bsn=HENDRIK, born="1975-03-03"),
    signal("B-W", "Grietje", "Boer", "7", prefix="de", born="1977-04-04", addition="1 hoog",
           partner_type="Energie", partner="Energie Noord"),
]


@pytest.fixture(scope="module")
def standin():
    with BrpStandIn(today=__import__("datetime").date(2026, 11, 22),
                    residents=RESIDENTS) as server:
        yield server
    assert not server.violations, server.violations


def _config(root: Path, url: str) -> None:
    from vroeg.settings import SHIPPED_CONFIG

    folder = root / "config" / "0080"
    shutil.copytree(SHIPPED_CONFIG / "0080", folder)
    data = yaml.safe_load((folder / "gemeente.yaml").read_text(encoding="utf-8"))
    data["exclusions"] = []
    data["brp"] = {"enabled": True, "personen_url": url, "retries": 0, "timeout_seconds": 30}
    data["scoring"]["features"].append("household_minors")
    data["scoring"]["minors_points"] = 10
    (folder / "gemeente.yaml").write_text(yaml.safe_dump(data, allow_unicode=True,
                                                         sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def brp_run(direct_flows, standin, tmp_path_factory):
    from flows.ingest import ingest
    from flows.run import run_flow
    from privacy.keys import init_keys
    from vroeg.settings import Home

    root = tmp_path_factory.mktemp("brp-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(root))
        mp.delenv("VROEG_KEY_0080", raising=False)
        home = Home(root).ensure()
        init_keys(home, "0080")
        _config(root, standin.url)
        delivery = root / "oktober.csv"
        delivery.write_bytes(standard_file(SIGNALS))
        ingested = ingest(gemeente="0080", paths=[str(delivery)], today=TODAY)[0]
        run = run_flow(gemeente="0080", period=PERIOD)
        yield {"home": home, "root": root, "ingested": ingested, "run": run, "mp": mp}


def _pseudonym(home, key: str) -> str:
    from privacy.keys import load_keys
    from privacy.pseudonymise import Pseudonymiser

    return Pseudonymiser(load_keys(home, "0080")).one("huishouden", key)


def _scores(home, run_id: str) -> dict[str, tuple]:
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        rows = con.execute(
            "SELECT huishouden_pseudoniem, status, uitsluiting, punten_minderjarigen, "
            "minderjarigen, niet_op_adres FROM household_scores WHERE run_id = ?",
            [run_id]).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def _oost(run: dict) -> list[dict]:
    item = next(i for i in run["lijsten"] if i["wijkteam"] == "wt-oost")
    text = Path(item["csv"]).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_each_household_ends_as_the_rule_says_with_its_reason(brp_run):
    home, run = brp_run["home"], brp_run["run"]
    assert brp_run["ingested"]["rijen_geladen"] == 8
    scores = _scores(home, run["run"])
    key = {name: _pseudonym(home, f"8913AB|{n}|") for n, name in enumerate("PQRSTU", start=1)}
    # P: registered, a minor at home: +10 and no reason to look twice.
    assert scores[key["P"]][0] == "bezoeklijst" and scores[key["P"]][2:] == (10, True, False)
    # Q: the BRP has someone else at the address: listed, with the reason, never excluded.
    assert scores[key["Q"]][0] == "bezoeklijst" and scores[key["Q"]][4] is True
    # R: deceased, S: registered in Rotterdam: excluded like the exclusion lists exclude.
    assert scores[key["R"]][:2] == ("uitgesloten", "BRP: overleden")
    assert scores[key["S"]][:2] == ("uitgesloten", "BRP: buiten de gemeente")
    # T: a business name: not searched, listed as it was, no BRP reason.
    assert scores[key["T"]][0] == "bezoeklijst" and scores[key["T"]][2:] == (0, None, False)
    # U: "SJOUKJE WAL" is Sjoukje van der Wâl: registered.
    assert scores[key["U"]][0] == "bezoeklijst" and scores[key["U"]][4] is False
    rows = {r["naam"]: r for r in _oost(run)}
    assert "minderjarigen in het huishouden volgens de BRP (+10)" in rows["Piet Postma"][
        "redenen"]
    assert rows["Piet Postma"]["punten_minderjarigen"] == "10"
    assert rows["Quirijn Quist"]["redenen"].endswith(
        "volgens de BRP niet ingeschreven op dit adres")
    assert "BRP" not in rows["SJOUKJE WAL"]["redenen"]
    for r in rows.values():
        assert sum(int(r[c]) for c in r if c.startswith("punten_")) == int(r["score"])
    assert not any(name.startswith(("Rinse", "Suzanne")) for name in rows)


def test_the_runs_counts_and_audit_trail_name_the_brp_without_a_bsn(brp_run):
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine

    home, run = brp_run["home"], brp_run["run"]
    assert run["brp"] == "gebruikt" and "brp_melding" not in run
    assert (run["brp_gevraagd"], run["brp_overleden"], run["brp_buiten_gemeente"],
            run["brp_niet_op_adres"], run["brp_bedrijfsnaam"], run["brp_met_minderjarigen"]) == (
        8, 1, 1, 1, 1, 1)
    assert run["brp_redenen"] == {
        "contract op een bedrijfsnaam: niet in de BRP gezocht": 1,
        "ingeschreven buiten de gemeente volgens de BRP": 1,
        "niet ingeschreven op dit adres volgens de BRP": 1, "overleden volgens de BRP": 1}
    with db.session(home.database_url) as s:
        queries = s.scalars(select(AuditLine).where(AuditLine.name == "brp-bevraging")).all()
        asked = s.scalars(select(AuditLine).where(
            AuditLine.name == "heridentificatie")).all()
        scoring = s.scalars(select(AuditLine).where(
            AuditLine.name == "matchen-en-scoren")).all()
    # The run's scoring line in the audit trail carries the BRP's outcome by reason.
    mine = [line.attributes for line in scoring if line.attributes.get("run") == run["run"]]
    assert mine and (mine[0]["brp_overleden"], mine[0]["brp_buiten_gemeente"]) == (1, 1)
    assert mine[0]["brp_redenen"]["overleden volgens de BRP"] == 1
    kinds = sorted(line.attributes["vraagsoort"] for line in queries)
    assert kinds.count("RaadpleegMetBurgerservicenummer") == 4
    assert {line.attributes["doel"] for line in queries} == {
        "vroegsignalering schulden (Wgs art. 3)"}
    text = json.dumps([line.attributes for line in queries])
    for bsn in (PIET, DEAD, MOULIN, OTHER, HENDRIK):
        assert bsn not in text
    # One line per household of the first scoring (V and W still two there).
    assert sum(1 for line in asked if line.attributes.get("doel") == "proces: brp-controle") == 8


def test_the_warehouse_keeps_facts_not_identities(brp_run):
    home, run = brp_run["home"], brp_run["run"]
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        facts = con.execute("SELECT count(*), count(*) FILTER (WHERE overleden), "
                            "max(minderjarigen) FROM brp_facts WHERE run_id = ?",
                            [run["run"]]).fetchone()
    finally:
        con.close()
    assert facts == (8, 1, 1)
    data = home.warehouse_path("0080").read_bytes()
    for value in (PIET, PIETJE, DEAD, MOULIN, OTHER, HENDRIK, GRIETJE, "Postma", "Oosterhof",
                  "Rienstra", "Moulin", "Tjallingii", "Hoekstra"):
        assert value.encode() not in data


def test_a_dry_run_compares_with_what_the_brp_said_in_the_published_run(brp_run):
    """Oost published five households (R and S excluded by the BRP, V and W one household); a
    dry run with capacity 5 changes nothing there."""
    from flows.run import whatif_flow

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(brp_run["root"]))
        result = whatif_flow(gemeente="0080", period=PERIOD,
                             overrides={"wijkteams": {"wt-oost": {"capacity": 5}}})
    oost = next(t for t in result["teams"] if t["wijkteam"] == "wt-oost")
    assert (oost["bezoeklijst_nu"], oost["bezoeklijst_alternatief"], oost["eraf"]) == (5, 5, 0)


def test_a_brp_that_stops_answering_leaves_the_run_without_brp_facts_and_says_so(brp_run,
                                                                                 standin):
    from flows.run import run_flow

    home = brp_run["home"]
    standin.set_fault("stilte")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("VROEG_HOME", str(brp_run["root"]))
            rerun = run_flow(gemeente="0080", period=PERIOD)
    finally:
        standin.set_fault(None)
    assert rerun["brp"] == "niet gebruikt"
    assert "antwoordt niet (HTTP 503, na 1 poging)" in rerun["brp_melding"]
    assert "De run gaat verder zonder BRP-gegevens." in rerun["brp_melding"]
    # Without BRP facts nobody is excluded by the BRP and nobody gets minors points.
    scores = _scores(home, rerun["run"])
    assert {v[1] for v in scores.values()} == {None}
    assert all(v[2] == 0 for v in scores.values())


def test_what_only_the_brp_said_leaks_nowhere(brp_run):
    """Names and BSNs that only the BRP's answers hold (housemates, a child, a name's spelling
    in the register) are in no file of the home (warehouse, operational database and audit
    trail, vault, archive, outbox, logs) and not in the run's summary: the BRP's answers become
    yes/no and counts, nothing else (the canary search of tests/leakscan.py, every encoding and
    every DuckDB column). The flows run directly here; what reaches Prefect's database is the
    canary test's (test_no_leaks.py)."""
    from tests.leakscan import scan_tree

    # ... and the address objects' ids (the warehouse keeps a keyed MAC of them).
    only_in_answers = [OTHER, PIETJE, "Oosterhof", "Pietje", "Wâl", "0080010000000001",
                       "0080010000000007"]
    findings, searched = scan_tree(brp_run["root"], only_in_answers)
    assert searched > 10 and findings == []
    # The search does find what it looks for: a delivered name is in the delivery and the list.
    assert len(scan_tree(brp_run["root"], ["Quirijn"])[0]) >= 2
    summary = json.dumps(brp_run["run"], ensure_ascii=False)
    assert not any(value in summary for value in only_in_answers)


def test_the_register_names_the_brps_data_only_when_the_link_is_on(brp_run):
    from governance.register import build
    from tests import REPO_ROOT
    from vroeg.config import load_municipality
    from vroeg.settings import Home

    brp_data = "uit de BRP (Haal Centraal; gepseudonimiseerd in het pakhuis, per run)"
    linked = load_municipality(brp_run["home"], "0080")
    assert "overleden (ja/nee)" in build(linked)["categorieen_persoonsgegevens"][brp_data]
    sample = load_municipality(Home(REPO_ROOT), "0080")
    assert brp_data not in build(sample)["categorieen_persoonsgegevens"]


def _households(home, run_id: str) -> dict[str, tuple]:
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        rows = con.execute(
            "SELECT huishouden_pseudoniem, signalen, partnertypes, samengevoegd, status, "
            "niet_op_adres FROM household_scores WHERE run_id = ?", [run_id]).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_two_spellings_of_one_address_object_are_one_household_with_the_brp(brp_run):
    """V ("7-1", with a BSN) and W ("7, 1 hoog", without): two household keys, which the
    normaliser cannot merge; the BRP places both at one address object, so the run lists one
    household under the key of the BRP's spelling, with both partners' signals counted."""
    home, run = brp_run["home"], brp_run["run"]
    v, w = _pseudonym(home, "8913AB|7|1"), _pseudonym(home, "8913AB|7|1HOOG")
    households = _households(home, run["run"])
    assert w not in households
    signals, types, merged, status, not_there = households[v]
    assert (signals, types, merged, status, not_there) == (
        2, ["Energie", "Huur"], 1, "bezoeklijst", False)
    assert run["brp_huishoudens_samengevoegd"] == 1
    # One line on Oost's list naming both (each re-identified from the household its own
    # address gave), with both partners as creditors and the points for two partner types.
    rows = [r for r in _oost(run) if "Hoekstra" in r["naam"] or "Boer" in r["naam"]]
    assert len(rows) == 1
    assert set(rows[0]["naam"].split(" / ")) == {"Hendrik Hoekstra", "Grietje de Boer"}
    # (Energie Noord is not in the partner registry: the list names its id.)
    assert set(rows[0]["schuldeisers"].split(", ")) == {"Woongroep Fryslân",
                                                        "std-energie-noord"}
    assert int(rows[0]["punten_meervoudig"]) > 0
    # The warehouse keeps a keyed MAC of the address object, never the id.
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        objects = con.execute(
            "SELECT count(DISTINCT adresobject_pseudoniem), count(*) FROM brp_facts "
            "WHERE run_id = ? AND adresobject_pseudoniem IS NOT NULL", [run["run"]]).fetchone()
    finally:
        con.close()
    assert objects == (2, 3)  # P's, and V's and W's (shared)
    assert b"0080010000000007" not in home.warehouse_path("0080").read_bytes()


def test_without_the_brp_the_two_spellings_stay_two_households(brp_run):
    """The same warehouse scored without BRP facts (a run id the BRP never answered for)."""
    from scoring.score import Period, score_period
    from scoring.warehouse import connect
    from vroeg.config import load_municipality

    home = brp_run["home"]
    copy = brp_run["root"] / "zonder-brp.duckdb"
    shutil.copyfile(home.warehouse_path("0080"), copy)
    with connect(copy, write=True) as con:
        score_period(con, load_municipality(home, "0080"), Period.parse(PERIOD), "zonder-brp")
        rows = dict(con.execute(
            "SELECT huishouden_pseudoniem, signalen FROM household_scores "
            "WHERE run_id = 'zonder-brp'").fetchall())
    v, w = _pseudonym(home, "8913AB|7|1"), _pseudonym(home, "8913AB|7|1HOOG")
    assert (rows[v], rows[w]) == (1, 1)


def test_the_merge_is_in_the_audit_trail_and_asked_only_where_it_can_matter(brp_run, standin):
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine

    home, run = brp_run["home"], brp_run["run"]
    with db.session(home.database_url) as s:
        bulk = s.scalars(select(AuditLine).where(
            AuditLine.name == "brp-huishoudens-samengevoegd")).all()
        each = s.scalars(select(AuditLine).where(
            AuditLine.name == "brp-huishouden-samengevoegd")).all()
    mine = [line for line in bulk if line.attributes.get("run") == run["run"]]
    assert len(mine) == 1 and mine[0].attributes["samengevoegd"] == 1
    assert len([line for line in each if line.parent_operation_id == mine[0].operation_id]) == 1
    # Who lives at an address object is asked once, for the one postcode and number that two
    # signals spell differently, with names and ages only.
    by_object = [fields for kind, fields in standin.asked
                 if kind == "ZoekMetAdresseerbaarObjectIdentificatie"]
    assert len(by_object) == 1
    assert "burgerservicenummer" not in by_object[0]


def test_subject_access_and_erasure_find_the_merged_household_by_the_other_spelling(brp_run):
    """W asks what is held about "8913 AB 7, 1 hoog": the run's score of the merged household
    (under V's key) is in the answer; erasing W takes the merged line off Oost's list in the
    outbox, although that line may show V's spelling of the address."""
    from governance.erasure import erase
    from governance.subject import Query
    from governance.subject_access import subject_access
    from privacy.audit import new_trace_id
    from privacy.context import context

    run = brp_run["run"]
    w = Query(postcode="8913AB", huisnummer="7", toevoeging="1 hoog")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(brp_run["root"]))
        report = subject_access(context("0080"), w, trace_id=new_trace_id())
        mine = [s for s in report["scores"] if s["run_id"] == run["run"]]
        assert [(s["signalen"], s["op_lijst"]) for s in mine] == [(2, True)]
        erase(context("0080"), w, trace_id=new_trace_id())
    names = [r["naam"] for r in _oost(run)]
    assert not any("Boer" in n or "Hoekstra" in n for n in names)
    assert "Piet Postma" in names  # the rest of the list stays


def _facts(home) -> list[tuple]:
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        return con.execute("SELECT signaal_pseudoniem, overleden FROM brp_facts "
                           "ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_key_rotation_and_erasure_carry_the_brp_facts_along(brp_run):
    """Last in this module (it re-keys the home): the BRP facts are re-keyed with the signals,
    and an erased person's facts go with their signals."""
    from governance import rotation
    from governance.erasure import erase
    from governance.subject import Query
    from privacy.audit import new_trace_id
    from privacy.context import context

    home = brp_run["home"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VROEG_HOME", str(brp_run["root"]))
        before = _facts(home)
        rotation.rotate(home, "0080")
        after = _facts(home)
        assert len(after) == len(before) and all(s.startswith("k2_") for s, _ in after)
        con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
        try:
            signals = {s for (s,) in con.execute(
                "SELECT signaal_pseudoniem FROM signals").fetchall()}
        finally:
            con.close()
        assert {s for s, _ in after} <= signals
        erase(context("0080"), Query(bsn=DEAD), trace_id=new_trace_id())
        assert len(_facts(home)) == len(after) - 1
        assert not any(dead for _s, dead in _facts(home))

