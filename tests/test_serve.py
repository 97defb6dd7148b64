"""`vroeg serve` (issue 7): deployments with schedules from configuration, a run started by hand.

`vroeg serve` runs as a separate process against the session's Prefect test server, as a data
officer runs it against `prefect server start`; `prefect deployment ls`, `inspect` and `run` are
Prefect's own command line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.demo_home import demo_copy

pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parent.parent
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
           "COLUMNS": "200"}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([str(BIN / "vroeg"), "serve", "--gemeente", "0080"], env=env,
                               cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            listed = prefect_cli(env, "deployment", "ls")
            if all(name in listed.stdout for name in DEPLOYMENTS):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("vroeg serve did not register its deployments:\n"
                            + (tmp_path / "serve.log").read_text())
            time.sleep(2)
        yield home, demo, env, listed.stdout
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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
