"""`vroeg serve` (issue 7): deployments with schedules from configuration, a run started by hand;
(issue 17) a file dropped in an inbox is picked up at once, not at the hourly collect run.

`vroeg serve` runs as a separate process against the session's Prefect test server, as a data
officer runs it against `prefect server start`; `prefect deployment ls`, `inspect` and `run` are
Prefect's own command line. One served installation for all of it: starting one costs ~20 s.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.targets import INBOX_TO_NOTIFICATION_S
from tests.builders import row, standard_file
from tests.demo_home import demo_copy
from tests.ingesting import add_partner, own_config
from tests.processes import REPO, Processes

pytestmark = pytest.mark.prefect

BIN = Path(sys.executable).parent
DEPLOYMENTS = ("leveringen-ophalen/0080", "matchen-en-publiceren/0080", "bewaartermijnen/0080")
#: A partner delivering by inbox; its uploads are renamed into place, so no wait for writing.
INBOX_PARTNER = """
id: inbox-wonen
name: Inbox Wonen
partner_type: Huur
channel: inbox
format: csv
inbox: {pattern: "*.csv", min_age_seconds: 0}
columns: standard
"""


def prefect_cli(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def served(prefect_server, tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    home, demo = demo_copy(tmp_path, monkeypatch)
    add_partner(home, "inbox-wonen", INBOX_PARTNER)
    config = own_config(home) / "gemeente.yaml"
    # The watcher looks every 2 s instead of every minute: a test need not wait.
    config.write_text(config.read_text() + "\noperations:\n  inbox_poll_seconds: 2\n")
    env = {**os.environ, "VROEG_HOME": str(home.root), "PREFECT_API_URL": PREFECT_API_URL.value(),
           "COLUMNS": "200",
           # The runner looks for runs to start every 10 s by default; a test need not wait.
           "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    processes = Processes(tmp_path)
    process = processes.start("serve", [str(BIN / "vroeg"), "serve", "--gemeente", "0080"], env)
    try:
        deadline = time.monotonic() + 120
        while True:
            listed = prefect_cli(env, "deployment", "ls")
            if all(name in listed.stdout for name in DEPLOYMENTS):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("vroeg serve did not register its deployments:\n"
                            + processes.log("serve"))
            time.sleep(2)
        yield home, demo, env, listed.stdout, lambda: processes.log("serve")
    finally:
        processes.stop()


def _drop(inbox: Path, name: str, content: bytes) -> float:
    """Upload as a partner's sftp client does: write under a temporary name, rename into place.
    Returns when the file landed (time.monotonic)."""
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / f"{name}.part").write_bytes(content)
    os.replace(inbox / f"{name}.part", inbox / name)
    return time.monotonic()


def _inbox_deliveries(home) -> list:
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Delivery

    with db.session(home.database_url) as s:
        found = list(s.scalars(select(Delivery).where(Delivery.channel == "inbox")))
        s.expunge_all()
    return found


def test_serve_picks_up_an_inbox_file_at_once_and_runs_scheduled_deployments(served):
    from sqlalchemy import select

    from scoring.score import Period
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Run
    from vroeg.opsdb.statuses import FINAL

    home, demo, env, listed, serve_log = served
    period = Period.parse(demo["periode"])

    # Issue 17: a late delivery of the month lands in the inbox, one crisis signal and one
    # ordinary one. The watcher sees it and starts the collect deployment: no hourly wait.
    day = (period.start + dt.timedelta(days=20)).isoformat()
    arrears = (period.start - dt.timedelta(days=40)).isoformat()
    delivery = standard_file([
        row(signaal_id="CRISIS-1", signaaldatum=day, ontstaansdatum=arrears, bedrag="2150,00",
            crisis="ja", bsn="", straatnaam="Crisisstraat", huisnummer="1", postcode="8911 AB"),
        row(signaal_id="GEWOON-1", signaaldatum=day, ontstaansdatum=arrears, bedrag="950,00",
            crisis="nee", bsn="", straatnaam="Gewonestraat", huisnummer="2",
            postcode="8911 AB")])
    landed = _drop(home.inbox_dir("0080") / "inbox-wonen", "late-levering.csv", delivery)
    while not (found := [d for d in _inbox_deliveries(home) if d.status in FINAL]):
        if time.monotonic() - landed > INBOX_TO_NOTIFICATION_S:
            pytest.fail("the inbox file was not collected in time:\n" + serve_log())
        time.sleep(1)
    [loaded] = found
    assert (loaded.status, loaded.rows_loaded) == ("geladen", 2)
    assert not any((home.inbox_dir("0080") / "inbox-wonen").glob("*.csv"))
    assert "inbox-wonen: 1 nieuw(e) bestand(en); leveringen ophalen gestart" in serve_log()
    assert "late-levering" not in serve_log()  # a partner's file name may hold a name
    for name in DEPLOYMENTS:
        assert name in listed
    # The schedules of the configuration, in the municipality's time zone.
    inspected = prefect_cli(env, "deployment", "inspect", "matchen-en-publiceren/0080")
    assert inspected.returncode == 0, inspected.stderr
    assert "0 6 5 * *" in inspected.stdout
    assert "Europe/Amsterdam" in inspected.stdout
    hourly = prefect_cli(env, "deployment", "inspect", "leveringen-ophalen/0080")
    assert "0 * * * *" in hourly.stdout
    # The only parameter stored in Prefect is the municipality code.
    assert "'gemeente': '0080'" in inspected.stdout

    with db.session(home.database_url) as s:
        before = set(s.scalars(select(Run.id)))
    started = prefect_cli(env, "deployment", "run", "matchen-en-publiceren/0080", "--param",
                          f"period={demo['periode']}", "--watch", "--watch-timeout", "240",
                          timeout=300)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "Completed" in started.stdout
    with db.session(home.database_url) as s:
        new = [r for r in s.scalars(select(Run)) if r.id not in before]
    assert [r.status for r in new] == ["gepubliceerd"]
    assert new[0].summary["lijsten"]
