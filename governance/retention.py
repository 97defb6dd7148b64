"""Retention: destroy what is past its term, in every store, and say how much (never what).

Terms are per municipality (`privacy.retention_days` in gemeente.yaml, vroeg/config/privacy.py).
Each store has a function that finds what is due and, unless `dry_run`, destroys it and returns
counts:

    archive      encrypted originals (a file with quarantined rows is kept for the quarantine
                 term too, so those rows can still be looked up and fixed)
    quarantine   quarantine records (row, column, reason; never values)
    lists        visit lists in the outbox (CSV and XLSX), and with them which household stood
                 on which line (publication_households); one audit line per household
    signals      warehouse signals, their history and household scores, and their vault records;
                 one audit line per data subject whose records were destroyed
    cases        cases and their contact attempts (the portal), from closing the case (an open
                 case from its last activity); one audit line per household
    audit        lines of the audit trail itself, through a sealed cut of the hash chain

The flow (flows/retention.py) runs them in this order through governance/retention_run.py and
writes one bulk audit line per store. Vault and operational-database rows are deleted with
SQLite's secure_delete on, so they do not linger in free pages.

This module holds everything but the signals store, which opens the warehouse
(governance/retention_run.py): the portal shows retention status from here and never loads DuckDB
(docs/design.md, "The portal"). `status` answers "what is due now, and what is the oldest item"
per store for the privacy officer, through the same finders the stores use, without destroying or
logging anything; `retention_run.status` adds what is due in the warehouse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select

from governance.subject import list_files
from privacy import chain
from privacy.audit import new_trace_id
from privacy.context import Context
from vroeg.config.privacy import RetentionDays
from vroeg.opsdb import db
from vroeg.opsdb.cases import delete_cases
from vroeg.opsdb.models import (
    AuditLine,
    Case,
    Delivery,
    Publication,
    PublicationHousehold,
    QuarantineRecord,
)

STORES = ("archive", "quarantine", "lists", "signals", "cases", "audit")

#: How each store is named to a privacy officer.
LABELS = {
    "archive": "archief (originele leveringen)",
    "quarantine": "quarantaine",
    "lists": "bezoeklijsten (outbox)",
    "signals": "signalen (pakhuis en kluis)",
    "cases": "zaken en contactpogingen",
    "audit": "logboek",
}


def term_days(terms: RetentionDays, store: str) -> int | dict[str, int]:
    """The term (days) that applies to a store; the signals store has two."""
    if store == "signals":
        return {"niet_gepubliceerd": terms.unpublished_signals,
                "gepubliceerd": terms.published_lists}
    return {"archive": terms.deliveries, "quarantine": terms.quarantine,
            "lists": terms.published_lists, "cases": terms.cases,
            "audit": terms.audit_trail}[store]


@dataclass(frozen=True)
class Cutoffs:
    """Everything recorded before these moments is past its term."""

    now: dt.datetime
    deliveries: dt.datetime
    quarantine: dt.datetime
    unpublished_signals: dt.datetime
    published_lists: dt.datetime
    cases: dt.datetime
    audit_trail: dt.datetime

    @classmethod
    def at(cls, terms: RetentionDays, now: dt.datetime | None = None) -> Cutoffs:
        now = now or dt.datetime.now(dt.UTC)
        return cls(now=now, **{name: now - dt.timedelta(days=days)
                               for name, days in terms.model_dump().items()})


@dataclass
class Due:
    """What a store holds past its term (`counts`, as recorded), the oldest item the store holds
    at all (`oldest`, None when it is empty) and, for the store's own use, what to destroy."""

    counts: dict
    oldest: dt.datetime | None
    items: object = None


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive UTC back; PostgreSQL gives aware datetimes."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def _oldest(moments) -> dt.datetime | None:
    found = [_aware(m) for m in moments if m is not None]
    return min(found) if found else None


# ------------------------------------------------------------------------------------------------
# Archive and quarantine
# ------------------------------------------------------------------------------------------------


def _archive_due(ctx: Context, cut: Cutoffs) -> Due:
    root = ctx.home.archive_dir(ctx.gemeente)
    with db.session(ctx.database_url) as s:
        rows = s.execute(select(Delivery.id, Delivery.sha256, Delivery.received_at,
                                Delivery.rows_quarantined)
                         .where(Delivery.gemeente == ctx.gemeente)).all()
    newest: dict[str, dt.datetime] = {}
    quarantined: set[str] = set()
    for _id, digest, received, bad in rows:
        received = _aware(received)
        newest[digest] = max(newest.get(digest, received), received)
        if bad:
            quarantined.add(digest)

    def received(path: Path) -> dt.datetime:
        return newest.get(path.stem) or _mtime(path)  # a file no delivery refers to: its age

    def due(path: Path) -> bool:
        if received(path) >= cut.deliveries:
            return False
        return path.stem not in quarantined or received(path) < cut.quarantine

    files = sorted(root.rglob("*.bin")) if root.is_dir() else []
    doomed = [p for p in files if due(p)]
    size = sum(p.stat().st_size for p in doomed)
    return Due({"archiefbestanden": len(doomed), "bytes": size},
               _oldest(received(p) for p in files), doomed)


