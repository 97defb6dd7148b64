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
from tests.ingesting import add_partner, inbox_partner, own_config
from tests.processes import REPO, Processes

pytestmark = pytest.mark.prefect

BIN = Path(sys.executable).parent
DEPLOYMENTS = ("leveringen-ophalen/0080", "matchen-en-publiceren/0080", "bewaartermijnen/0080")
#: A partner delivering by inbox; its uploads are renamed into place, so no wait for writing.
INBOX_PARTNER = inbox_partner("inbox-wonen", "Inbox Wonen")


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


def test_serve_publishes_a_crisis_from_an_inbox_at_once_and_runs_scheduled_deployments(served):
    """Issue 17, "done when" 1: a late delivery of the month, one crisis signal and one ordinary
    one, lands in an inbox; within the bound of point 3 (bench/targets.py) the crisis household
    is on its team's current list with its deadline and the notification exists, while the
    ordinary signal waits; the month's run, started by hand, lists it and keeps the crisis
    household's contact attempt. Then issue 7's deployments: schedules and a run by hand."""
    from sqlalchemy import select

    from scoring.score import Period
    from tests.demo_home import resident_households
    from tests.flows.test_crisis_lane import CRISIS_BSN, ORDINARY_BSN, TEAM, _current
    from vroeg.formats import today_in
    from vroeg.opsdb import cases, db
    from vroeg.opsdb.crisis import crisis_notifications
    from vroeg.opsdb.models import PublicationHousehold, Run

    home, demo, env, listed, serve_log = served
    period = Period.parse(demo["periode"])
    before, before_lines = _current(home, str(period))

    day = (period.start + dt.timedelta(days=20)).isoformat()
    arrears = (period.start - dt.timedelta(days=40)).isoformat()
    deadline = period.end + dt.timedelta(days=30)  # an eviction announced, weeks ahead
    delivery = standard_file([
        row(signaal_id="CRISIS-1", signaaldatum=day, ontstaansdatum=arrears, bedrag="2150,00",
            crisis="ja", bsn=CRISIS_BSN, straatnaam="Crisisstraat", huisnummer="1",
            uiterste_datum=deadline.isoformat()),
        row(signaal_id="GEWOON-1", signaaldatum=day, ontstaansdatum=arrears, bedrag="2950,00",
            crisis="nee", bsn=ORDINARY_BSN, straatnaam="Gewoonstraat", huisnummer="2")])
    landed = _drop(home.inbox_dir("0080") / "inbox-wonen", "late-levering.csv", delivery)
    while not crisis_notifications(home.database_url, "0080"):
        if time.monotonic() - landed > INBOX_TO_NOTIFICATION_S:
            pytest.fail("no crisis notification in time; vroeg serve:\n" + serve_log())
        time.sleep(1)
    assert not any((home.inbox_dir("0080") / "inbox-wonen").glob("*.csv"))
    log = serve_log()
    assert "inbox-wonen: 1 nieuw(e) bestand(en); leveringen ophalen gestart" in log
    assert "late-levering" not in log  # a partner's file name may hold a resident's name

    [notice] = crisis_notifications(home.database_url, "0080")
    assert (notice.wijkteam, notice.period, notice.households) == (TEAM, str(period), 1)
    [crisis_household] = resident_households(home, CRISIS_BSN)
    [ordinary_household] = resident_households(home, ORDINARY_BSN)
    crisis_list, lines = _current(home, str(period))
    assert crisis_list.version == before.version + 1
    assert set(lines) == set(before_lines) | {crisis_household}  # the ordinary one waits
    with open(crisis_list.csv_path, encoding="utf-8-sig") as handle:
        [line] = [li for li in handle if "Crisisstraat" in li]
    assert f"vóór {deadline:%d-%m-%Y}" in line

    # A coordinator records a contact attempt on the crisis line.
    with db.session(home.database_url) as s:
        regel, rang = s.execute(select(PublicationHousehold.regel, PublicationHousehold.rang).where(
            PublicationHousehold.publication_id == crisis_list.id,
            PublicationHousehold.huishouden_pseudoniem == crisis_household)).one()
    cases.record_contact(home.database_url, crisis_list, regel=regel, rang=rang,
                         pseudonym=crisis_household, soort="Huisbezoek", bereikt=False,
                         datum=today_in("Europe/Amsterdam"), dagdeel="Ochtend",
                         by="coord-test")

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

    # The month's run, started by hand: the ordinary household is listed now, and the crisis
    # household keeps the attempt recorded on the crisis lane's version.
    with db.session(home.database_url) as s:
        before_run = set(s.scalars(select(Run.id)))
    started = prefect_cli(env, "deployment", "run", "matchen-en-publiceren/0080", "--param",
                          f"period={demo['periode']}", "--watch", "--watch-timeout", "240",
                          timeout=300)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "Completed" in started.stdout
    with db.session(home.database_url) as s:
        new = [r for r in s.scalars(select(Run)) if r.id not in before_run]
    assert [r.status for r in new] == ["gepubliceerd"]
    assert new[0].summary["lijsten"]
    monthly, monthly_lines = _current(home, str(period))
    assert monthly.version == crisis_list.version + 1
    assert {crisis_household, ordinary_household} <= set(monthly_lines)
    [case] = [c for c in cases.cases_between(home.database_url, "0080", str(period), str(period))
              if c.huishouden_pseudoniem == crisis_household]
    assert case.publication_id == monthly.id
    assert [a.vastgelegd_door for a in case.contactpogingen] == ["coord-test"]
