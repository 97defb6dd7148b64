"""Queries behind the privacy officer's pages: the audit trail and who saw which list.

Audit subjects are shown as household pseudonyms (decrypted from the trail's encrypted subject
id), never as names or addresses: identities only come back through the explicit, logged
re-identification action.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.accounts import ACCOUNT_ACTIONS, ROLES
from privacy.audit import Audit
from vroeg.opsdb import db
from vroeg.opsdb.models import AuditCut, AuditLine

#: Bulk lines the portal writes when a list or household is seen, downloaded or recorded.
PORTAL_ACTIONS = {
    "inzage-lijst": "lijst bekeken",
    "afdrukken-lijst": "afdrukweergave geopend",
    "download-lijst": "lijst gedownload",
    "inzage-huishouden": "huishouden bekeken",
    "registratie-contactpoging": "contactpoging vastgelegd",
    "registratie-eindresultaat": "eindresultaat vastgelegd",
    "heridentificatie-handmatig": "heridentificatie door privacyfunctionaris",
    # Written by the portal before re-identification went through governance.reidentification
    # (kept so older lines are still shown).
    "heridentificatie-privacy": "heridentificatie door privacyfunctionaris",
    "toegang-geweigerd": "toegang geweigerd",
}

#: Everything the "Wie zag wat" page shows: list access, and account changes (an administrator
#: who makes a coordinator account can read that team's list through it).
ACCESS_ACTIONS = {**PORTAL_ACTIONS, **ACCOUNT_ACTIONS}

PSEUDONYM = re.compile(r"^k\d{1,4}_[0-9a-f]{16,128}$")

#: Most lines decrypted when filtering on a household (subject ids are encrypted with a random
#: nonce, so the filter cannot run in SQL); narrow the period to search beyond this.
SUBJECT_SCAN_LIMIT = 50_000


@dataclass
class AuditFilter:
    van: dt.date | None = None
    tot: dt.date | None = None
    stap: str = ""
    gebruiker: str = ""
    wijkteam: str = ""
    huishouden: str = ""
    alleen_fouten: bool = False
    pagina: int = 1

    def query_string(self, **changes) -> str:
        from urllib.parse import urlencode

        values = {
            "van": self.van.isoformat() if self.van else "",
            "tot": self.tot.isoformat() if self.tot else "",
            "stap": self.stap, "gebruiker": self.gebruiker, "wijkteam": self.wijkteam,
            "huishouden": self.huishouden, "alleen_fouten": "1" if self.alleen_fouten else "",
            "pagina": str(self.pagina),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return urlencode({k: v for k, v in values.items() if v})


@dataclass
class AuditRow:
    line: AuditLine
    pseudonym: str | None
    other: dict = field(default_factory=dict)


@dataclass
class AuditPage:
    rows: list[AuditRow]
    more: bool
    scan_limited: bool = False


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _base_query(gemeente: str, f: AuditFilter):
    query = select(AuditLine).where(AuditLine.gemeente == gemeente)
    if f.van:
        query = query.where(AuditLine.start_time >= _day_start(f.van))
    if f.tot:
        query = query.where(AuditLine.start_time < _day_start(f.tot + dt.timedelta(days=1)))
    if f.stap:
        query = query.where(AuditLine.name == f.stap)
    if f.gebruiker:
        query = query.where(AuditLine.attributes["gebruiker"].as_string() == f.gebruiker)
    if f.wijkteam:
        query = query.where(AuditLine.attributes["wijkteam"].as_string() == f.wijkteam)
    if f.alleen_fouten:
        query = query.where(AuditLine.status_code == 2)
    return query


def _subject(audit: Audit, line: AuditLine) -> str | None:
    if not line.data_subject_id:
        return None
    try:
        return audit.decrypt_subject(line.data_subject_id)
    except Exception:
        return "(niet te ontsleutelen)"


def audit_page(database_url: str, gemeente: str, audit: Audit, f: AuditFilter,
               page_size: int = 100) -> AuditPage:
    query = _base_query(gemeente, f).order_by(AuditLine.id.desc())
    offset = (max(f.pagina, 1) - 1) * page_size
    rows: list[AuditRow] = []
    with db.session(database_url) as s:
        if not f.huishouden:
            lines = s.scalars(query.offset(offset).limit(page_size + 1)).all()
            rows = [AuditRow(line, _subject(audit, line)) for line in lines]
            more = len(rows) > page_size
            return AuditPage(rows[:page_size], more)
        # Filtering on a household: decrypt subject ids, newest first, up to a limit.
        scanned = 0
        matched = 0
        limited = False
        for line in s.scalars(query.where(AuditLine.data_subject_id.is_not(None))
                              .execution_options(yield_per=1000)):
            scanned += 1
            if scanned > SUBJECT_SCAN_LIMIT:
                limited = True
                break
            if _subject(audit, line) != f.huishouden:
                continue
            matched += 1
            if matched <= offset:
                continue
            rows.append(AuditRow(line, f.huishouden))
            if len(rows) > page_size:
                break
        return AuditPage(rows[:page_size], len(rows) > page_size, limited)


def step_names(database_url: str, gemeente: str) -> list[str]:
    with db.session(database_url) as s:
        return sorted(s.scalars(select(AuditLine.name).distinct()
                                .where(AuditLine.gemeente == gemeente)).all())


@dataclass(frozen=True)
class AccessEvent:
    """One view, print, download or recording of a list or household, by one user."""

    moment: dt.datetime
    gebruiker: str
    actie: str
    wijkteam: str
    periode: str
    publicatie: str
    huishoudens: int
    detail: str
    status_code: int


def access_events(database_url: str, gemeente: str, *, van: dt.date | None = None,
                  tot: dt.date | None = None, gebruiker: str = "", wijkteam: str = "",
                  limit: int = 500) -> list[AccessEvent]:
    f = AuditFilter(van=van, tot=tot, gebruiker=gebruiker, wijkteam=wijkteam)
    query = (_base_query(gemeente, f)
             .where(AuditLine.name.in_(ACCESS_ACTIONS), AuditLine.data_subject_id.is_(None))
             .order_by(AuditLine.id.desc()).limit(limit))
    events = []
    with db.session(database_url) as s:
        for line in s.scalars(query):
            a = line.attributes or {}
            detail = a.get("formaat") or a.get("weergave") or a.get("reden") or ""
            if line.name == "toegang-geweigerd":
                detail = f"{a.get('reden', '')}: {a.get('pad', '')}"
            if line.name in ACCOUNT_ACTIONS:
                detail = _account_detail(a)
            events.append(AccessEvent(
                moment=line.start_time, gebruiker=str(a.get("gebruiker", "")),
                actie=ACCESS_ACTIONS.get(line.name, line.name),
                wijkteam=str(a.get("wijkteam") or a.get("gevraagd_wijkteam") or ""),
                periode=str(a.get("periode", "")), publicatie=str(a.get("publicatie", "")),
                huishoudens=int(a.get("huishoudens", 0) or 0), detail=str(detail),
                status_code=line.status_code))
    return events


def _account_detail(a: dict) -> str:
    """"account j.devries (coördinator wijkteam; wijkteams wt-centrum), via portal"."""
    roles = ", ".join(ROLES.get(r, str(r)) for r in a.get("rollen") or []) or "geen rol"
    teams = ", ".join(str(t) for t in a.get("wijkteams") or [])
    return (f"account {a.get('account', '')} ({roles}{'; wijkteams ' + teams if teams else ''})"
            f", via {'vroeg users' if a.get('via') == 'cli' else 'portal'}")


@dataclass(frozen=True)
class TrailCut:
    """The audit trail was shortened by retention: lines recorded before `voor` are gone."""

    voor: dt.datetime
    op: dt.datetime
    verwijderd: int


def trail_cut(database_url: str, gemeente: str) -> TrailCut | None:
    """The newest retention cut of the trail (and how many lines all cuts removed), so the pages
    built from the trail can say from when on they are complete."""
    with db.session(database_url) as s:
        cuts = s.scalars(select(AuditCut).where(AuditCut.gemeente == gemeente)
                         .order_by(AuditCut.id)).all()
        if not cuts:
            return None
        return TrailCut(cuts[-1].before, cuts[-1].cut_at, sum(c.removed for c in cuts))
