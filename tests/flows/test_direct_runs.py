"""Commands without a Prefect server (flows.runner, docs/design.md): the same flows and steps
run directly in the process, Prefect is never imported, and the promises hold as they do through
Prefect: retries of transient failures only, a failed flow mailed, the same summaries.

The command tests run the installed `vroeg` as a data officer on the embedded default would:
no PREFECT_API_URL anywhere, Python's own import log (`-X importtime`) as the witness.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import row, standard_file
from tests.flows.test_flows import _valid_bsn
from tests.flows.test_notifications import notifications, notifying_home, smtp  # noqa: F401

VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"

#: Packages a command on the embedded default must not load: Prefect (no server to report to),
#: and Great Expectations' engine (the rules run compiled; quality/).
NOT_IMPORTED = ("prefect", "great_expectations")


def _imported(stderr: str) -> set[str]:
    """Top-level packages named in `python -X importtime`'s log."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def _command(root: Path, *args: str) -> tuple[dict, set[str]]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VROEG_", "PREFECT_"))}
    env.update(VROEG_HOME=str(root / "home"), PREFECT_HOME=str(root / "prefect"))
    result = subprocess.run([sys.executable, "-X", "importtime", VROEG, *args, "--json"],
                            env=env, capture_output=True, text=True, timeout=300, cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout), _imported(result.stderr)


def test_ingest_and_run_without_a_prefect_server_never_import_prefect(tmp_path):
    from privacy.keys import init_keys
    from vroeg.settings import Home

    init_keys(Home(tmp_path / "home").ensure(), "0080")
    rows = [row(signaal_id=f"DIRECT-{i}", bsn=_valid_bsn(f"999977{i}"), huisnummer=str(10 + i),
                signaaldatum="2026-11-10", bedrag="450,00") for i in range(3)]
    rows.append(row(signaal_id="DIRECT-BAD", bedrag="geen bedrag"))
    delivery = tmp_path / "levering.csv"
    delivery.write_bytes(standard_file(rows))

    ingested, modules = _command(tmp_path, "ingest", str(delivery))
    assert not modules & set(NOT_IMPORTED), modules & set(NOT_IMPORTED)
    [summary] = ingested["leveringen"]
    assert (summary["status"], summary["rijen_geladen"], summary["rijen_quarantaine"]) == (
        "geladen", 3, 1)

    run, modules = _command(tmp_path, "run", "--period", "2026-11")
    assert not modules & set(NOT_IMPORTED), modules & set(NOT_IMPORTED)
    assert run["huishoudens"] == 3 and run["lijsten"]

    # Nothing of Prefect's was made: no database, no home.
    assert not (tmp_path / "prefect").exists()
    # The operational records are those of a run through Prefect, without a Prefect run id.
    con = sqlite3.connect(tmp_path / "home" / "vroeg.sqlite")
    try:
        assert con.execute("SELECT status, flow_run_id FROM runs").fetchall() == [
            ("gepubliceerd", None)]
        assert con.execute("SELECT count(*) FROM deliveries WHERE status = 'geladen'"
                           ).fetchone() == (1,)
    finally:
        con.close()


def test_a_direct_step_retries_a_transient_failure_and_nothing_else(monkeypatch):
    from flows import policy
    from flows.runner import Step
    from vroeg.errors import DeliveryError

    monkeypatch.setattr(policy, "RETRY_DELAYS", [0, 0, 0])
    calls: list[str] = []

    def away_once(value: int) -> int:
        calls.append("try")
        if len(calls) == 1:
            raise ConnectionError("database even weg")
        return value * 2

    assert Step(away_once, "even-weg")(21) == 42
    assert calls == ["try", "try"]

    def bad_data() -> None:
        calls.append("bad")
        raise DeliveryError("kapot bestand", "BESTAND_KAPOT")

    with pytest.raises(DeliveryError):
        Step(bad_data, "slechte-data")()
    assert calls.count("bad") == 1  # bad data is never retried

    def always_away() -> None:
        calls.append("locked")
        raise ConnectionError("database blijft weg")

    with pytest.raises(ConnectionError):
        Step(always_away, "blijft-weg")()
    assert calls.count("locked") == 1 + len(policy.RETRY_DELAYS)