def archive(ctx: Context, cut: Cutoffs, *, dry_run: bool, trace_id: str | None = None,
            parent: str | None = None) -> dict:
    found = _archive_due(ctx, cut)
    if not dry_run:
        doomed = found.items
        for path in doomed:
            path.unlink()
        digests = {p.stem for p in doomed}
        stamp = cut.now.date().isoformat()
        with db.session(ctx.database_url) as s:
            for d in s.scalars(select(Delivery).where(Delivery.gemeente == ctx.gemeente,
                                                      Delivery.sha256.in_(digests))):
                d.archive_path = None
                d.notes = [*(d.notes or []), f"origineel vernietigd op {stamp}: bewaartermijn"]
    return found.counts


def _quarantine_due(ctx: Context, cut: Cutoffs) -> Due:
    with db.session(ctx.database_url) as s:
        expired = select(Delivery.id).where(Delivery.gemeente == ctx.gemeente,
                                            Delivery.received_at < cut.quarantine)
        records = s.scalars(select(QuarantineRecord.id)
                            .where(QuarantineRecord.delivery_id.in_(expired))).all()
        oldest = s.scalar(select(func.min(Delivery.received_at))
                          .join(QuarantineRecord, QuarantineRecord.delivery_id == Delivery.id)
                          .where(Delivery.gemeente == ctx.gemeente))
    return Due({"quarantaineregels": len(records)}, _aware(oldest), records)


def quarantine(ctx: Context, cut: Cutoffs, *, dry_run: bool, trace_id: str | None = None,
               parent: str | None = None) -> dict:
    found = _quarantine_due(ctx, cut)
    if not dry_run and found.items:
        with db.session(ctx.database_url) as s:
            s.execute(delete(QuarantineRecord).where(QuarantineRecord.id.in_(found.items)))
    return found.counts


# ------------------------------------------------------------------------------------------------
# Visit lists, and which household stood on which line of them
# ------------------------------------------------------------------------------------------------


def _lists_due(ctx: Context, cut: Cutoffs) -> Due:
    root = ctx.home.outbox_dir(ctx.gemeente)
    with db.session(ctx.database_url) as s:
        published = s.scalars(select(Publication)
                              .where(Publication.gemeente == ctx.gemeente)).all()
        paired = set(s.scalars(select(PublicationHousehold.publication_id).distinct()).all())
    when: dict[Path, dt.datetime] = {}
    for publication in published:
        for path in list_files(ctx, publication):
            when[path] = _aware(publication.created_at)
    files = [p for p in sorted(root.rglob("*")) if p.is_file()] if root.is_dir() else []
    # A file without a publication record (or a leftover temporary file) ages from its mtime.
    doomed = [p for p in files if (when.get(p) or _mtime(p)) < cut.published_lists]
    # The households of a list are recorded (publication_households) for as long as the list
    # itself is there: once none of its files is left, its rows go too, so none dangles (also
    # for a list whose files went another way, by hand or before this was done here).
    left = set(files) - set(doomed)
    unpaired = sorted(p.id for p in published if p.id in paired
                      and not any(f in left for f in list_files(ctx, p)))
    with db.session(ctx.database_url) as s:
        pairs = s.execute(select(PublicationHousehold.publication_id,
                                 PublicationHousehold.huishouden_pseudoniem)
                          .where(PublicationHousehold.publication_id.in_(unpaired))).all()
    counts = {"lijstbestanden": len(doomed),
              "lijsten": len({p.with_suffix("") for p in doomed
                              if p.suffix in (".csv", ".xlsx")}),
              "lijsthuishoudens": len(pairs)}
    return Due(counts, _oldest(when.get(p) or _mtime(p) for p in files),
               (doomed, unpaired, sorted({h for _, h in pairs})))


def lists(ctx: Context, cut: Cutoffs, *, dry_run: bool, trace_id: str | None = None,
          parent: str | None = None) -> dict:
    found = _lists_due(ctx, cut)
    doomed, unpaired, households = found.items
    if not dry_run:
        for path in doomed:
            path.unlink()
        if unpaired:
            with db.session(ctx.database_url) as s:
                s.execute(delete(PublicationHousehold)
                          .where(PublicationHousehold.publication_id.in_(unpaired)))
        if households:
            # A destroyed list held these households' names and addresses: one line each.
            ctx.audit.subjects("verwijdering", trace_id or new_trace_id(), parent, households,
                               reden="bewaartermijn", opslagen=["outbox"])
    return found.counts


def _signals_oldest(ctx: Context) -> dt.datetime | None:
    """The oldest record of the store: the vault's (every warehouse signal has one, stored or
    refreshed at its last load), found without opening the warehouse."""
    return _oldest(r.opgeslagen for r in ctx.vault.all_index())


# ------------------------------------------------------------------------------------------------
# Cases (the portal) and the audit trail
# ------------------------------------------------------------------------------------------------


