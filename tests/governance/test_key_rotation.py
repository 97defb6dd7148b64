"""Keys: refused when unsafe, versioned, and rotated without losing or doubling a household.

The rotation test runs on a copy of the demo installation (tests/demo_home.py), interrupts the
rotation twice at different steps, resumes it through the Prefect flow, and then checks every
store and re-publishes the lists.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import json
import os
import stat
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from privacy.keys import KeyProblem, begin_rotation, finish_rotation, load_keys
from tests import portal_support as ps
from tests.demo_home import demo_copy, listed_line, resident_households, sample_resident

runner = CliRunner()


# ---------------------------------------------------------------------------------------------
# Keys refuse to start when missing, unsafe or mid-rotation
# ---------------------------------------------------------------------------------------------

def test_key_ring_keeps_every_version(home):
    start, new = begin_rotation(home, "0080")
    assert (start, new) == (1, 2)
    assert begin_rotation(home, "0080") == (1, 2)  # idempotent while pending
    assert stat.S_IMODE(home.key_file("0080").stat().st_mode) == 0o600
    with pytest.raises(KeyProblem, match="vroeg keys rotate"):
        load_keys(home, "0080")
    during = load_keys(home, "0080", allow_pending=True)
    assert (during.version, during.pending, during.versions) == (1, 2, [1, 2])
    assert during.at(2).derive("kluis") != during.derive("kluis")
    finish_rotation(home, "0080", 2)
    after = load_keys(home, "0080")
    assert (after.version, after.pending) == (2, None)
    assert after.at(1).master == during.master  # the old version stays for old audit lines
    with pytest.raises(KeyProblem, match="niet beschikbaar"):
        after.at(7)


def test_rotation_needs_a_key_file(home, monkeypatch):
    monkeypatch.setenv("VROEG_KEY_0080", base64.urlsafe_b64encode(b"e" * 32).decode())
    with pytest.raises(KeyProblem, match="sleutelbestand"):
        begin_rotation(home, "0080")
    # Older versions can come from the environment too.
    monkeypatch.setenv("VROEG_KEY_VERSION_0080", "2")
    monkeypatch.setenv("VROEG_KEY_0080_V1", base64.urlsafe_b64encode(b"o" * 32).decode())
    ring = load_keys(home, "0080")
    assert ring.version == 2 and ring.at(1).master == b"o" * 32


@pytest.mark.parametrize("command", [["audit", "verify"], ["audit"], ["subject-access", "--bsn",
                                     "999990019"], ["retention", "--dry-run"], ["keys", "rotate"]])
def test_commands_refuse_a_world_readable_key_file(home, command):
    os.chmod(home.key_file("0080"), 0o644)
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "chmod 600" in result.output


@pytest.mark.prefect
def test_flows_refuse_to_start_with_an_unsafe_key(prefect_server, home):
    from flows.ingest import ingest_flow
    from flows.retention import retention_flow
    from flows.rotation import rotation_flow
    from flows.run import run_flow

    os.chmod(home.key_file("0080"), 0o640)
    for start in (lambda: ingest_flow(gemeente="0080", receipts=[]),
                  lambda: run_flow(gemeente="0080"),
                  lambda: retention_flow(gemeente="0080", dry_run=True),
                  lambda: rotation_flow(gemeente="0080")):
        with pytest.raises(Exception, match="chmod 600"):
            start()
    assert "pending" not in json.loads(home.key_file("0080").read_text())


def test_commands_refuse_a_missing_key(tmp_path, monkeypatch):
    monkeypatch.setenv("VROEG_HOME", str(tmp_path / "leeg"))
    monkeypatch.delenv("VROEG_KEY_0080", raising=False)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 2 and "vroeg keys init" in result.output


@pytest.mark.parametrize("command", [["audit"], ["audit", "verify"], ["register"],
                                     ["subject-access"], ["erase"], ["reidentify"], ["retention"],
                                     ["keys", "rotate"]])
def test_privacy_commands_have_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_a_rotation_does_not_begin_while_a_delivery_is_being_ingested(home):
    from governance import rotation
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Delivery

    with db.session(home.database_url) as s:
        s.add(Delivery(id="d-1", gemeente="0080", partner_id="p", filename="f.csv",
                       sha256="0" * 64, size_bytes=1))
    with pytest.raises(rotation.RotationError, match="1 levering"):
        rotation.start(home, "0080")
    assert "pending" not in json.loads(home.key_file("0080").read_text())


def test_a_rotation_waits_for_a_live_run_but_not_for_a_killed_one(home):
    """A run still working holds the old key; one whose process is gone (kill -9) does not, and
    must not block rotations for hours (issue 19, point 17)."""
    import socket
    import subprocess
    import sys

    from governance import rotation
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Run

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with db.session(home.database_url) as s:
        s.add(Run(id="r-dood", gemeente="0080", period="2026-10", rules_version="x",
                  pid=gone.pid, host=socket.gethostname()))
    rotation.start(home, "0080")  # the killed run is no reason to wait
    assert "pending" in json.loads(home.key_file("0080").read_text())


def test_a_rotation_does_not_begin_while_a_run_is_working(home):
    import os
    import socket

    from governance import rotation
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Run

    with db.session(home.database_url) as s:
        s.add(Run(id="r-levend", gemeente="0080", period="2026-10", rules_version="x",
                  pid=os.getpid(), host=socket.gethostname()))
    with pytest.raises(rotation.RotationError, match="1 run"):
        rotation.start(home, "0080")
    assert "pending" not in json.loads(home.key_file("0080").read_text())


def test_the_register_comes_from_configuration(home):
    text = runner.invoke(app, ["register"])
    assert text.exit_code == 0, text.output
    for expected in ("Register van verwerkingsactiviteiten", "Verwerkingsverantwoordelijke",
                     "Functionaris gegevensbescherming", "Wijkteam Centrum", "Bewaartermijnen",
                     "logboek: 1825 dagen", "Doorgifte", "AES-256-GCM",
                     "Toegang tot de bezoeklijsten"):
        assert expected in text.output, expected
    document = json.loads(runner.invoke(app, ["register", "--json"]).output)
    assert document["bewaartermijnen_dagen"]["originele leveringen (archief)"] == 90
    assert "achternaam" in document["categorieen_persoonsgegevens"][
        "identificerend (alleen in de versleutelde kluis en op de bezoeklijst)"]


# ---------------------------------------------------------------------------------------------
# Rotation on the demo installation
# ---------------------------------------------------------------------------------------------

class Interrupted(Exception):
    pass


def interrupt_at(point: str):
    def hook(reached: str) -> None:
        if reached == point:
            raise Interrupted(point)
    return hook


def _lists(home, run: dict) -> dict[str, list[dict]]:
    out = {}
    for item in run["lijsten"]:
        path = home.outbox_dir("0080") / item["wijkteam"] / Path(item["csv"]).name
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")),
                                   delimiter=";"))
        out[item["wijkteam"]] = rows
    return out


def _comparable(row: dict) -> tuple:
    # Names and phones of a household come newest signal first; signals of one day are ordered
    # by pseudonym, so only their set is key-independent.
    fixed = {k: v for k, v in row.items() if k not in ("rang", "naam", "telefoon")}
    return (tuple(sorted(fixed.items())), tuple(sorted(row["naam"].split(" / "))),
            tuple(sorted(row["telefoon"].split(" / "))))


def _households(ctx) -> set[frozenset]:
    """Every household as the set of its signals' identities, re-identified from the vault."""
    everyone = {r.huishouden for r in ctx.vault.all_index()}
    found = ctx.vault.reidentify(everyone, purpose="test", audit=ctx.audit, trace_id="t" * 32)
    return {frozenset((r["partner_id"], r["signaal_id"], r["achternaam"], r["postcode"],
                       r["huisnummer"]) for r in records) for records in found.values()}


