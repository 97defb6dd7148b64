"""Issue 19, point 17: a run killed outright (kill -9, a power cut) is taken over.

A real `vroeg run` is killed while some teams are published and others not. The next run of the
month recognises the dead run (its process is gone), marks it and finishes it, publishing only
the teams still missing: every team's list once, and no run left "gestart". While the first run
was alive, a second one was refused. Real processes, the session's Prefect server, SQLite.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.demo_home import demo_copy
from tests.flows.test_faults import VROEG, _forget_digests, _said, _vroeg
from tests.processes import Processes

pytestmark = pytest.mark.prefect


def _rows(home, query: str, *args) -> list[tuple]:
    connection = sqlite3.connect(home.root / "vroeg.sqlite", timeout=30)
    try:
        return connection.execute(query, args).fetchall()
    finally:
        connection.close()


def _env(home) -> dict:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("VROEG_")}
    env.update(VROEG_HOME=str(home.root), PREFECT_API_URL=PREFECT_API_URL.value())
    return env


def test_a_killed_run_is_taken_over_and_publishes_only_the_missing_teams(
        prefect_server, tmp_path, monkeypatch):
    from vroeg.config import load_municipality

    home, demo = demo_copy(tmp_path, monkeypatch)
    period = demo["periode"]
    teams = len(load_municipality(home, "0080").wijkteams)
    _forget_digests(home)  # so that this month's run publishes every team's list again
    before = {r[0] for r in _rows(home, "SELECT id FROM runs")}

    processes = Processes(tmp_path)
    try:
        first = processes.start("run", [VROEG, "run", "--period", period], _env(home))
        lock = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and first.poll() is None:
            new = [r for r in _rows(home, "SELECT run_id FROM publications")
                   if r[0] not in before]
            if new:
                # Hold the database's write lock: the run waits at its next write, so it is
                # killed with some teams published and others not.
                lock = sqlite3.connect(home.root / "vroeg.sqlite", isolation_level=None,
                                       timeout=30)
                lock.execute("BEGIN IMMEDIATE")
                break
            time.sleep(0.05)
        assert lock is not None, processes.log("run")
        try:
            (killed_run,) = {r[0] for r in _rows(home, "SELECT id FROM runs")} - before
            published = len(_rows(home, "SELECT id FROM publications WHERE run_id = ?",
                                  killed_run))
            assert 1 <= published < teams

            # Alive (its process works, its heartbeat is fresh): a second run is refused.
            second = _vroeg(home, "run", "--period", period, timeout=120)
            assert second.returncode == 1, _said(second)
            assert f"Run {killed_run} van {period} loopt nog" in _said(second)

            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
    finally:
        processes.stop()
    assert _rows(home, "SELECT status FROM runs WHERE id = ?", killed_run) == [("gestart",)]

    again = _vroeg(home, "run", "--period", period, timeout=240)
    assert again.returncode == 0, _said(again)

    runs = {r[0]: r[1] for r in _rows(home, "SELECT id, status FROM runs") if r[0] not in before}
    assert "gestart" not in runs.values(), runs
    assert runs[killed_run] == "gepubliceerd"  # taken over and finished under its own id
    per_team = _rows(home, "SELECT wijkteam, count(*) FROM publications WHERE run_id IN "
                           f"({', '.join('?' * len(runs))}) GROUP BY wijkteam", *runs)
    assert len(per_team) == teams and {n for _team, n in per_team} == {1}, per_team
    # One current list per team for the month.
    current = _rows(home, "SELECT wijkteam, count(*) FROM publications WHERE period = ? AND "
                          "superseded_at IS NULL GROUP BY wijkteam", period)
    assert {n for _team, n in current} == {1} and len(current) == teams


def test_a_run_whose_process_is_gone_is_marked_afgebroken(tmp_path):
    """The liveness rule on its own: a dead process id on this host, or a silent heartbeat."""
    import datetime as dt
    import socket

    from vroeg.opsdb import runs
    from vroeg.opsdb.models import Run

    gone = subprocess.Popen(["true"])
    gone.wait()
    now = dt.datetime.now(dt.UTC)
    here = socket.gethostname()
    assert runs.is_alive(Run(pid=os.getpid(), host=here, heartbeat_at=now), now)
    assert not runs.is_alive(Run(pid=gone.pid, host=here, heartbeat_at=now), now)
    assert not runs.is_alive(Run(pid=os.getpid(), host="elders", heartbeat_at=now
                                 - runs.STALE_AFTER - dt.timedelta(seconds=1)), now)

    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    run_id, resumed = runs.claim(url, "0080", "2026-10", "r1", None, "2026-10-a")
    assert (run_id, resumed) == ("2026-10-a", False)
    with pytest.raises(Exception, match="loopt nog"):
        runs.claim(url, "0080", "2026-10", "r1", None, "2026-10-b")
    from sqlalchemy import update

    from vroeg.opsdb import db

    with db.session(url) as s:
        s.execute(update(Run).values(pid=gone.pid))
    assert runs.claim(url, "0080", "2026-10", "r1", None, "2026-10-c") == ("2026-10-a", True)
    # Under other rules it is not finished but left marked, and a new run starts.
    with db.session(url) as s:
        s.execute(update(Run).values(pid=gone.pid))
    assert runs.claim(url, "0080", "2026-10", "r2", None, "2026-10-d") == ("2026-10-d", False)
    with db.session(url) as s:
        assert s.get(Run, "2026-10-a").status == "afgebroken"
