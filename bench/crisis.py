"""Issue 17, point 3: from a file landing in a served installation's inbox to the notification.

A served installation as a municipality runs it: a Prefect server (started beforehand, not
counted), `vroeg serve` with the default settings (the watcher lists the inboxes every 60 s, the
runner looks for runs to start every 10 s), a partner delivering by inbox, last month's lists
published. Then a partner's late delivery holding a crisis signal is uploaded into its inbox
(written under a temporary name and renamed, as sftp clients do) and the clock runs until the
crisis lane's notification record exists (vroeg.opsdb.crisis; until that lane is in, until the
delivery is loaded). Printed with the machine's load, like the other scenarios: a served
installation waits for the CPU like everything else on a shared machine.

The time is mostly waiting by design: up to a minute until the watcher looks, up to 10 s until
the runner picks the run up, then the collect run's start-up and the ingestion itself.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

#: A partner's late delivery: a few signals of last month, the first a crisis signal.
SIGNALS = 20
PARTNER = "inbox-wonen"
INBOX_PARTNER = """\
id: inbox-wonen
name: Inbox Wonen (benchmark)
partner_type: Huur
channel: inbox
format: csv
inbox: {pattern: "*.csv", min_age_seconds: 0}
columns: standard
"""
#: Give up after this long (far beyond the target: the scenario reports, it does not hang).
GIVE_UP_S = 600.0


def _load() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def _deployments(url: str) -> list[str]:
    request = urllib.request.Request(f"{url}/deployments/filter", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return [d["name"] for d in json.loads(response.read())]


def with_one_crisis(source: Path, target: Path) -> None:
    """The generated delivery with its first signal marked as a crisis (eviction announced)."""
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    column = rows[0].index("crisis")
    rows[1][column] = "ja"
    with open(target, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows(rows)


def arrived(database_url: str, since) -> bool:
    """The end point: the crisis lane's notification for the delivery exists, or (without the
    crisis lane) the delivery is loaded."""
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Delivery
    from vroeg.opsdb.statuses import FINAL

    try:
        from vroeg.opsdb.crisis import crisis_notifications
    except ImportError:
        crisis_notifications = None
    if crisis_notifications is not None:
        return bool(crisis_notifications(database_url, "0080", since=since))
    with db.session(database_url) as s:
        return any(s.scalars(select(Delivery.id).where(
            Delivery.channel == "inbox", Delivery.status.in_(sorted(FINAL)))))


def milestones(database_url: str, landed) -> dict:
    """Seconds from the landing to the delivery's receipt (the watcher's and the runner's wait
    plus the run's start), to its load, and to the notification: the operational database's
    own timestamps."""
    import datetime as dt

    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Delivery

    def since(moment) -> float | None:
        if moment is None:
            return None
        moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
        return round((moment - landed).total_seconds(), 2)

    with db.session(database_url) as s:
        delivery = s.scalars(select(Delivery).where(Delivery.channel == "inbox")
                             .order_by(Delivery.received_at.desc())).first()
        received, loaded = (delivery.received_at, delivery.finished_at) if delivery else (None,
                                                                                          None)
    found = {"received_s": since(received), "loaded_s": since(loaded)}
    try:
        from vroeg.opsdb.crisis import crisis_notifications
    except ImportError:
        return found
    notices = crisis_notifications(database_url, "0080", since=landed)
    found["notified_s"] = since(notices[0].created_at) if notices else None
    return found


def end_point() -> str:
    try:
        import vroeg.opsdb.crisis  # noqa: F401 - only whether the crisis lane is there
    except ImportError:
        return "delivery loaded (no crisis lane yet)"
    return "crisis notification recorded"


def run(workdir: Path, env: dict, server_url: str, delivery: Path, month: str) -> dict:
    """Serve an installation with last month's lists, drop `delivery` into the inbox, time."""
    import datetime as dt

    from vroeg.config import Operations
    from vroeg.settings import SHIPPED_CONFIG, Home

    vroeg = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"
    home = Home(workdir / "home").ensure()
    # Its own copy of the sample configuration (home.config_dir is the shipped one until then).
    config = home.root / "config" / "0080"
    shutil.copytree(SHIPPED_CONFIG / "0080", config)
    (config / "partners" / f"{PARTNER}.yaml").write_text(INBOX_PARTNER, encoding="utf-8")
    command_env = {**env, "VROEG_HOME": str(home.root), "PREFECT_API_URL": server_url}
    log = workdir / "crisis.log"
    with open(log, "ab") as handle:
        # Last month's lists, published without the server (the state a crisis arrives in).
        subprocess.run([vroeg, "demo", "--seed", "17", "--months", "1"], cwd=workdir,
                       env={k: v for k, v in command_env.items() if k != "PREFECT_API_URL"},
                       stdout=handle, stderr=subprocess.STDOUT, check=True,
                       stdin=subprocess.DEVNULL)
    serve_log = open(workdir / "serve.log", "wb")  # closed in finally
    serve = subprocess.Popen([vroeg, "serve", "--gemeente", "0080"], cwd=workdir,
                             env=command_env, stdout=serve_log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        started = time.perf_counter()
        while sum(name == "0080" for name in _deployments(server_url)) < 3:
            if serve.poll() is not None or time.perf_counter() - started > GIVE_UP_S:
                raise RuntimeError(f"vroeg serve did not register its deployments; see "
                                   f"{workdir / 'serve.log'}")
            time.sleep(1)
        serve_startup_s = time.perf_counter() - started
        time.sleep(2)  # the watcher's first look (at start-up) has passed: a file lands later
        load_start = _load()
        inbox = home.inbox_dir("0080") / PARTNER
        inbox.mkdir(parents=True, exist_ok=True)
        since = dt.datetime.now(dt.UTC)
        shutil.copyfile(delivery, inbox / "levering.csv.part")
        landed = time.perf_counter()
        os.replace(inbox / "levering.csv.part", inbox / "levering.csv")
        while not arrived(home.database_url, since):
            if time.perf_counter() - landed > GIVE_UP_S:
                raise RuntimeError(f"nothing arrived within {GIVE_UP_S:.0f} s; see "
                                   f"{workdir / 'serve.log'}")
            time.sleep(0.5)
        took = time.perf_counter() - landed
        steps = milestones(home.database_url, since)
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGINT)
            try:
                serve.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
        serve_log.close()
    return {
        "signals": SIGNALS,
        "period": month,
        "end_point": end_point(),
        "inbox_to_notification_s": round(took, 2),
        "serve_startup_s": round(serve_startup_s, 2),
        # Seconds after the landing (from the database's timestamps): received, loaded, notified.
        "milestones": steps,
        "inbox_poll_seconds": Operations().inbox_poll_seconds,  # the default, as served
        "load_average_at_start": load_start,
        "load_average_at_end": _load(),
    }
