"""Crash safety (issue 7): a flow that dies at any task and is run again ends where an
uninterrupted run ends.

Each test makes one task of the ingestion or the publication flow do its work and then raise,
as a process killed just before it could report back would leave things: every side effect of
the step is in place, the flow failed. Then the same flow runs again. The end state (warehouse,
delivery registry, vault, published lists, audit lines) is compared with a copy of the same
installation where the flow ran once without trouble.

The tasks are discovered from the flow modules, so a task added later is covered without
touching this file. Real Prefect, DuckDB and SQLite throughout; only the task's own function is
wrapped.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.builders import row, standard_file
from tests.demo_home import demo_copy

pytestmark = pytest.mark.prefect


class Crash(RuntimeError):
    """Stands for the process dying right after a step did its work."""


def module_tasks(module_name: str) -> dict[str, object]:
    import importlib

    from flows.runner import Step

    module = importlib.import_module(module_name)
    return {t.name: t for t in vars(module).values() if isinstance(t, Step)}


#: Tasks of flows.ingest that the file ingestion flow does not call: fetching runs only for a
#: partner with a database channel (collect_flow), tested in test_sql_source.
NOT_IN_INGEST_FLOW = {"ophalen"}
#: Tasks of flows.run that belong to the what-if flow, which writes nothing to crash over.
NOT_IN_RUN_FLOW = {"wat-als"}

INGEST_TASKS = sorted(set(module_tasks("flows.ingest")) - NOT_IN_INGEST_FLOW)
RUN_TASKS = sorted(set(module_tasks("flows.run")) - NOT_IN_RUN_FLOW)


def crash_once_after(monkeypatch, task) -> list[int]:
    """Make `task` run its function and then raise, once. Returns a call counter."""
    inner = task.fn
    calls: list[int] = []

    def crashing(*args, **kwargs):
        result = inner(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            raise Crash(f"proces gestopt na {task.name}")
        return result

    monkeypatch.setattr(task, "fn", crashing)
    return calls


# ----------------------------------------------------------------------------------------------
# Ingestion
# ----------------------------------------------------------------------------------------------


def delivery_file(folder: Path) -> Path:
    """Four valid signals and one bad row, in the demo's last month (synthetic)."""
    from tests.flows.test_flows import _valid_bsn

    rows = [row(signaal_id=f"CRASH-{i}", bsn=_valid_bsn(f"999988{i}"), huisnummer=str(40 + i),
                signaaldatum="2026-10-14", bedrag="450,00") for i in range(4)]
    rows.append(row(signaal_id="CRASH-BAD", bedrag="geen bedrag"))
    path = folder / "crash.csv"
    path.write_bytes(standard_file(rows))
    return path


def ingest_state(home) -> dict:
    import duckdb
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Delivery

    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        signals = con.execute(
            "SELECT signaal_pseudoniem, huishouden_pseudoniem, bedrag_cent, crisis, versie "
            "FROM signals ORDER BY 1").fetchall()
        updates = con.execute("SELECT count(*) FROM signal_updates").fetchone()[0]
        owners = {r[0] for r in con.execute("SELECT DISTINCT levering_id FROM signals").fetchall()}
    finally:
        con.close()
    with db.session(home.database_url) as s:
        deliveries = s.scalars(select(Delivery)).all()
        loaded = sorted((d.sha256, d.rows_read, d.rows_loaded, d.rows_updated,
                         d.rows_quarantined, d.rows_duplicate)
                        for d in deliveries if d.status == "geladen")
        statuses = {d.id: d.status for d in deliveries}
    import sqlite3

    vault = sqlite3.connect(home.root / "vault" / "0080.sqlite")
    try:
        vault_rows = vault.execute("SELECT count(*) FROM identiteiten").fetchone()[0]
    finally:
        vault.close()
    return {"signals": signals, "updates": updates, "loaded": loaded, "vault": vault_rows,
            "owners": owners, "statuses": statuses}


@pytest.fixture(scope="module")
def ingest_baseline(prefect_server, tmp_path_factory):
    from flows.ingest import ingest

    tmp = tmp_path_factory.mktemp("crash-ingest-baseline")
    with pytest.MonkeyPatch.context() as mp:
        home, _ = demo_copy(tmp, mp)
        path = delivery_file(tmp)
        ingest(gemeente="0080", paths=[str(path)], today="2026-11-22")
        return ingest_state(home)


