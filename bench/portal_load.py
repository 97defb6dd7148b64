"""The portal under load: list-page latency with N coordinators at once while a writer appends.

Builds a home with the project's own steps (one month, enough signals that a wijkteam's list
holds a few thousand households), starts `vroeg portal` as a process of its own, signs in N
coordinator accounts of that team, and measures the wall time of GET /lijsten/<id> (the page
with names and addresses, and its audit lines, committed before the answer):

- idle: one coordinator, one view after the other;
- under load: N coordinators in threads, each viewing the list `rounds` times without pause,
  while another process appends to the audit chain in a loop as a run publishing teams does
  (3,000 lines per transaction, a pause of WRITER_PAUSE_S between two).

Reported: latency percentiles, HTTP statuses (500 must not occur; 503 is the portal saying the
database was busy), and p95 under load over the idle median, both measured in this one run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.measure import Meter
from flows.prefect_env import free_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-wachtwoord-2026"
#: The list sizes of the issue (2,000-3,600 households): the largest list within this is used.
MAX_HOUSEHOLDS = 3600
CSRF = re.compile(r'name="csrf" value="([^"]+)"')

#: Seconds the writer pauses between its appends. A run publishing its teams spends seconds per
#: team on ranking, re-identification and files between two appends; 0.5 s is a harsher writer.
WRITER_PAUSE_S = 0.5

WRITER = """
import sys, time
from pathlib import Path
from privacy.audit import Audit, new_trace_id
from privacy.keys import load_keys
from vroeg.settings import Home
home = Home(Path(sys.argv[1]))
audit = Audit(home.database_url, load_keys(home, "0080"))
print("begonnen", flush=True)
batches = 0
while True:  # until the benchmark stops it
    audit.subjects("publicatie", new_trace_id(), None,
                   [f"k1_{batches:06d}{i:010d}" for i in range(3000)], bench="portal")
    batches += 1
    print(batches, flush=True)
    time.sleep(float(sys.argv[2]))  # a run does other work between teams (ranking, files)
"""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _summary(latencies: list[float]) -> dict:
    return {"views": len(latencies), "p50_s": round(statistics.median(latencies), 3),
            "p95_s": round(_percentile(latencies, 0.95), 3),
            "max_s": round(max(latencies), 3), "mean_s": round(statistics.fmean(latencies), 3)}


def _sign_in(httpx, base: str, name: str) -> dict:
    with httpx.Client(base_url=base, timeout=60) as client:
        page = client.get("/inloggen")
        response = client.post("/inloggen", data={
            "csrf": CSRF.search(page.text).group(1), "naam": name, "wachtwoord": PASSWORD,
            "volgende": "/"},
            headers={"Cookie": f"vroeg_inlogformulier={page.cookies['vroeg_inlogformulier']}"})
        if response.status_code != 303:
            raise RuntimeError(f"sign-in of {name} failed: {response.status_code}")
        return {"Cookie": f"vroeg_sessie={response.cookies['vroeg_sessie']}"}


def _start_portal(home: Path) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    env = {**os.environ, "VROEG_HOME": str(home), "VROEG_PORTAL_SECURE_COOKIES": "0"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", "portal", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/status", timeout=2).text == "ok":
                return process, base
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("vroeg portal did not start")


def run(csv_path: Path, *, today: dt.date, period: str, meter: Meter, coordinators: int = 20,
        rounds: int = 3) -> dict:
    import httpx
    from sqlalchemy import func, select

    from bench import steps
    from portal import accounts
    from privacy.context import context
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication, PublicationHousehold

    built = steps.run(csv_path, today=today, period=period, meter=meter)
    ctx = context("0080")
    with db.session(ctx.database_url) as s:
        sizes = s.execute(select(Publication.id, Publication.wijkteam, func.count())
                          .join(PublicationHousehold,
                                PublicationHousehold.publication_id == Publication.id)
                          .group_by(Publication.id, Publication.wijkteam)).all()
    fitting = [row for row in sizes if row[2] <= MAX_HOUSEHOLDS] or sizes
    pid, team, households = max(fitting, key=lambda row: row[2])
    known = [t.code for t in ctx.municipality.wijkteams]
    names = [f"coordinator-{i:02d}" for i in range(coordinators)]
    for name in names:
        accounts.add_user(ctx.database_url, "0080", name, PASSWORD, ["coordinator"], [team],
                          known, audit=ctx.audit, by="bench")

    process, base = _start_portal(ctx.home.root)
    writer = None
    try:
        cookies = [_sign_in(httpx, base, name) for name in names]
        url = f"{base}/lijsten/{pid}"

        def view(headers: dict) -> tuple[float, int]:
            started = time.perf_counter()
            response = httpx.get(url, headers=headers, timeout=120)
            return time.perf_counter() - started, response.status_code

        view(cookies[0])  # warm-up: templates, connections
        idle = [view(cookies[0]) for _ in range(5)]

        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(ctx.home.root),
                                   str(WRITER_PAUSE_S)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if writer.stdout.readline().strip() != "begonnen":
            raise RuntimeError("the writer did not start")
        batches = [0]

        def count_batches() -> None:
            for line in writer.stdout:
                if line.strip().isdigit():
                    batches[0] = int(line)

        threading.Thread(target=count_batches, daemon=True).start()
        started = time.perf_counter()
        with ThreadPoolExecutor(coordinators) as pool:
            loaded = [r for batch in pool.map(lambda h: [view(h) for _ in range(rounds)], cookies)
                      for r in batch]
        under_load_s = time.perf_counter() - started
    finally:
        if writer is not None:
            writer.kill()
            writer.wait()
        process.terminate()
        process.wait(timeout=30)

    statuses: dict[str, int] = {}
    for _, status in loaded:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    idle_summary = _summary([t for t, _ in idle])
    load_summary = _summary([t for t, _ in loaded])
    return {
        "list_households": households, "wijkteam": team, "coordinators": coordinators,
        "rounds": rounds, "idle": idle_summary, "under_load": load_summary,
        "statuses": statuses, "writer_batches": batches[0], "writer_lines_per_batch": 3000,
        "writer_pause_s": WRITER_PAUSE_S,
        "under_load_wall_s": round(under_load_s, 2),
        "p95_over_idle": round(load_summary["p95_s"] / idle_summary["p50_s"], 2),
        "counts": built["counts"],
    }
