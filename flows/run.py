"""The monthly run: match and score households for a period, publish one list per wijkteam."""

from __future__ import annotations

import datetime as dt
import secrets

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.progress import progress
from prefect.runtime import flow_run

from privacy.audit import new_trace_id
from privacy.trail import record_publication, run_output_digest, sql_hashes
from publishing.publish import publish_team
from scoring import warehouse
from scoring.score import SCORING_SQL, Period, rules_version, score_period
from vroeg import runs
from vroeg.context import context
from vroeg.safety import scrubbed

TASK = {"persist_result": False, "cache_policy": NO_CACHE}


@task(name="matchen-en-scoren", **TASK)
def score_task(gemeente: str, period: str, run_id: str, trace_id: str) -> dict:
    ctx = context(gemeente)
    with scrubbed("scoren"), ctx.audit.operation(
            "matchen-en-scoren", trace_id, run=run_id, periode=period,
            regelversie=rules_version(ctx.municipality), sql=sql_hashes(SCORING_SQL),
            sleutelversie=ctx.keys.version) as op:
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            totals = score_period(con, ctx.municipality, Period.parse(period), run_id)
            op.attributes.update(uitvoer_sha256=run_output_digest(con, run_id))
        op.attributes.update(totals)
    return totals


@task(name="publiceren", **TASK)
def publish_task(gemeente: str, period: str, run_id: str, wijkteam: str, trace_id: str) -> dict:
    ctx = context(gemeente)
    with scrubbed("publiceren"), ctx.audit.operation(
            "publicatie", trace_id, run=run_id, wijkteam=wijkteam,
            sleutelversie=ctx.keys.version) as op:
        written = publish_team(ctx, Period.parse(period), run_id, wijkteam, trace_id,
                               op.operation_id)
        op.attributes.update(huishoudens=written.households, csv_sha256=written.csv_sha256)
        record_publication(ctx, ctx.audit, run_id, wijkteam, trace_id, op.operation_id,
                           csv_sha256=written.csv_sha256)
    return {
        "wijkteam": wijkteam,
        "huishoudens": written.households,
        "crisis": written.crisis,
        "csv": str(written.csv_path),
        "xlsx": str(written.xlsx_path),
    }


def new_run_id(period: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{period}-{stamp}-{secrets.token_hex(2)}"


@flow(name="matchen-en-publiceren", persist_result=False)
def run_flow(gemeente: str, period: str | None = None) -> dict:
    """Score `period` (YYYY-MM; default the last complete month) and publish every team's list."""
    ctx = context(gemeente)
    municipality = ctx.municipality
    chosen = Period.parse(period) if period else Period.last_complete(municipality.timezone)
    run_id = new_run_id(str(chosen))
    trace_id = new_trace_id()
    logger = progress()
    runs.start(ctx, run_id, str(chosen), rules_version(municipality), flow_run.get_id())
    try:
        totals = score_task(gemeente, str(chosen), run_id, trace_id)
        logger.info("Periode %s: %d huishoudens gematcht, %d op een lijst (%d met crisis).",
                    chosen, totals["huishoudens"], totals["op_lijst"], totals["crisis"])
        lists = [publish_task(gemeente, str(chosen), run_id, team.code, trace_id)
                 for team in municipality.wijkteams]
    except BaseException:
        runs.finish(ctx, run_id, "mislukt", None)
        raise
    summary = {"gemeente": gemeente, "periode": str(chosen), "run": run_id,
               "regelversie": rules_version(municipality), **totals, "lijsten": lists}
    runs.finish(ctx, run_id, "gepubliceerd", summary)
    logger.info("%d bezoeklijsten gepubliceerd.", len(lists))
    return summary
