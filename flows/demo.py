"""The demo: generate a sample municipality's deliveries, ingest them all, run the latest month."""

from __future__ import annotations

from pathlib import Path

from flows.ingest import ingest
from flows.progress import progress
from flows.run import run_flow
from flows.runner import flow, step
from privacy.context import context
from scoring.score import Period
from synthetic.generator import generate


@step("genereren")
def generate_task(gemeente: str, out_dir: str, seed: int, end: str, months: int) -> list[dict]:
    ctx = context(gemeente)
    report = generate(ctx.municipality, Path(out_dir), seed=seed, end=end, months=months)
    progress().info("%d leveringen gegenereerd met %d signalen.", len(report.files),
                          report.total_rows)
    return [{"path": str(f.path), "partner": f.partner_id, "month": f.month}
            for f in report.files]


@flow("demo", notify=False)
def demo_flow(gemeente: str = "0080", seed: int = 80, months: int = 6) -> dict:
    """Everything once, on synthetic data whose last month is the last complete month."""
    ctx = context(gemeente)
    period = Period.last_complete(ctx.municipality.timezone)
    out_dir = ctx.home.root / "demo" / gemeente
    files = generate_task(gemeente, str(out_dir), seed, str(period), months)
    ingested: list[dict] = []
    for partner in sorted({f["partner"] for f in files}):
        paths = sorted(f["path"] for f in files if f["partner"] == partner)
        # Without the crisis lane: the month's run below publishes every list at once.
        ingested += ingest(gemeente, paths, partner, crisis=False)
    run = run_flow(gemeente, str(period))
    return {"gemeente": gemeente, "periode": str(period), "leveringen": ingested, "run": run}
