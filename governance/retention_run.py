"""A retention run over every store, the warehouse's signals included, and what one would destroy
now (`status`).

The stores, their terms and finders are in governance/retention.py; the signals store is here
because it opens the warehouse, which the portal never does (docs/design.md, "The portal"):

    signals      warehouse signals, their history and household scores, and their vault records;
                 one audit line per data subject whose records were destroyed

The flow (flows/retention.py) calls `apply` per store, in the order of `retention.STORES`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
from sqlalchemy import select

from governance import retention
from governance.retention import STORES, Cutoffs, StoreStatus, _aware
from privacy.audit import new_trace_id
from privacy.context import Context
from privacy.vault import subject_token
from scoring import warehouse
from sql import sql
from vroeg.opsdb import db
from vroeg.opsdb.models import Run
from vroeg.opsdb.statuses import RunStatus


def _runs(ctx: Context, cut: Cutoffs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(published runs, runs whose scores are past their term)."""
    with db.session(ctx.database_url) as s:
        runs = s.execute(select(Run.id, Run.status, Run.started_at)
                         .where(Run.gemeente == ctx.gemeente)).all()
    published = [r for r, status, _ in runs if status == RunStatus.GEPUBLICEERD]
    expired = [
        r for r, status, started in runs
        if _aware(started) < (cut.published_lists if status == RunStatus.GEPUBLICEERD
                              else cut.unpublished_signals)
    ]
    return (pl.DataFrame({"run_id": published}, schema={"run_id": pl.String}),
            pl.DataFrame({"run_id": expired}, schema={"run_id": pl.String}))


def signals(ctx: Context, cut: Cutoffs, *, dry_run: bool, trace_id: str | None = None,
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
                    con.execute(sql("privacy/delete_brp_facts"))
                    con.execute(sql("privacy/delete_signals"))
                    scores = con.execute(sql("privacy/retention_delete_scores")).fetchone()[0]
                    con.execute(sql("privacy/retention_delete_brp_facts"))
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
        ctx.audit.subjects("verwijdering", trace_id or new_trace_id(), parent, subjects,
                           reden="bewaartermijn", opslagen=["pakhuis", "kluis"])
    return {
        "signalen": len(due),
        "signaalwijzigingen": int(updates),
        "huishoudscores": int(scores),
        "kluisrecords": deleted,
        "huishoudens": due["huishouden_pseudoniem"].n_unique(),
        "betrokkenen": len(subjects),
    }


_DESTROYERS = {"archive": retention.archive, "quarantine": retention.quarantine,
               "lists": retention.lists, "signals": signals, "cases": retention.cases,
               "audit": retention.audit}


def apply(ctx: Context, store: str, cut: Cutoffs, *, dry_run: bool, trace_id: str | None = None,
          parent: str | None = None) -> dict:
    """Destroy (or with dry_run: count) what one store holds past its term."""
    if store not in STORES:
        raise ValueError(f"unknown store {store!r}")
    return _DESTROYERS[store](ctx, cut, dry_run=dry_run, trace_id=trace_id, parent=parent)


def status(ctx: Context, *, now: dt.datetime | None = None) -> list[StoreStatus]:
    """`retention.status` with the signals store counted too: what a run at this moment would
    destroy in every store, through the stores' own finders. Destroys nothing, logs nothing."""
    now = now or dt.datetime.now(dt.UTC)
    cut = Cutoffs.at(ctx.municipality.privacy.retention_days, now)
    return [dataclasses.replace(s, te_vernietigen=signals(ctx, cut, dry_run=True))
            if s.opslag == "signals" else s for s in retention.status(ctx, now=now)]
