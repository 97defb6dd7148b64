"""The run registry and publications in the operational database (plain values in and out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import insert, select

from vroeg.opsdb import db
from vroeg.opsdb.models import Publication, PublicationHousehold, Run


def start(database_url: str, gemeente: str, run_id: str, period: str, rules: str,
          flow_run_id: str | None) -> None:
    with db.session(database_url) as s:
        s.add(Run(id=run_id, gemeente=gemeente, period=period, rules_version=rules,
                  flow_run_id=flow_run_id))


def resumable(database_url: str, gemeente: str, period: str, rules: str) -> str | None:
    """The run to resume for this period: the newest one, if it failed under the same rules.

    A run that failed half-way may have published some teams' lists; running it again under
    its own id publishes only the teams still missing, so no list is published twice. Runs
    still marked "gestart" are left alone: another worker may be running them.
    """
    with db.session(database_url) as s:
        newest = s.scalars(select(Run).where(Run.gemeente == gemeente, Run.period == period)
                           .order_by(Run.started_at.desc()).limit(1)).first()
        if newest is not None and newest.status == "mislukt" and newest.rules_version == rules:
            return newest.id
    return None


def restart(database_url: str, run_id: str, flow_run_id: str | None) -> None:
    with db.session(database_url) as s:
        run = s.get(Run, run_id)
        run.status = "gestart"
        run.finished_at = None
        run.flow_run_id = flow_run_id


def published(database_url: str, run_id: str) -> dict[str, Publication]:
    """The run's publications by wijkteam (detached rows)."""
    with db.session(database_url) as s:
        rows = s.scalars(select(Publication).where(Publication.run_id == run_id)).all()
        s.expunge_all()
        return {p.wijkteam: p for p in rows}


def finish(database_url: str, run_id: str, status: str, summary: dict | None) -> None:
    with db.session(database_url) as s:
        run = s.get(Run, run_id)
        run.status = status
        run.summary = summary
        run.finished_at = dt.datetime.now(dt.UTC)


def record_publication(database_url: str, gemeente: str, run_id: str, period: str, *,
                       wijkteam: str, csv_path: Path, xlsx_path: Path, csv_sha256: str,
                       households: int, lines: Iterable[tuple[int, str]]) -> int:
    """Register a written list; returns its id.

    `households` counts the bezoeklijst; `lines` are the list's (rang, household pseudonym)
    pairs in file order, both sections: the portal needs them to log each view per household
    and to key cases by pseudonym, never by name.
    """
    lines = list(lines)
    with db.session(database_url) as s:
        publication = Publication(
            run_id=run_id, gemeente=gemeente, wijkteam=wijkteam, period=period,
            households=households, csv_path=str(csv_path), xlsx_path=str(xlsx_path),
            csv_sha256=csv_sha256,
        )
        s.add(publication)
        s.flush()
        # One executemany (Core), not an ORM object per line: a list may have thousands.
        if lines:
            s.execute(insert(PublicationHousehold),
                      [{"publication_id": publication.id, "regel": line, "rang": rang,
                        "huishouden_pseudoniem": pseudonym}
                       for line, (rang, pseudonym) in enumerate(lines, start=1)])
        return publication.id
