"""The portal under load: many coordinators at once while another process writes the database.

- One view of a list writes its audit lines (the bulk line and one per household) in one
  transaction: one commit on the chain's writer, all lines with one recorded_at.
- A real `vroeg portal` process, coordinators in threads: while another process holds the
  SQLite database's write lock longer than the portal waits, every list view answers 503 with
  Retry-After and a Dutch page (never 500, never a hang of half a minute); once it is released,
  all answer 200. While another process keeps appending to the audit chain, all views answer and
  the chain still verifies.

No timing is asserted (speed is the benchmark's: `bench/portal_load.py`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests import portal_support as ps
from tests.portal.test_portal_server import _sign_in

pytestmark = pytest.mark.prefect

COORDINATORS = 8
LOCK_WAIT_S = 2



@pytest.fixture(scope="module")
def server(data):
    with ps.portal_process(data, VROEG_PORTAL_LOCK_WAIT=str(LOCK_WAIT_S)) as running:
        yield running


def _database(data) -> str:
    from vroeg.settings import Home

    return Home(data.root).database_url


def _view_lines(data, trace_id: str):
    return ps.audit_lines(data, trace_id=trace_id)


def test_one_list_view_writes_its_audit_lines_in_one_transaction(data):
    from sqlalchemy import event

    from privacy import chain

    pid = data.current(ps.TEAM_A)
    households = ps.list_households(data, pid)
    client = ps.client_for(ps.make_app(data), "coord-a")
    writer = chain.writer(_database(data))
    commits: list[int] = []

    def count(_connection) -> None:
        commits.append(1)

    event.listen(writer, "commit", count)
    try:
        response = client.get(f"/lijsten/{pid}")
    finally:
        event.remove(writer, "commit", count)
    assert response.status_code == 200
    assert len(commits) == 1, f"{len(commits)} commits for one view"

    bulk = [line for line in ps.audit_lines(data, name="inzage-lijst")][-1]
    lines = _view_lines(data, bulk.trace_id)
    assert len(lines) == len(households) + 1
    assert {line.recorded_at for line in lines} == {bulk.recorded_at}  # one append
    children = [line for line in lines if line.data_subject_id]
    assert {line.parent_operation_id for line in children} == {bulk.operation_id}
    assert bulk.attributes["huishoudens"] == len(households)
    audit = ps.audit(data)
    assert sorted(audit.decrypt_subject(line.data_subject_id) for line in children) == sorted(
        households)
    assert chain.verify(_database(data), audit._keys).ok


HOLD_DATABASE = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")  # the database's write lock, as a writing run holds it
print("vast", flush=True)
sys.stdin.read()  # until the test closes our standard input
con.execute("ROLLBACK")
"""

APPEND_CHAIN = """
import sys, time
from privacy.audit import Audit, new_trace_id
from privacy.keys import load_keys
from vroeg.settings import Home
from pathlib import Path
home = Home(Path(sys.argv[1]))
audit = Audit(home.database_url, load_keys(home, "0080"))
print("begonnen", flush=True)
deadline = time.monotonic() + float(sys.argv[2])
batches = 0
while time.monotonic() < deadline:  # as a run publishing teams' lists: 500 lines at a time
    audit.subjects("publicatie", new_trace_id(), None, [f"k1_{batches:04d}{i:012d}"
                                                       for i in range(500)], test="last")
    batches += 1
print(batches, flush=True)
"""


def _views(base: str, cookies: list[dict], url: str, rounds: int = 1) -> list[httpx.Response]:
    def one(headers: dict) -> list[httpx.Response]:
        return [httpx.get(base + url, headers=headers, timeout=90) for _ in range(rounds)]

    with ThreadPoolExecutor(len(cookies)) as pool:
        return [r for batch in pool.map(one, cookies) for r in batch]


def _accounts(data, server) -> list[dict]:
    from vroeg.settings import Home

    base, _ = server
    names = [f"coord-last-{i}" for i in range(COORDINATORS)]
    for name in names:
        if not any(u.name == name for u in _users(data)):
            ps.add_account(Home(data.root), name, ["coordinator"], [ps.TEAM_A])
    return [_sign_in(base, name) for name in names]


def _users(data):
    from portal import accounts

    return accounts.list_users(_database(data), "0080")


def test_coordinators_get_503_with_retry_after_while_a_writer_holds_the_database(data, server):
    base, process = server
    cookies = _accounts(data, server)
    url = f"/lijsten/{data.current(ps.TEAM_A)}"
    views_before = len(ps.audit_lines(data, name="inzage-lijst"))
    database = _database(data).removeprefix("sqlite:///")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_DATABASE, database],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "vast"
        busy = _views(base, cookies, url)
        assert holder.poll() is None, "the writer was still holding the database"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    statuses = [r.status_code for r in busy]
    assert 500 not in statuses, [r.text[:300] for r in busy if r.status_code == 500]
    assert statuses == [503] * COORDINATORS, statuses
    for response in busy:
        assert int(response.headers["Retry-After"]) > 0
        assert "bezet" in response.text and "Probeer het over een paar seconden" in response.text
        assert "OperationalError" not in response.text and "locked" not in response.text
    # Nothing of a refused view was written; once the writer is done, every view answers.
    assert len(ps.audit_lines(data, name="inzage-lijst")) == views_before
    after = _views(base, cookies, url)
    assert [r.status_code for r in after] == [200] * COORDINATORS
    assert len(ps.audit_lines(data, name="inzage-lijst")) == views_before + COORDINATORS
    assert process.poll() is None


def test_coordinators_and_a_writer_appending_to_the_chain(data, server):
    from privacy import chain

    base, _ = server
    cookies = _accounts(data, server)
    url = f"/lijsten/{data.current(ps.TEAM_A)}"
    env = {**os.environ, "VROEG_HOME": str(data.root),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    writer = subprocess.Popen([sys.executable, "-c", APPEND_CHAIN, str(data.root), "6"],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert writer.stdout.readline().strip() == "begonnen"
        responses = _views(base, cookies, url, rounds=3)
    finally:
        batches = int(writer.stdout.readline().strip() or 0)
        writer.wait(timeout=60)
    statuses = [r.status_code for r in responses]
    assert 500 not in statuses
    assert all(s == 200 or (s == 503 and r.headers.get("Retry-After"))
               for s, r in zip(statuses, responses, strict=True)), statuses
    assert statuses.count(200) >= len(statuses) // 2, statuses
    assert batches > 0
    # Two processes appended in turns: the chain is still whole.
    result = chain.verify(_database(data), ps.audit(data)._keys)
    assert result.ok, result.problems
