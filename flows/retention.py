"""Retention as a Prefect flow: one task per store, each recording what it destroyed, by count.

Scheduled nightly by the operations work (issue 7); run by hand with `vroeg retention`. The terms
come from the municipality's configuration; the moment they are measured from is fixed when the
flow starts, so lines this run writes to the audit trail are never cut by the same run.
Parameters: the municipality code and the dry-run flag only.
"""

from __future__ import annotations

import datetime as dt

from flows.progress import progress
from flows.runner import flow, step
from governance import retention, retention_run
from governance.retention import LABELS
from privacy.audit import new_trace_id
from privacy.context import context
from vroeg.safety import scrubbed


@step("bewaartermijn")
def store_task(gemeente: str, store: str, now: str, dry_run: bool, trace_id: str) -> dict:
    ctx = context(gemeente)
    terms = ctx.municipality.privacy.retention_days
    cut = retention.Cutoffs.at(terms, dt.datetime.fromisoformat(now))
    attributes = {"opslag": store, "proef": dry_run, "peilmoment": now,
                  "termijn_dagen": retention.term_days(terms, store)}
    with scrubbed(f"bewaartermijn-{store}"), ctx.audit.operation(
            "bewaartermijn", trace_id, **attributes) as op:
        # Stores that destroy someone's data write one line per data subject under this one.
        counts = retention_run.apply(ctx, store, cut, dry_run=dry_run, trace_id=trace_id,
                                     parent=op.operation_id)
        op.attributes.update(counts)
    return counts


@flow("bewaartermijnen")
def retention_flow(gemeente: str, dry_run: bool = False) -> dict:
    """Destroy (or with dry_run: count) everything past its retention term, store by store."""
    ctx = context(gemeente)
    ctx.keys  # noqa: B018 - refuse to start without a usable key
    now = dt.datetime.now(dt.UTC).isoformat()
    trace_id = new_trace_id()
    logger = progress()
    result = {"gemeente": gemeente, "proef": dry_run, "peilmoment": now,
              "termijnen_dagen": ctx.municipality.privacy.retention_days.model_dump(),
              "opslagen": {}}
    for store in retention.STORES:
        counts = store_task(gemeente, store, now, dry_run, trace_id)
        result["opslagen"][store] = counts
        logger.info("%s %s: %s.", "Zou vernietigen" if dry_run else "Vernietigd", LABELS[store],
                    ", ".join(f"{k} {v}" for k, v in counts.items()))
    return result
