"""The run registry and publications in the operational database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import insert, select

from publishing.visit_list import WrittenList
from vroeg.context import Context
from vroeg.opsdb import db
from vroeg.opsdb.models import Publication, PublicationHousehold, Run


def start(ctx: Context, run_id: str, period: str, rules: str, flow_run_id: str | None) -> None:
    with db.session(ctx.database_url) as s:
        s.add(Run(id=run_id, gemeente=ctx.gemeente, period=period, rules_version=rules,
                  flow_run_id=flow_run_id))


def resumable(ctx: Context, period: str, rules: str) -> str | None:
    """The run to resume for this period: the newest one, if it failed under the same rules.

    A run that failed half-way may have published some teams' lists; running it again under
    its own id publishes only the teams still missing, so no list is published twice. Runs
    still marked "gestart" are left alone: another worker may be running them.
    """
    with db.session(ctx.database_url) as s:
        newest = s.scalars(select(Run).where(Run.gemeente == ctx.gemeente, Run.period == period)
                           .order_by(Run.started_at.desc()).limit(1)).first()
        if newest is not None and newest.status == "mislukt" and newest.rules_version == rules:
            return newest.id
    return None


def restart(ctx: Context, run_id: str, flow_run_id: str | None) -> None:
    with db.session(ctx.database_url) as s:
        run = s.get(Run, run_id)
        run.status = "gestart"
        run.finished_at = None
        run.flow_run_id = flow_run_id


def published(ctx: Context, run_id: str) -> dict[str, Publication]:
    """The run's publications by wijkteam (detached rows)."""
    with db.session(ctx.database_url) as s:
        rows = s.scalars(select(Publication).where(Publication.run_id == run_id)).all()
        s.expunge_all()
        return {p.wijkteam: p for p in rows}


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