@pytest.mark.parametrize("task_name", INGEST_TASKS)
def test_ingestion_killed_after_each_task_and_run_again_ends_as_uninterrupted(
        task_name, ingest_baseline, prefect_server, tmp_path, monkeypatch):
    from flows.ingest import ingest

    home, _ = demo_copy(tmp_path, monkeypatch)
    path = delivery_file(tmp_path)
    calls = crash_once_after(monkeypatch, module_tasks("flows.ingest")[task_name])
    with pytest.raises(Crash):
        ingest(gemeente="0080", paths=[str(path)], today="2026-11-22")
    assert calls, f"task {task_name} was never called by the ingestion flow"
    summary = ingest(gemeente="0080", paths=[str(path)], today="2026-11-22")

    state = ingest_state(home)
    assert summary[0]["status"] in ("geladen", "dubbel")
    # No duplicate and no missing signal; the same amounts and versions.
    assert state["signals"] == ingest_baseline["signals"]
    assert state["updates"] == ingest_baseline["updates"]
    assert state["vault"] == ingest_baseline["vault"]
    # Exactly one loaded delivery of the file, with the counts of an uninterrupted load.
    assert state["loaded"] == ingest_baseline["loaded"]
    # No delivery left half-way, and every signal belongs to a delivery that was loaded.
    assert "ontvangen" not in state["statuses"].values()
    assert {state["statuses"][owner] for owner in state["owners"]} == {"geladen"}


def test_ingestion_killed_between_receiving_and_the_flow_ends_as_uninterrupted(
        ingest_baseline, prefect_server, tmp_path, monkeypatch):
    """A file is received before its flow starts (a partner's file name stays out of Prefect):
    a command that dies in between leaves a delivery `ontvangen`, which the next attempt at the
    same file closes."""
    from flows.ingest import Receipt, ingest, receive_file

    home, _ = demo_copy(tmp_path, monkeypatch)
    path = delivery_file(tmp_path)
    assert isinstance(receive_file("0080", str(path), None), Receipt)  # ... and then it died
    summary = ingest(gemeente="0080", paths=[str(path)], today="2026-11-22")

    state = ingest_state(home)
    assert summary[0]["status"] == "geladen"
    for key in ("signals", "updates", "vault", "loaded"):
        assert state[key] == ingest_baseline[key], key
    assert "ontvangen" not in state["statuses"].values()
    failed = [list(s["statuses"].values()).count("mislukt") for s in (state, ingest_baseline)]
    assert failed[0] == failed[1] + 1  # the abandoned attempt, closed


# ----------------------------------------------------------------------------------------------
# Publication
# ----------------------------------------------------------------------------------------------


def run_state(home, period: str, before: set[str]) -> dict:
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine, Publication, Run

    with db.session(home.database_url) as s:
        new_runs = [r for r in s.scalars(select(Run).where(Run.period == period))
                    if r.id not in before]
        run_ids = {r.id for r in new_runs}
        publications = [p for p in s.scalars(select(Publication)) if p.run_id in run_ids]
        subjects = {}
        for line in s.scalars(select(AuditLine).where(AuditLine.name == "publicatie",
                                                      AuditLine.data_subject_id.is_not(None))):
            attributes = line.attributes or {}
            if attributes.get("run") in run_ids:
                team = attributes.get("wijkteam")
                subjects[team] = subjects.get(team, 0) + 1
    lists = {}
    for p in publications:
        text = Path(p.csv_path).read_text(encoding="utf-8-sig")
        lists[p.wijkteam] = list(csv.reader(io.StringIO(re.sub(re.escape(p.run_id), "RUN",
                                                                text))))
    files = sorted(f.name.replace(next(iter(run_ids)), "RUN")
                   for f in (home.outbox_dir("0080")).rglob("*") if f.is_file()
                   and any(r in f.name for r in run_ids))
    return {"runs": sorted(r.status for r in new_runs),
            "publications": sorted(p.wijkteam for p in publications),
            "lists": lists, "files": files, "audit": subjects}


def republish_all(home) -> None:
    """Make the demo's lists look published before list versions existed (issue 19: no content
    digest), so that a run of the same month publishes every team's list again: that is the
    publication these tests interrupt. With the digests kept, an unchanged month publishes
    nothing (tests/test_i19_versions.py)."""
    from sqlalchemy import update

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication

    with db.session(home.database_url) as s:
        s.execute(update(Publication).values(content_sha256=None))


def existing_runs(home) -> set[str]:
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Run

    with db.session(home.database_url) as s:
        return set(s.scalars(select(Run.id)))


