"""The crisis lane's notifications (issue 17): what the coordinators were told, and when.

A crisis notification is a row of `notifications` with kind "crisis", its team (`wijkteam`),
period (`about`) and the number of households added (`households`); `created_at` is when the
crisis lane told the team (the benchmark's end point), `sent_at` when the e-mail went out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from vroeg.opsdb import db
from vroeg.opsdb.models import Notification, PortalUser, Publication, PublicationHousehold, Run
from vroeg.opsdb.statuses import RESUMABLE, RunKind

KIND = "crisis"


@dataclass(frozen=True)
class CrisisNotice:
    id: int
    wijkteam: str
    period: str
    households: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    send_error: str | None
    subject: str
    body: str


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite returns naive datetimes for timezone-aware columns; they were written in UTC.
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def crisis_notifications(database_url: str, gemeente: str, wijkteam: str | None = None,
                         since: dt.datetime | None = None) -> list[CrisisNotice]:
    """The crisis notifications of a municipality (of one team, or after `since`), oldest
    first."""
    query = select(Notification).where(Notification.gemeente == gemeente,
                                       Notification.kind == KIND)
    if wijkteam is not None:
        query = query.where(Notification.wijkteam == wijkteam)
    if since is not None:
        query = query.where(Notification.created_at > since)
    with db.session(database_url) as s:
        return [CrisisNotice(n.id, n.wijkteam or "", n.about or "", n.households or 0,
                             _aware(n.created_at), _aware(n.sent_at), n.send_error, n.subject,
                             n.body)
                for n in s.scalars(query.order_by(Notification.id))]


def new_crisis_households(database_url: str, gemeente: str, wijkteams: Iterable[str],
                          since: dt.datetime | None) -> int:
    """How many crisis households the crisis lane added to these teams' lists after `since`
    (the portal's "n nieuwe crisishuishoudens sinds uw laatste bezoek"; None: ever)."""
    teams = list(wijkteams)
    if not teams:
        return 0
    query = select(func.coalesce(func.sum(Notification.households), 0)).where(
        Notification.gemeente == gemeente, Notification.kind == KIND,
        Notification.wijkteam.in_(teams))
    if since is not None:
        query = query.where(Notification.created_at > since)
    with db.session(database_url) as s:
        return int(s.scalar(query) or 0)


def mark_lists_seen(database_url: str, gemeente: str, user_id: int,
                    wijkteams: Iterable[str]) -> int:
    """The portal's crisis mark: how many crisis households were added to the user's teams'
    lists since the user last opened the list overview (or since the account was made), and
    record that the user has seen them now."""
    with db.session(database_url) as s:
        user = s.get(PortalUser, user_id)
        if user is None:
            return 0
        since = _aware(user.lists_seen_at) or _aware(user.created_at)
        user.lists_seen_at = dt.datetime.now(dt.UTC)
    return new_crisis_households(database_url, gemeente, wijkteams, since)


@dataclass(frozen=True)
class Untold:
    """A list a failed crisis run published without telling the team (it died in between)."""

    wijkteam: str
    version: int
    households: int


def untold_publications(database_url: str, gemeente: str, period: str) -> list[Untold]:
    """The period's lists published by a crisis run that then failed or died, with no crisis
    notification of their team since: the next crisis run tells the coordinators after all.
    `households`: those on the list that were not on the version it replaced."""
    found = []
    with db.session(database_url) as s:
        rows = s.execute(select(Publication).join(Run, Run.id == Publication.run_id).where(
            Publication.gemeente == gemeente, Publication.period == period,
            Run.kind == RunKind.CRISIS, Run.status.in_(RESUMABLE))).scalars().all()
        for p in rows:
            told = s.scalar(select(func.count()).select_from(Notification).where(
                Notification.gemeente == gemeente, Notification.kind == KIND,
                Notification.wijkteam == p.wijkteam, Notification.about == period,
                Notification.created_at >= p.created_at))
            if told:
                continue
            lines = set(s.scalars(select(PublicationHousehold.huishouden_pseudoniem).where(
                PublicationHousehold.publication_id == p.id)))
            replaced = s.scalar(select(Publication.id).where(Publication.superseded_by == p.id))
            earlier = set() if replaced is None else set(s.scalars(
                select(PublicationHousehold.huishouden_pseudoniem).where(
                    PublicationHousehold.publication_id == replaced)))
            found.append(Untold(p.wijkteam, p.version, len(lines - earlier)))
    return found
