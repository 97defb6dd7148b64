"""Run one phase of the benchmark in a fresh process and write its result as JSON.

    python -m bench.phase steps|floor|peer|prefect|direct --csv FILE --home DIR --out FILE ...

Each phase runs in its own process so that its memory figures are its own (a process rarely
gives memory back to the OS, so a phase run after another would inherit its footprint) and so
that one-off state (GX context, Prefect client, DuckDB caches) does not carry over.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.phase")
    parser.add_argument("phase", choices=("steps", "floor", "peer", "prefect", "direct",
                                          "portal", "ddas-api"))
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--home", type=Path, required=True, help="VROEG_HOME for this phase")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--today", required=True)
    parser.add_argument("--period", required=True)
    parser.add_argument("--server-pid", type=int, default=None)
    parser.add_argument("--coordinators", type=int, default=20)
    args = parser.parse_args(argv)

    # Before anything imports Prefect or reads VROEG_HOME.
    os.environ["VROEG_HOME"] = str(args.home)
    from flows.prefect_env import configure
    from vroeg.settings import Home

    configure(Home(args.home))
    from bench.measure import Meter
    from vroeg.formats import parse_day

    meter = Meter()
    today = parse_day(args.today)
    if args.phase == "steps":
        from bench import steps

        result = steps.run(args.csv, today=today, period=args.period, meter=meter)
    elif args.phase == "floor":
        from bench import floor

        result = floor.run(args.csv, today=today, period=args.period, meter=meter,
                           workdir=args.home)
    elif args.phase == "portal":
        from bench import portal_load

        result = portal_load.run(args.csv, today=today, period=args.period, meter=meter,
                                 coordinators=args.coordinators)
    elif args.phase == "ddas-api":
        from bench import ddas_api_load

        result = ddas_api_load.run(args.csv, today=today, period=args.period, meter=meter)
    elif args.phase == "peer":
        from bench import peer

        result = peer.run(args.csv, today=today, period=args.period, meter=meter,
                          workdir=args.home)
    else:
        from bench import prefect_run

        result = prefect_run.run(args.csv, today=today, period=args.period, meter=meter,
                                 server_pid=args.server_pid, direct=args.phase == "direct")
    result["memory_method"] = meter.method
    meter.close()
    args.out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