@pytest.fixture(scope="module")
def run_baseline(prefect_server, tmp_path_factory):
    from flows.run import run_flow

    tmp = tmp_path_factory.mktemp("crash-run-baseline")
    with pytest.MonkeyPatch.context() as mp:
        home, demo = demo_copy(tmp, mp)
        republish_all(home)
        before = existing_runs(home)
        run_flow(gemeente="0080", period=demo["periode"])
        return run_state(home, demo["periode"], before)


@pytest.mark.parametrize("task_name", RUN_TASKS)
def test_publication_killed_after_each_task_and_run_again_ends_as_uninterrupted(
        task_name, run_baseline, prefect_server, tmp_path, monkeypatch):
    from flows.run import run_flow

    home, demo = demo_copy(tmp_path, monkeypatch)
    republish_all(home)
    before = existing_runs(home)
    calls = crash_once_after(monkeypatch, module_tasks("flows.run")[task_name])
    with pytest.raises(Crash):
        run_flow(gemeente="0080", period=demo["periode"])
    assert calls, f"task {task_name} was never called by the publication flow"
    result = run_flow(gemeente="0080", period=demo["periode"])

    state = run_state(home, demo["periode"], before)
    # One run (the interrupted one, finished), each team's list published once, the same lists
    # and files, and one audit line per household on each list.
    assert state["runs"] == ["gepubliceerd"]
    assert state["publications"] == run_baseline["publications"]
    assert len(set(state["publications"])) == len(state["publications"])
    assert state["lists"] == run_baseline["lists"]
    assert state["files"] == run_baseline["files"]
    assert state["audit"] == run_baseline["audit"]
    assert len(result["lijsten"]) == len(run_baseline["publications"])


def test_every_flow_task_is_covered():
    """The discovery finds the tasks the flows are made of (guards against an empty list)."""
    assert {"inlezen", "valideren", "pseudonimiseren", "laden"} <= set(INGEST_TASKS)
    assert {"uitsluitingslijsten", "matchen-en-scoren", "algoritmekaart",
            "publiceren"} <= set(RUN_TASKS)


def test_publication_killed_inside_publishing_before_the_list_is_registered(
        run_baseline, prefect_server, tmp_path, monkeypatch):
    """Mid-step: files written and audit lines recorded, registration not done. The list is
    published again (its files replaced under the same name) and registered once; the audit
    trail keeps both disclosures of the first team, as both happened."""
    from flows.run import run_flow
    from vroeg.opsdb import runs
    from vroeg.safety import StepFailed

    home, demo = demo_copy(tmp_path, monkeypatch)
    republish_all(home)
    before = existing_runs(home)
    register = runs.record_publication
    calls: list[str] = []

    def dies_once(*args, **kwargs):
        calls.append(kwargs["wijkteam"])
        if len(calls) == 1:
            raise Crash("proces gestopt voor de registratie")
        return register(*args, **kwargs)

    monkeypatch.setattr(runs, "record_publication", dies_once)
    with pytest.raises(StepFailed, match="Crash"):  # inside the step: scrubbed as a defect
        run_flow(gemeente="0080", period=demo["periode"])
    run_flow(gemeente="0080", period=demo["periode"])

    state = run_state(home, demo["periode"], before)
    assert state["runs"] == ["gepubliceerd"]
    assert state["publications"] == run_baseline["publications"]
    assert state["lists"] == run_baseline["lists"]
    assert state["files"] == run_baseline["files"]
    first = calls[0]
    assert state["audit"][first] == 2 * run_baseline["audit"][first]
    assert {t: n for t, n in state["audit"].items() if t != first} == {
        t: n for t, n in run_baseline["audit"].items() if t != first}


def test_only_transient_failures_are_retried():
    """The retry policy (flows/policy.py): a locked or unreachable database is retried, also
    when a step scrubbed it; bad data and defects are not."""
    import duckdb
    from sqlalchemy.exc import OperationalError

    from vroeg.errors import DeliveryRejected
    from vroeg.safety import StepFailed, is_transient, scrubbed

    def scrub(error: Exception) -> BaseException:
        try:
            with scrubbed("test"):
                raise error
        except BaseException as caught:
            return caught

    assert is_transient(scrub(OperationalError("SELECT 1", {}, Exception("database is locked"))))
    assert is_transient(scrub(duckdb.IOException("Could not set lock on file")))
    assert is_transient(ConnectionError())
    assert not is_transient(scrub(ValueError("kapot")))
    assert not is_transient(scrub(DeliveryRejected("bestand afgekeurd")))
    assert not is_transient(Crash("defect"))
    assert isinstance(scrub(ValueError("x")), StepFailed)
