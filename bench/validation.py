"""Validation alone, on each engine: `python -m bench.validation --signals 1000000`.

Generates the benchmark's standard-format delivery (bench.generate), then in a fresh process per
engine reads and parses it (not timed) and times `quality.validate.validate` on it: `compiled`
(one polars pass, the production path) and `gx` (Great Expectations' pandas engine): the rules
alone (`run_suite`) and the whole step (`validate`: rules, reading problems, contradicting
duplicates, the clean frame). A warm-up on ten rows comes first and is reported apart as `setup`
(for GX: its import, context and suite registration, paid once per process). Both engines must
reach the same verdict; the run says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure import Meter

ENGINES = ("gx", "compiled")
CHECKOUT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 22)


def _one(csv_path: Path, engine: str) -> dict:
    """In this process: read and parse, warm up, then validate the whole delivery once."""
    import connectors
    from quality.validate import run_suite, validate
    from vroeg.config import load_municipality, standard_partner
    from vroeg.settings import Home

    meter = Meter()
    # The work folder as home: it has no configuration, so the shipped sample's is used.
    municipality = load_municipality(Home(csv_path.parent), "0080")
    partner = standard_partner()
    data = csv_path.read_bytes()
    parsed = connectors.parse(connectors.read_delivery(data, csv_path.name, partner,
                                                       municipality.partners), municipality)
    del data
    with meter.step("setup") as setup:
        validate(parsed.head(10), municipality, "opwarmen.csv", TODAY, engine=engine)
    with meter.step("rules", parsed.height) as rules:
        run_suite(parsed, municipality, TODAY, engine=engine)
    with meter.step("validate", parsed.height) as step:
        outcome = validate(parsed, municipality, csv_path.name, TODAY, engine=engine)
    verdict = sorted((e.row or 0, e.reason, e.column or "") for e in outcome.entries)
    return {"engine": engine, "setup": setup.as_dict(), "rules": rules.as_dict(),
            "validate": step.as_dict(),
            "quarantined": outcome.quarantined_rows, "entries": len(verdict),
            "verdict": hash(tuple(verdict))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.validation",
                                description=__doc__.split("\n")[0])
    p.add_argument("--signals", type=int, default=1_000_000)
    p.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("--one", nargs=2, metavar=("CSV", "ENGINE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(_one(Path(args.one[0]), args.one[1])))
        return 0

    from bench.generate import generate
    from vroeg.config import load_municipality
    from vroeg.settings import Home

    with tempfile.TemporaryDirectory(prefix="bench-validation-") as work:
        csv_path = Path(work) / "levering.csv"
        generate(load_municipality(Home(Path(work)), "0080"), csv_path, signals=args.signals,
                 seed=args.seed)
        runs = []
        for engine in args.engines:
            load = os.getloadavg()[0]
            # PYTHONHASHSEED fixed: the verdicts of the two processes are compared by hash.
            done = subprocess.run(
                [sys.executable, "-m", "bench.validation", "--one", str(csv_path), engine],
                cwd=CHECKOUT, capture_output=True, text=True, check=True,
                env={**os.environ, "PYTHONHASHSEED": "0"})
            run = json.loads(done.stdout.strip().splitlines()[-1])
            run["load"] = round(load, 2)
            runs.append(run)
    print(f"{args.signals:,} signals, {os.cpu_count()} cores")
    for run in runs:
        s, r, v = run["setup"], run["rules"], run["validate"]
        print(f"{run['engine']:>9}: rules {r['wall_s']:6.2f} s wall, {r['cpu_s']:6.2f} s cpu; "
              f"validate {v['wall_s']:6.2f} s wall, {v['cpu_s']:6.2f} s cpu, "
              f"peak {v['peak_rss_mb']:,.0f} MB (+{v['peak_delta_mb']:,.0f}); setup "
              f"{s['wall_s']:.2f} s; {run['quarantined']} rows quarantined; load {run['load']}")
    if len(runs) == 2:
        same = runs[0]["verdict"] == runs[1]["verdict"]
        ratio = runs[0]["validate"]["wall_s"] / max(runs[1]["validate"]["wall_s"], 1e-9)
        print(f"same verdict: {'yes' if same else 'NO'}; {runs[0]['engine']} / "
              f"{runs[1]['engine']}: {ratio:.1f}x")
        if not same:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