def case_moment(case: Case) -> dt.datetime:
    """From when a case's term counts: its closing (end result); for an open case, its last
    recorded activity (creation or a contact attempt), so an abandoned case does not stay."""
    if case.eindresultaat_op is not None:
        return _aware(case.eindresultaat_op)
    return max([_aware(case.created_at)]
               + [_aware(a.recorded_at) for a in case.contact_attempts if a.recorded_at])


def _cases_due(ctx: Context, cut: Cutoffs) -> Due:
    with db.session(ctx.database_url) as s:
        every = s.scalars(select(Case).where(Case.gemeente == ctx.gemeente)).all()
        moments = {c.id: case_moment(c) for c in every}
        doomed = [c for c in every if moments[c.id] < cut.cases]
        counts = {"zaken": len(doomed),
                  "contactpogingen": sum(len(c.contact_attempts) for c in doomed),
                  "huishoudens": len({c.huishouden_pseudoniem for c in doomed})}
        ids = [c.id for c in doomed]
        households = sorted({c.huishouden_pseudoniem for c in doomed})
    return Due(counts, _oldest(moments.values()), (ids, households))


def cases(ctx: Context, cut: Cutoffs, *, dry_run: bool, trace_id: str | None = None,
          parent: str | None = None) -> dict:
    found = _cases_due(ctx, cut)
    ids, households = found.items
    if not dry_run and ids:
        delete_cases(ctx.database_url, ids)
        # A case is about a household (keyed by its pseudonym): one line per household.
        ctx.audit.subjects("verwijdering", trace_id or new_trace_id(), parent, households,
                           reden="bewaartermijn", opslagen=["zaken"])
    return found.counts


def _audit_due(ctx: Context, cut: Cutoffs) -> Due:
    with db.session(ctx.database_url) as s:
        oldest = s.scalar(select(func.min(AuditLine.recorded_at))
                          .where(AuditLine.gemeente == ctx.gemeente))
    return Due({"auditregels": chain.due(ctx.database_url, ctx.gemeente, cut.audit_trail)},
               _aware(oldest))


def audit(ctx: Context, cut: Cutoffs, *, dry_run: bool, trace_id: str | None = None,
          parent: str | None = None) -> dict:
    if dry_run:
        return _audit_due(ctx, cut).counts
    result = chain.cut(ctx.database_url, ctx.keys, cut.audit_trail)
    return {"auditregels": result.removed}


# ------------------------------------------------------------------------------------------------
# Status for the privacy officer (the portal's Bewaartermijnen page)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreStatus:
    opslag: str
    naam: str
    termijn_dagen: int | dict[str, int]
    #: Counts of what is past its term now; None when not measured (the signals store without
    #: the warehouse: see `status`).
    te_vernietigen: dict | None
    #: The oldest item the store holds (None: the store is empty).
    oudste: dt.datetime | None
    #: The last retention run for this store, from its `bewaartermijn` audit line.
    laatste_run: dict | None


_FINDERS = {"archive": _archive_due, "quarantine": _quarantine_due, "lists": _lists_due,
            "cases": _cases_due, "audit": _audit_due}


def last_runs(ctx: Context, *, scan: int = 500) -> dict[str, dict]:
    """Per store, the newest `bewaartermijn` bulk line (a retention run or dry run): its moment,
    whether it was a dry run, its status and counts. Counts only; no subject is read."""
    with db.session(ctx.database_url) as s:
        lines = s.scalars(select(AuditLine)
                          .where(AuditLine.gemeente == ctx.gemeente,
                                 AuditLine.name == "bewaartermijn",
                                 AuditLine.data_subject_id.is_(None))
                          .order_by(AuditLine.id.desc()).limit(scan)).all()
    found: dict[str, dict] = {}
    for line in lines:
        attributes = dict(line.attributes or {})
        store = attributes.pop("opslag", None)
        if store not in STORES or store in found:
            continue
        found[store] = {
            "moment": _aware(line.end_time), "proef": bool(attributes.pop("proef", False)),
            "geslaagd": line.status_code == 1,
            "aantallen": {k: v for k, v in attributes.items()
                          if k not in ("peilmoment", "termijn_dagen")},
        }
    return found


def status(ctx: Context, *, now: dt.datetime | None = None) -> list[StoreStatus]:
    """Per store: its term, what is past it now (counts), the oldest item, the last run.

    Uses the stores' own finders (the dry-run path), so it counts exactly what a retention run at
    this moment would destroy. It destroys nothing and writes no audit line: it reads counts and
    moments, not anyone's data (the dry run through the flow, `vroeg retention --dry-run`, does
    write its `bewaartermijn` lines, marked `proef`). The signals store is not counted here (that
    opens the warehouse, which the portal never does: `retention_run.status` counts it); its
    oldest record comes from the vault and `laatste_run` says what the last run found.
    """
    terms = ctx.municipality.privacy.retention_days
    cut = Cutoffs.at(terms, now)
    runs = last_runs(ctx)
    out = []
    for store in STORES:
        if store == "signals":
            counts, oldest = None, _signals_oldest(ctx)
        else:
            found = _FINDERS[store](ctx, cut)
            counts, oldest = found.counts, found.oldest
        out.append(StoreStatus(store, LABELS[store], term_days(terms, store), counts, oldest,
                               runs.get(store)))
    return out