def _warehouse(home) -> dict:
    import duckdb

    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        return {
            "signals": con.execute("SELECT count(*), count(DISTINCT huishouden_pseudoniem), "
                                   "count(DISTINCT persoon_pseudoniem) FROM signals").fetchone(),
            "versions": dict(con.execute("SELECT sleutelversie, count(*) FROM signals "
                                         "GROUP BY 1").fetchall()),
            "scores": con.execute("SELECT count(*), count(DISTINCT huishouden_pseudoniem), "
                                  "count(*) FILTER (WHERE NOT starts_with(huishouden_pseudoniem, "
                                  "'k2_')) FROM household_scores").fetchone(),
        }
    finally:
        con.close()


def _today() -> str:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()


def _warehouse_households(home) -> set[str]:
    import duckdb

    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        return {h for (h,) in con.execute("SELECT DISTINCT huishouden_pseudoniem FROM signals")
                .fetchall()}
    finally:
        con.close()


def ps_pairs(home, publication_id: int):
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import PublicationHousehold

    with db.session(home.database_url) as s:
        return list(s.scalars(select(PublicationHousehold)
                              .where(PublicationHousehold.publication_id == publication_id)))


def _ops_pseudonym_versions(home) -> dict[str, set[str]]:
    """The key versions of the household pseudonyms the operational database keeps."""
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Case, PublicationHousehold

    with db.session(home.database_url) as s:
        return {name: {p.split("_")[0] for p in s.scalars(select(column)).all()}
                for name, column in (
                    ("lijsthuishoudens", PublicationHousehold.huishouden_pseudoniem),
                    ("zaken", Case.huishouden_pseudoniem))}