def test_a_failed_direct_flow_is_mailed(notifying_home, smtp):  # noqa: F811
    from flows.run import run_flow

    inbox, _ = smtp
    with pytest.raises(ValueError):
        run_flow.run_directly(gemeente="0080", period="2026-13")  # no such month
    assert inbox.subjects() == ["[Vroegsignalering 0080] Flow matchen-en-publiceren mislukt"]
    body = inbox.messages[0].get_payload()
    assert "fout: ValueError" in body and "zonder Prefect-server" in body
    assert "2026-13" not in body  # the exception's message is not passed on, only its type
    assert [n.kind for n in notifications(notifying_home)] == ["flow"]


def test_in_threads_keeps_order_and_context_and_raises_the_first_failure():
    import contextvars
    import threading

    from flows.runner import in_threads

    run = contextvars.ContextVar("run", default=None)
    run.set("deze run")
    threads = set()

    def work(item):
        threads.add(threading.get_ident())
        if item == "fout":
            raise ValueError(item)
        return (item, run.get())

    items = ["a", "b", "c", "d"]
    assert in_threads(work, items, workers=2) == [(i, "deze run") for i in items]
    assert threading.get_ident() not in threads  # run in the pool's threads
    threads.clear()
    assert in_threads(work, items, workers=1) == [(i, "deze run") for i in items]
    assert threads == {threading.get_ident()}  # one worker: one after another, here
    with pytest.raises(ValueError, match="fout"):
        in_threads(work, ["a", "fout", "b"], workers=2)


def test_a_large_run_publishes_two_teams_at_a_time_with_the_workbook_worker(tmp_path,
                                                                              monkeypatch):
    """The way a large run publishes (flows.run: two teams at a time, the workbooks rendered in
    a worker process), forced on the demo: every team's list registered and complete, in the
    teams' order, its workbook the rows of its CSV, the audit chain intact."""
    import csv
    import datetime as dt
    import io

    import openpyxl

    import flows.run
    from privacy.chain import verify
    from privacy.context import context
    from scoring.score import Period
    from tests.demo_home import demo_copy
    from vroeg.opsdb import runs

    home, demo = demo_copy(tmp_path, monkeypatch)
    monkeypatch.setattr(flows.run, "WORKER_MIN_HOUSEHOLDS", 0)
    first = Period.parse(demo["periode"]).start - dt.timedelta(days=1)
    earlier = f"{first:%Y-%m}"  # the demo's other month, not yet run: every list new
    summary = flows.run.run_flow(gemeente="0080", period=earlier)
    ctx = context("0080")
    assert [item["wijkteam"] for item in summary["lijsten"]] == [
        t.code for t in ctx.municipality.wijkteams]
    published = runs.published(ctx.database_url, summary["run"])
    assert set(published) == {t.code for t in ctx.municipality.wijkteams}
    listed = 0
    for item in summary["lijsten"]:
        assert item["status"] == "gepubliceerd"
        records = list(csv.reader(io.StringIO(open(item["csv"], encoding="utf-8-sig").read()),
                                  delimiter=";"))[1:]
        sheets = openpyxl.load_workbook(item["xlsx"], read_only=True)
        rows = sum(max(sheets[name].max_row - 1, 0) for name in ("Bezoeklijst", "Wachtlijst"))
        assert rows == len(records) == item["huishoudens"] + item["wachtlijst"]
        listed += rows
    assert listed == summary["op_lijst"] + summary["wachtlijst"] > 0
    assert verify(ctx.database_url, ctx.keys, "0080").ok
