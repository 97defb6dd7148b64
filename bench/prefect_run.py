"""End to end: ingest (receiving, then ingest_flow) and run_flow on the benchmark's file,
through Prefect (phase `prefect`) or directly (phase `direct`).

Runs in its own process against a Prefect server the benchmark started beforehand (see
bench/prefect_server.py), so the server's one-off start-up is not in these figures. The process
first imports the flows and runs a trivial flow (client start, first API calls); that warm-up is
reported on its own line and not counted either. What is counted is what a data officer waits for
once the server is up: the two flows, every task, every call to Prefect's API.

The `direct` phase runs the same two flows without a Prefect API (flows/runner.py): how a
command runs by default on the embedded install. Prefect is not imported, so there is no
warm-up; the flows' own imports are reported as `import` and not counted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bench.measure import Meter, cpu_seconds_of


def _tree_cpu(pid: int) -> float | None:
    from bench.prefect_server import _children

    values = [cpu_seconds_of(p) for p in _children(pid)]
    return sum(v for v in values if v is not None) if values else None


def run(csv_path: Path, *, today: dt.date, period: str, meter: Meter,
        server_pid: int | None, direct: bool = False) -> dict:
    measured = []
    with meter.step("import") as m:
        from flows.ingest import ingest
        from flows.run import run_flow
        from flows.runner import prefect_configured
    measured.append(m)
    if prefect_configured() == direct:
        raise RuntimeError("the direct phase runs without a Prefect API, the prefect phase "
                           "with one")

    if not direct:
        from prefect import flow

        @flow(name="bench-opwarmen", persist_result=False)
        def warm_up() -> int:
            return 1

        with meter.step("warm-up flow") as m:
            warm_up()
        measured.append(m)

    server_cpu = _tree_cpu(server_pid) if server_pid else None
    with meter.step("end to end") as total:
        with meter.step("ingest_flow") as m:
            deliveries = ingest("0080", [str(csv_path)], None, today=today.isoformat())
            m.rows = deliveries[0]["rijen_gelezen"]
        with meter.step("run_flow") as m:
            summary = run_flow("0080", period)
            # Published: the bezoeklijst and the wachtlijst (issue 4's sections).
            m.rows = summary["op_lijst"] + summary["wachtlijst"]
        total.rows = deliveries[0]["rijen_gelezen"]
    measured.append(total)
    if server_pid:
        after = _tree_cpu(server_pid)
        server_cpu = ((after - server_cpu) if (after is not None and server_cpu is not None)
                      else None)

    d = deliveries[0]
    return {
        "measurements": [x.as_dict() for x in measured],
        "server_cpu_s_during_flows": round(server_cpu, 3) if server_cpu is not None else None,
        "counts": {
            "status": d["status"],
            "rows_read": d["rijen_gelezen"],
            "rows_loaded": d["rijen_geladen"],
            "rows_quarantined": d["rijen_quarantaine"],
            "rows_duplicate": d["rijen_dubbel"],
            "adds_up": d["klopt"],
            "households": summary["huishoudens"],
            "listed": summary["op_lijst"] + summary["wachtlijst"],
            "lists": len(summary["lijsten"]),
        },
    }