@pytest.mark.prefect
def test_rotation_on_the_demo_resumes_and_keeps_every_household_and_list(
        prefect_server, tmp_path, monkeypatch):
    from flows.ingest import ingest, ingest_flow
    from flows.rotation import rotation_flow
    from flows.run import run_flow
    from governance import rotation
    from privacy import archive, chain
    from privacy.context import context
    from vroeg.opsdb import cases

    home, demo = demo_copy(tmp_path, monkeypatch)
    ctx = context("0080")
    # A coordinator records a contact attempt in the portal for a resident's household.
    resident = sample_resident(home)
    publication, line = listed_line(home, resident_households(home, resident["bsn"]))
    ps.add_account(home, "coord", ["coordinator"], [publication.wijkteam])
    ps.add_account(home, "privacy", ["privacy"])
    household_url = f"/lijsten/{publication.id}/huishoudens/{line.regel}"
    # The portal runs on through the rotation (one application, started before it).
    portal = ps.app_for(home)
    coordinator = ps.client_for(portal, "coord")
    officer = ps.client_for(portal, "privacy")
    recorded = coordinator.post(household_url + "/contactpogingen", follow_redirects=False, data={
        "csrf": ps.csrf_of(coordinator.get(household_url).text), "soort": "Huisbezoek",
        "bereikt": "ja", "datum": _today(), "dagdeel": "Middag"})
    assert recorded.status_code == 303, recorded.text[:300]
    closed = coordinator.post(household_url + "/eindresultaat", follow_redirects=False, data={
        "csrf": ps.csrf_of(coordinator.get(household_url).text),
        "eindresultaat": cases.NO_HELP_NEEDED})
    assert closed.status_code == 303, closed.text[:300]
    assert _ops_pseudonym_versions(home) == {"lijsthuishoudens": {"k1"}, "zaken": {"k1"}}
    households_before = _households(ctx)
    vault_before = ctx.vault.count()
    warehouse_before = _warehouse(home)
    lists_before = _lists(home, demo["run"])
    assert len(households_before) == warehouse_before["signals"][1] > 300
    assert warehouse_before["versions"] == {1: vault_before}

    # 1. Interrupted in the middle of re-keying the vault (after two batches of 200).
    with pytest.raises(Interrupted):
        rotation.rotate(home, "0080", batch_size=200, interrupt=interrupt_at("kluis:batch:2"))
    state = rotation.current_state(home, "0080")
    assert (state.from_version, state.to_version, state.step) == (1, 2, "sleutel")
    assert json.loads(home.key_file("0080").read_text())["pending"] == 2
    from privacy.vault import Vault

    half = Vault(home.vault_url("0080"), load_keys(home, "0080", allow_pending=True))
    assert half.count_by_version() == {1: vault_before - 400, 2: 400}
    # Nothing else may start now: not a command, not a flow.
    with pytest.raises(KeyProblem, match="vroeg keys rotate"):
        context("0080")
    with pytest.raises(KeyProblem, match="niet afgemaakt"):
        ingest_flow(gemeente="0080", receipts=[])
    assert runner.invoke(app, ["audit"]).exit_code == 2
    # The running portal keeps answering, and logs under a key it can still read.
    assert coordinator.get(f"/lijsten/{publication.id}").status_code == 200

    # 2. Resumed, and interrupted again after the warehouse was re-keyed, at the end of the
    #    operational database's step (its transaction committed, the step not yet recorded).
    with pytest.raises(Interrupted):
        rotation.rotate(home, "0080", batch_size=500, interrupt=interrupt_at("portaal:klaar"))
    assert rotation.current_state(home, "0080").step == "pakhuis"
    assert _warehouse(home)["versions"] == {2: vault_before}
    assert _ops_pseudonym_versions(home) == {"lijsthuishoudens": {"k2"}, "zaken": {"k2"}}

    # 3. Finished by the flow, as `vroeg keys rotate` runs it.
    summary = rotation_flow(gemeente="0080")
    assert summary["van_versie"] == 1 and summary["naar_versie"] == 2
    assert summary["kluis"] == {} and summary["pakhuis"] == {}  # done before, not redone
    # The portal's step ran again (it was not recorded) and found nothing left to do.
    assert summary["portaal"] == {"lijsthuishoudens": 0, "lijsthuishoudens_zonder_kluisrecord": 0,
                                  "zaken": 0, "zaken_zonder_kluisrecord": 0}
    assert _ops_pseudonym_versions(home) == {"lijsthuishoudens": {"k2"}, "zaken": {"k2"}}
    assert summary["archief"]["archiefbestanden"] == summary["archief"]["archief_totaal"] > 0
    assert rotation.current_state(home, "0080") is None

    ctx = context("0080")
    assert ctx.keys.version == 2
    assert ctx.vault.count_by_version() == {2: vault_before}
    after = _warehouse(home)
    assert after["signals"] == warehouse_before["signals"]  # no signal, household or person lost
    assert after["versions"] == {2: vault_before}
    assert after["scores"][:2] == warehouse_before["scores"][:2] and after["scores"][2] == 0
    assert _households(ctx) == households_before  # the same households, none split or merged
    for path in home.archive_dir("0080").rglob("*.bin"):
        assert archive.version_of(path) == 2
        assert archive.load(path, ctx.keys)  # and still readable
    verified = chain.verify(ctx.database_url, ctx.keys)
    assert verified.ok, verified.problems
    # The portal still links the list, its lines and the case: the coordinator sees the recorded
    # attempt on the list and the household's page; subject access by BSN finds the case.
    listed = coordinator.get(f"/lijsten/{publication.id}")
    assert listed.status_code == 200 and listed.text.count("Afgesloten</span>") == 1
    page = coordinator.get(household_url)
    assert page.status_code == 200 and "Huisbezoek" in page.text
    # The running portal took up the new key: a privacy officer re-identifies the household
    #  (vault records under version 2) and reads the audit lines written since.
    [pair] = [p for p in ps_pairs(home, publication.id) if p.rang == line.rang]
    assert pair.huishouden_pseudoniem.startswith("k2_")
    answer = officer.post("/privacy/heridentificatie", data={
        "csrf": ps.session_csrf(officer), "huishouden": pair.huishouden_pseudoniem,
        "reden": "controle", "bevestig": "ja"})
    assert answer.status_code == 200 and resident["achternaam"] in html.unescape(answer.text)
    trail = officer.get(f"/privacy/logboek?huishouden={pair.huishouden_pseudoniem}").text
    assert "niet te ontsleutelen" not in trail and "heridentificatie" in trail
    # The closed case excludes the household from matching: its pseudonym is the warehouse's.
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    excluded = cases.no_help_needed(home.database_url, "0080", since=since)
    assert len(excluded) == 1 and excluded <= _warehouse_households(home)
    access = runner.invoke(app, ["subject-access", "--bsn", resident["bsn"], "--json"])
    assert access.exit_code == 0, access.output
    assert [[a["soort"] for a in c["contactpogingen"]]
            for c in json.loads(access.output)["zaken"]] == [["Huisbezoek"]]

    # 4. Every list is reproducible: the same households with the same points on every team's
    #    list. Ties (same crisis, score and amount) are broken by the pseudonym until issue 4
    #    makes the order key-independent, so ranks are compared for untied rows only.
    rerun = run_flow(gemeente="0080", period=demo["periode"])
    lists_after = _lists(home, rerun)
    # The new version of the month's list shows the household's case of that month (issue 19:
    # a case belongs to the household and the month, not to one copy), re-keyed with it.
    again_published, again_line = listed_line(home, resident_households(home, resident["bsn"]))
    assert again_published.id != publication.id and again_published.run_id == rerun["run"]
    page = coordinator.get(f"/lijsten/{again_published.id}/huishoudens/{again_line.regel}")
    assert page.status_code == 200 and "Huisbezoek" in page.text
    assert f"Vastgelegd: <strong>{cases.NO_HELP_NEEDED}</strong>" in html.unescape(page.text)
    assert set(lists_after) == set(lists_before)
    for team, rows in lists_before.items():
        again = lists_after[team]
        assert Counter(map(_comparable, again)) == Counter(map(_comparable, rows)), team
        ties = Counter((r["crisis"], r["score"], r["totaal_bedrag"]) for r in rows)
        untied_before = {_comparable(r): r["rang"] for r in rows
                         if ties[(r["crisis"], r["score"], r["totaal_bedrag"])] == 1}
        untied_after = {_comparable(r): r["rang"] for r in again if _comparable(r) in untied_before}
        assert untied_after == untied_before, team
        assert len(untied_before) > len(rows) // 2

    # 5. A partner re-sending last month's signals (a new file, the same rows) adds nothing:
    #    the new key computes the same pseudonyms the warehouse now holds.
    original = sorted((home.root / "demo" / "0080" / "zorg-noord").glob("*.csv"))[-1]
    resent = tmp_path / "opnieuw" / original.name
    resent.parent.mkdir()
    resent.write_bytes(original.read_bytes() + b"\r\n")  # other bytes, same rows
    again = ingest(gemeente="0080", paths=[str(resent)], partner_id="zorg-noord")[0]
    assert again["status"] == "geladen"
    assert again["rijen_geladen"] == 0 and again["rijen_dubbel"] > 0
    assert _warehouse(home)["signals"] == warehouse_before["signals"]
