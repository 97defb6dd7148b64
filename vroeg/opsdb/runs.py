"""The run registry and publications in the operational database (plain values in and out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, insert, select

from vroeg.opsdb import cases, db
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


def current_publication(database_url: str, gemeente: str, wijkteam: str,
                        period: str) -> Publication | None:
    """The team's current list of the month (the newest version not replaced), detached."""
    with db.session(database_url) as s:
        found = s.scalars(select(Publication).where(
            Publication.gemeente == gemeente, Publication.wijkteam == wijkteam,
            Publication.period == period, Publication.superseded_at.is_(None))
            .order_by(Publication.version.desc(), Publication.id.desc()).limit(1)).first()
        s.expunge_all()
        return found


def rules_of_run(database_url: str, run_id: str) -> str | None:
    with db.session(database_url) as s:
        run = s.get(Run, run_id)
        return run.rules_version if run else None


def listed_households(database_url: str, publication_id: int) -> list[str]:
    """The household pseudonyms on a published list, in file order (both sections)."""
    with db.session(database_url) as s:
        return list(s.scalars(select(PublicationHousehold.huishouden_pseudoniem)
                              .where(PublicationHousehold.publication_id == publication_id)
                              .order_by(PublicationHousehold.regel)).all())


def record_publication(database_url: str, gemeente: str, run_id: str, period: str, *,
                       wijkteam: str, csv_path: Path, xlsx_path: Path, csv_sha256: str,
                       households: int, lines: Iterable[tuple[int, str]],
                       content_sha256: str | None = None, reason: str | None = None) -> int:
    """Register a written list as the team's current version of the month; returns its id.

    `households` counts the bezoeklijst; `lines` are the list's (rang, household pseudonym)
    pairs in file order, both sections: the portal needs them to log each view per household
    and to key cases by pseudonym, never by name. The list it replaces (the month's current
    one, if any) is marked superseded with `reason` in the same transaction, so there is never
    a moment with two current lists or none. The month's cases of the households on it move
    to it too (vroeg.opsdb.cases.follow_list).
    """
    lines = list(lines)
    now = dt.datetime.now(dt.UTC)
    with db.session(database_url) as s:
        replaced = s.scalars(select(Publication).where(
            Publication.gemeente == gemeente, Publication.wijkteam == wijkteam,
            Publication.period == period, Publication.superseded_at.is_(None))).all()
        latest = s.scalar(select(func.max(Publication.version)).where(
            Publication.gemeente == gemeente, Publication.wijkteam == wijkteam,
            Publication.period == period)) or 0
        publication = Publication(
            run_id=run_id, gemeente=gemeente, wijkteam=wijkteam, period=period,
            households=households, csv_path=str(csv_path), xlsx_path=str(xlsx_path),
            csv_sha256=csv_sha256, version=latest + 1, content_sha256=content_sha256,
            created_at=now,
        )
        s.add(publication)
        s.flush()
        for earlier in replaced:
            earlier.superseded_at = now
            earlier.superseded_by = publication.id
            earlier.superseded_reason = reason or "Vervangen door een nieuwere versie."
        # One executemany (Core), not an ORM object per line: a list may have thousands.
        if lines:
            s.execute(insert(PublicationHousehold),
                      [{"publication_id": publication.id, "regel": line, "rang": rang,
                        "huishouden_pseudoniem": pseudonym}
                       for line, (rang, pseudonym) in enumerate(lines, start=1)])
        # The month's cases of these households (recorded on an earlier version, or on another
        # team's list before the household moved) now point to this list: same transaction.
        cases.follow_list(s, publication, [(line, rang, pseudonym) for line, (rang, pseudonym)
                                           in enumerate(lines, start=1)])
        return publication.id
