"""The demo: generate a sample municipality's deliveries, ingest them all, run the latest month.

With `brp=True` (`vroeg demo --brp`) the run asks a local BRP stand-in (synthetic/brp_standin.py,
a real HTTP server on a free port of 127.0.0.1, stopped when the demo ends) in which the
generator's synthetic residents are registered (synthetic/brp_residents.py: some deceased, some
moved out, some registered elsewhere, children the partners never mention); partners without a
BSN spell some floors, and a few ground floors that a partner with a BSN also signals, their
own way, so the BRP's address object has households to merge (a handful every month). The
link is turned on for this process only (VROEG_BRP_URL_<gemeente>); gemeente.yaml is not
touched. The residents stay in this process's memory: never a step's result, never a parameter.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from flows.ingest import ingest
from flows.progress import progress
from flows.run import run_flow
from flows.runner import flow, step
from privacy.context import context
from scoring.score import Period
from synthetic.brp_residents import register
from synthetic.brp_standin import BrpStandIn
from synthetic.generator import generate, population
from vroeg.config import brp_url_variable
from vroeg.formats import today_in


@step("genereren")
def generate_task(gemeente: str, out_dir: str, seed: int, end: str, months: int,
                  brp: bool = False, signals_per_month: int | None = None) -> list[dict]:
    ctx = context(gemeente)
    report = generate(ctx.municipality, Path(out_dir), seed=seed, end=end, months=months,
                      signals_per_month=signals_per_month, spelling_variants=brp)
    progress().info("%d leveringen gegenereerd met %d signalen.", len(report.files),
                          report.total_rows)
    return [{"path": str(f.path), "partner": f.partner_id, "month": f.month}
            for f in report.files]


@contextmanager
def brp_standin(gemeente: str, seed: int, period: Period, months: int,
                signals_per_month: int | None = None) -> Iterator[dict]:
    """The stand-in with the demo's residents, serving while the block runs, and the BRP link
    of `gemeente` pointed at it; yields what the register holds (counts)."""
    ctx = context(gemeente)
    today = today_in(ctx.municipality.timezone)
    # The same simulation as the deliveries (same seed, same months): its population.
    people, signals = population(ctx.municipality, seed=seed, end=str(period), months=months,
                                 signals_per_month=signals_per_month)
    residents, counts = register(people, signals, ctx.municipality.code, seed=seed, today=today,
                                 last_month=(period.year, period.month))
    variable = brp_url_variable(gemeente)
    before = os.environ.get(variable)
    with BrpStandIn(today=today, residents=residents) as server:
        os.environ[variable] = server.url
        progress().info("BRP-stand-in op %s met %d personen (%d huishoudens).", server.url,
                        counts.personen, counts.huishoudens)
        try:
            yield asdict(counts)
        finally:
            if before is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = before


@flow("demo", notify=False)
def demo_flow(gemeente: str = "0080", seed: int = 80, months: int = 6, brp: bool = False,
              signals_per_month: int | None = None) -> dict:
    """Everything once, on synthetic data whose last month is the last complete month; with
    `brp`, the run asks the local BRP stand-in. `signals_per_month`: the generator's default
    (4.4 per 1,000 inhabitants) unless given (a smaller demo)."""
    ctx = context(gemeente)
    period = Period.last_complete(ctx.municipality.timezone)
    out_dir = ctx.home.root / "demo" / gemeente
    files = generate_task(gemeente, str(out_dir), seed, str(period), months, brp,
                          signals_per_month)
    ingested: list[dict] = []
    for partner in sorted({f["partner"] for f in files}):
        paths = sorted(f["path"] for f in files if f["partner"] == partner)
        # Without the crisis lane: the month's run below publishes every list at once.
        ingested += ingest(gemeente, paths, partner, crisis=False)
    if not brp:
        run = run_flow(gemeente, str(period))
        return {"gemeente": gemeente, "periode": str(period), "leveringen": ingested,
                "run": run}
    with brp_standin(gemeente, seed, period, months, signals_per_month) as held:
        run = run_flow(gemeente, str(period))
    return {"gemeente": gemeente, "periode": str(period), "leveringen": ingested, "run": run,
            "brp_register": held}
