"""The run registry and publications in the operational database."""

from __future__ import annotations

import datetime as dt

from publishing.visit_list import WrittenList
from vroeg.context import Context
from vroeg.opsdb import db
from vroeg.opsdb.models import Publication, Run


def start(ctx: Context, run_id: str, period: str, rules: str, flow_run_id: str | None) -> None:
    with db.session(ctx.database_url) as s:
        s.add(Run(id=run_id, gemeente=ctx.gemeente, period=period, rules_version=rules,
                  flow_run_id=flow_run_id))


def finish(ctx: Context, run_id: str, status: str, summary: dict | None) -> None:
    with db.session(ctx.database_url) as s:
        run = s.get(Run, run_id)
        run.status = status
        run.summary = summary
        run.finished_at = dt.datetime.now(dt.UTC)


def record_publication(ctx: Context, run_id: str, period: str, written: WrittenList) -> None:
    with db.session(ctx.database_url) as s:
        s.add(Publication(
            run_id=run_id, gemeente=ctx.gemeente, wijkteam=written.wijkteam, period=period,
            households=written.households, csv_path=str(written.csv_path),
            xlsx_path=str(written.xlsx_path), csv_sha256=written.csv_sha256,
        ))
