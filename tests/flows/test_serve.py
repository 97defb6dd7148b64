"""`vroeg serve` (issue 7): deployments with schedules from configuration, a run started by hand.

`vroeg serve` runs as a separate process against the session's Prefect test server, as a data
officer runs it against `prefect server start`; `prefect deployment ls`, `inspect` and `run` are
Prefect's own command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.demo_home import demo_copy
from tests.processes import REPO, Processes

pytestmark = pytest.mark.prefect

BIN = Path(sys.executable).parent
DEPLOYMENTS = ("leveringen-ophalen/0080", "matchen-en-publiceren/0080", "bewaartermijnen/0080")


def prefect_cli(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def served(prefect_server, tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    home, demo = demo_copy(tmp_path, monkeypatch)
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
        yield home, demo, env, listed.stdout
    finally:
        processes.stop()


def test_serve_registers_scheduled_deployments_and_a_run_by_hand_completes(served):
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Run

    home, demo, env, listed = served
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
