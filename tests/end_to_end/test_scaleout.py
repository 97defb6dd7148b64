"""Scale-out on a real engine (issue 7): a Prefect server on PostgreSQL, a process work pool with
two workers, and three municipalities' monthly runs submitted at once.

Everything runs on loopback: `prefect server start` with its database in a fresh PostgreSQL
database (created and dropped here), two `prefect worker start --type process` processes, the
run flow deployed from this checkout (local source, no image, no network), and the operational
database in a fresh PostgreSQL schema shared by all flow runs, as in a regional installation.
Each worker takes one run at a time, so both must work for the three runs to finish.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.end_to_end.test_municipalities import PERIOD, TODAY, add_municipality, delivery
from tests.processes import REPO, Processes

pytestmark = [pytest.mark.scaleout, pytest.mark.postgres]

BIN = Path(sys.executable).parent
CODES = ("0080", "0081", "0082")
POOL = "vroeg-regio"


DEPLOY = """
from prefect import flow
deployment = flow.from_source(source={repo!r}, entrypoint="flows/served.py:run_flow")
deployment.deploy(name="regio", work_pool_name={pool!r}, build=False, push=False,
                  print_next_steps=False)
"""


def test_three_municipalities_run_at_once_on_two_workers(pg_database_url, pg_schema_url,
                                                        tmp_path, monkeypatch):
    from sqlalchemy import select

    from bench import prefect_server
    from flows.ingest import ingest_files
    from privacy.keys import init_keys
    from tests.flows.test_flows import _valid_bsn
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication, Run
    from vroeg.settings import Home

    # A region: three municipalities in one installation, each with a delivery (ingested
    # without Prefect: this test is about the runs).
    home = Home(tmp_path / "home").ensure()
    monkeypatch.setenv("VROEG_HOME", str(home.root))
    monkeypatch.setenv("VROEG_DATABASE_URL", pg_schema_url)
    for index, code in enumerate(CODES):
        if code != "0080":
            add_municipality(home, code, f"Regiogemeente {code}")
        init_keys(home, code)
        path = delivery(tmp_path / "in" / code, f"Eigenaarxq{index}", _valid_bsn(f"999987{index}"))
        assert ingest_files(code, [str(path)], today=TODAY)[0]["status"] == "geladen"

    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "VROEG_HOME": str(home.root),
        "VROEG_DATABASE_URL": pg_schema_url,
        "COLUMNS": "200",
        # Workers look for work every 10 s by default; a test need not wait.
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    })
    server = prefect_server.start(tmp_path / "server", timeout=150, extra_env={
        "PREFECT_API_DATABASE_CONNECTION_URL": pg_database_url("postgresql+asyncpg")})
    env["PREFECT_API_URL"] = server.url
    processes = Processes(tmp_path)
    try:
        def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
            done = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=REPO,
                                  capture_output=True, text=True, timeout=timeout)
            assert done.returncode == 0, done.stdout + done.stderr
            return done

        cli("work-pool", "create", POOL, "--type", "process")
        deployed = subprocess.run([sys.executable, "-c", DEPLOY.format(repo=str(REPO), pool=POOL)],
                                  env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        for worker in ("worker-1", "worker-2"):
            processes.start(worker, [str(BIN / "prefect"), "worker", "start", "--pool", POOL,
                                     "--type", "process", "--name", worker, "--limit", "1"], env)

        # Three runs submitted at once; each command waits for its run to finish.
        runs = [subprocess.Popen(
            [str(BIN / "prefect"), "deployment", "run", "matchen-en-publiceren/regio",
             "--param", f"gemeente={code}", "--param", f"period={PERIOD}", "--watch",
             "--watch-timeout", "300"], env=env, cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True) for code in CODES]
        outputs = [run.communicate(timeout=360)[0] for run in runs]
        for code, run, output in zip(CODES, runs, outputs, strict=True):
            assert run.returncode == 0, f"{code}:\n{output}\n" + processes.log("worker-1") \
                + processes.log("worker-2")
            assert "Completed" in output
        worked = [w for w in ("worker-1", "worker-2")
                  if f"Worker '{w}' submitting flow run" in processes.log(w)]
        assert worked == ["worker-1", "worker-2"], "both workers took a run"
    finally:
        processes.stop()
        server.stop()

    # Each municipality's run published its own lists, in its own outbox.
    with db.session(pg_schema_url) as s:
        for code in CODES:
            runs_of = s.scalars(select(Run).where(Run.gemeente == code)).all()
            assert [r.status for r in runs_of] == ["gepubliceerd"], code
            publications = s.scalars(select(Publication).where(
                Publication.run_id == runs_of[0].id)).all()
            assert {p.gemeente for p in publications} == {code}
            listed = [p for p in publications if p.households]
            assert listed, f"{code}: no household on any list"
            for p in publications:
                assert Path(p.csv_path).is_relative_to(home.outbox_dir(code))
                assert Path(p.csv_path).exists()
            text = "".join(Path(p.csv_path).read_text(encoding="utf-8-sig")
                           for p in publications)
            for other_index, other in enumerate(CODES):
                mark = f"Eigenaarxq{other_index}"
                assert (mark in text) == (other == code), (code, other)
