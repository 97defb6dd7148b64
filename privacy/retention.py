"""Retention: destroy what is past its term, in every store, and say how much (never what).

Terms are per municipality (`privacy.retention_days` in gemeente.yaml, privacy/policy.py). Each
store has a function that finds what is due and, unless `dry_run`, destroys it and returns counts:

    archive      encrypted originals (a file with quarantined rows is kept for the quarantine
                 term too, so those rows can still be looked up and fixed)
    quarantine   quarantine records (row, column, reason; never values)
    lists        visit lists in the outbox (CSV and XLSX)
    signals      warehouse signals, their history and household scores, and their vault records;
                 one audit line per data subject whose records were destroyed
    cases        the term is configured; cases arrive with the portal (issue 6)
    audit        lines of the audit trail itself, through a sealed cut of the hash chain

The flow (flows/retention.py) runs them in this order and writes one bulk audit line per store.
Vault rows are deleted with SQLite's secure_delete on, so they do not linger in free pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import delete, select

from privacy import chain
from privacy.policy import RetentionDays
from privacy.subject import list_files
from privacy.vault import subject_token
from scoring import warehouse
from vroeg.context import Context
from vroeg.opsdb import db
from vroeg.opsdb.models import Delivery, Publication, QuarantineRecord, Run
from vroeg.sqlfiles import sql

STORES = ("archive", "quarantine", "lists", "signals", "cases", "audit")

#: How each store is named to a privacy officer.
LABELS = {
    "archive": "archief (originele leveringen)",
    "quarantine": "quarantaine",
    "lists": "bezoeklijsten (outbox)",
    "signals": "signalen (pakhuis en kluis)",
    "cases": "zaken",
    "audit": "logboek",
}


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


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive UTC back; PostgreSQL gives aware datetimes."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


# ------------------------------------------------------------------------------------------------
# Archive and quarantine
# ------------------------------------------------------------------------------------------------


def archive(ctx: Context, cut: Cutoffs, *, dry_run: bool) -> dict:
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

    def due(digest: str, path: Path) -> bool:
        received = newest.get(digest) or _mtime(path)  # a file no delivery refers to: its age
        if received >= cut.deliveries:
            return False
        return digest not in quarantined or received < cut.quarantine

    files = sorted(root.rglob("*.bin")) if root.is_dir() else []
    doomed = [p for p in files if due(p.stem, p)]
    size = sum(p.stat().st_size for p in doomed)
    if not dry_run:
        for path in doomed:
            path.unlink()
        digests = {p.stem for p in doomed}
        stamp = cut.now.date().isoformat()
        with db.session(ctx.database_url) as s:
            for d in s.scalars(select(Delivery).where(Delivery.gemeente == ctx.gemeente,
                                                      Delivery.sha256.in_(digests))):
                d.archive_path = None
                d.notes = [*(d.notes or []), f"origineel vernietigd op {stamp}: bewaartermijn"]
    return {"archiefbestanden": len(doomed), "bytes": size}


def quarantine(ctx: Context, cut: Cutoffs, *, dry_run: bool) -> dict:
    with db.session(ctx.database_url) as s:
        expired = select(Delivery.id).where(Delivery.gemeente == ctx.gemeente,
                                            Delivery.received_at < cut.quarantine)
        records = s.scalars(select(QuarantineRecord.id)
                            .where(QuarantineRecord.delivery_id.in_(expired))).all()
        if not dry_run and records:
            s.execute(delete(QuarantineRecord).where(QuarantineRecord.id.in_(records)))
    return {"quarantaineregels": len(records)}


# ------------------------------------------------------------------------------------------------
# Visit lists
# ------------------------------------------------------------------------------------------------


def lists(ctx: Context, cut: Cutoffs, *, dry_run: bool) -> dict:
    root = ctx.home.outbox_dir(ctx.gemeente)
    with db.session(ctx.database_url) as s:
        published = s.scalars(select(Publication)
                              .where(Publication.gemeente == ctx.gemeente)).all()
    when = {}
    for publication in published:
        for path in list_files(ctx, publication):
            when[path] = _aware(publication.created_at)
    files = [p for p in sorted(root.rglob("*")) if p.is_file()] if root.is_dir() else []
    # A file without a publication record (or a leftover temporary file) ages from its mtime.
    doomed = [p for p in files if (when.get(p) or _mtime(p)) < cut.published_lists]
    if not dry_run:
        for path in doomed:
            path.unlink()
    return {"lijstbestanden": len(doomed),
            "lijsten": len({p.with_suffix("") for p in doomed if p.suffix in (".csv", ".xlsx")})}


# ------------------------------------------------------------------------------------------------
# Signals: warehouse and vault
# ------------------------------------------------------------------------------------------------


def _runs(ctx: Context, cut: Cutoffs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(published runs, runs whose scores are past their term)."""
    with db.session(ctx.database_url) as s:
        runs = s.execute(select(Run.id, Run.status, Run.started_at)
                         .where(Run.gemeente == ctx.gemeente)).all()
    published = [r for r, status, _ in runs if status == "gepubliceerd"]
    expired = [
        r for r, status, started in runs
        if _aware(started) < (cut.published_lists if status == "gepubliceerd"
                              else cut.unpublished_signals)
    ]
    return (pl.DataFrame({"run_id": published}, schema={"run_id": pl.String}),
            pl.DataFrame({"run_id": expired}, schema={"run_id": pl.String}))


