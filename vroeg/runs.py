"""The run registry and publications in the operational database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import insert

from publishing.visit_list import WrittenList
from vroeg.context import Context
from vroeg.opsdb import db
from vroeg.opsdb.models import Publication, PublicationHousehold, Run


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


def record_publication(ctx: Context, run_id: str, period: str, written: WrittenList, *,
                       households: Iterable[tuple[int, str]] | None = None) -> int:
    """Register a written list; returns its id.

    `households` are the list's (rang, household pseudonym) pairs in file order: the portal
    needs them to log each view per household and to key cases by pseudonym, never by name.
    """
    with db.session(ctx.database_url) as s:
        publication = Publication(
            run_id=run_id, gemeente=ctx.gemeente, wijkteam=written.wijkteam, period=period,
            households=written.households, csv_path=str(written.csv_path),
            xlsx_path=str(written.xlsx_path), csv_sha256=written.csv_sha256,
        )
        s.add(publication)
        s.flush()
        # One executemany (Core), not an ORM object per line: a list may have thousands.
        lines = [{"publication_id": publication.id, "regel": line, "rang": rang,
                  "huishouden_pseudoniem": pseudonym}
                 for line, (rang, pseudonym) in enumerate(households or (), start=1)]
        if lines:
            s.execute(insert(PublicationHousehold), lines)
        return publication.id