def signals(ctx: Context, cut: Cutoffs, *, dry_run: bool, trace_id: str,
            parent: str | None = None) -> dict:
    published, expired = _runs(ctx, cut)
    params = {"grens_gepubliceerd": cut.published_lists,
              "grens_niet_gepubliceerd": cut.unpublished_signals}
    with warehouse.connect(ctx.warehouse_path, write=not dry_run) as con:
        con.register("published_runs", published.to_arrow())
        con.register("expired_runs", expired.to_arrow())
        try:
            due = con.execute(sql("privacy/retention_signals_due"), params).pl()
            scores = con.execute(sql("privacy/retention_scores_due")).fetchone()[0]
            updates = 0
            if not dry_run:
                doomed = due.select("signaal_pseudoniem")
                with warehouse.transaction(con, doomed=doomed):
                    updates = con.execute(sql("privacy/delete_signal_updates")).fetchone()[0]
                    con.execute(sql("privacy/delete_signals"))
                    scores = con.execute(sql("privacy/retention_delete_scores")).fetchone()[0]
            remaining = {r for (r,) in con.execute(sql("privacy/warehouse_signal_ids")).fetchall()}
        finally:
            con.unregister("published_runs")
            con.unregister("expired_runs")
    if not dry_run and (len(due) or scores):
        # Deleted rows linger in DuckDB's free blocks; rewrite the file with live data only.
        warehouse.compact(ctx.warehouse_path)

    # Vault: the records of destroyed signals, and records whose signal never reached (or no
    # longer is in) the warehouse once they are past the shorter term.
    doomed_signals = set(due["signaal_pseudoniem"].to_list())
    index = ctx.vault.all_index()
    vault_doomed = [
        r for r in index
        if r.signaal in doomed_signals
        or (r.signaal not in remaining and _aware(r.opgeslagen) < cut.unpublished_signals)
    ]
    subjects = sorted({subject_token(r.persoon, r.huishouden) for r in vault_doomed})
    deleted = len(vault_doomed)
    if not dry_run and vault_doomed:
        deleted = ctx.vault.delete_signals(r.signaal for r in vault_doomed)
        # One line per data subject (person at an address) whose records were destroyed.
        ctx.audit.subjects("verwijdering", trace_id, parent, subjects, reden="bewaartermijn",
                           opslagen=["pakhuis", "kluis"])
    return {
        "signalen": len(due),
        "signaalwijzigingen": int(updates),
        "huishoudscores": int(scores),
        "kluisrecords": deleted,
        "huishoudens": due["huishouden_pseudoniem"].n_unique(),
        "betrokkenen": len(subjects),
    }


# ------------------------------------------------------------------------------------------------
# Cases and the audit trail
# ------------------------------------------------------------------------------------------------


def cases(ctx: Context, cut: Cutoffs, *, dry_run: bool) -> dict:
    # Cases and contact attempts are recorded by the portal (issue 6); until that table exists
    # there is nothing to destroy. The term is configured already and shown in the register.
    return {"zaken": 0}


def audit(ctx: Context, cut: Cutoffs, *, dry_run: bool) -> dict:
    if dry_run:
        return {"auditregels": chain.due(ctx.database_url, ctx.gemeente, cut.audit_trail)}
    result = chain.cut(ctx.database_url, ctx.keys, cut.audit_trail)
    return {"auditregels": result.removed}
