"""Channels that deliver by themselves: inbox folders and partners' database views.

Inbox files are claimed atomically by connectors.inbox (two scans never take one file) and
received (archived, registered) in the same step, so the rest of the flow knows them by delivery
id only: the names partners give their files may hold a resident's name, and stay out of Prefect
(no task parameter, no log line; the claim step's result lives in memory only). After
processing, the claimed copy is deleted: the original is kept encrypted in the archive, and a
plain copy of personal data has no reason to stay. A file refused before it could be archived
(too large, unreadable) is moved to geweigerd/. A file left in claimed/ was interrupted (the run
failed); move it back into the inbox to retry.

`vroeg collect` runs collect_flow: every inbox partner's folder, and every SQL partner's query.
"""

from __future__ import annotations

import os
from pathlib import Path

from connectors.inbox import CLAIMED, REFUSED, Claimed, claim, ensure_inbox, inbox_dir, waiting
from flows.ingest import STEPS, TASKS, Receipt, Steps, fetch_one, process, receive_file
from flows.progress import progress
from flows.runner import Step, flow
from privacy.context import context
from vroeg import notify
from vroeg.config import Partner
from vroeg.opsdb.statuses import FINAL, NotReceived

__all__ = ["CLAIMED", "REFUSED", "Claimed", "claim", "collect", "collect_flow", "ensure_inbox",
           "inbox_dir", "waiting"]


def claim_step(gemeente: str, partner_id: str) -> list[tuple[Claimed, Receipt | dict]]:
    """Claim every ready file of a partner's inbox and receive it at once: each with its receipt
    (ids, for the flow), or the summary of a file refused before it was received, which is moved
    to geweigerd/ here."""
    ctx = context(gemeente)
    partner = ctx.municipality.partner(partner_id)
    folder = ensure_inbox(ctx.home, gemeente, partner.id)
    taken = []
    for item in claim(folder, pattern=partner.inbox.pattern,
                      min_age_seconds=partner.inbox.min_age_seconds):
        outcome = receive_file(gemeente, item.path, partner.id, filename=item.filename,
                               channel="inbox")
        if not isinstance(outcome, Receipt):
            settle(item, outcome)
        taken.append((item, outcome))
    return taken


claim_task = Step(claim_step, "inbox-claimen")


def settle(claimed: Claimed, summary: dict) -> None:
    """After processing: delete the claimed copy (the archive has it), or keep what was refused."""
    path = Path(claimed.path)
    if summary["status"] in FINAL:
        path.unlink(missing_ok=True)
    elif summary["status"] == NotReceived.GEWEIGERD:
        # Nothing was archived (too large, unreadable): keep the file where the officer sees it.
        refused = path.parent.parent / REFUSED
        refused.mkdir(exist_ok=True)
        os.replace(path, refused / path.name)


def collecting_partners(gemeente: str, partner_id: str | None = None) -> list[Partner]:
    """Partners with a channel that delivers by itself (inbox, sql), or the one asked for."""
    municipality = context(gemeente).municipality
    if partner_id is not None:
        return [municipality.partner(partner_id)]
    return [p for p in municipality.partners.values() if p.channel in ("inbox", "sql")]


def collect(gemeente: str, partner_id: str | None = None, today: str | None = None, *,
            steps: Steps = STEPS, claim_fn=claim_step) -> list[dict]:
    """Every inbox file and every database view of the municipality's partners, once."""
    logger = progress()
    results: list[dict] = []
    for partner in collecting_partners(gemeente, partner_id):
        if partner.channel == "sql":
            results.append(fetch_one(gemeente, partner.id, today, steps=steps))
            continue
        taken = claim_fn(gemeente, partner.id)
        if not taken:
            logger.info("%s: geen nieuwe bestanden in de inbox.", partner.id)
        for item, outcome in taken:
            if isinstance(outcome, Receipt):
                summary = process(gemeente, outcome, today, steps)
                settle(item, summary)
            else:
                # Its message names the file: the CLI's table and the portal show it, not the log.
                logger.warning("%s: een bestand is geweigerd voordat het werd ontvangen (%s); "
                               "het staat in %s/.", partner.id, outcome["foutcode"], REFUSED)
                summary = outcome
            results.append(summary)
    return results


@flow("leveringen-ophalen")
def collect_flow(gemeente: str, partner_id: str | None = None,
                 today: str | None = None) -> list[dict]:
    """Ingest what the partners' inbox folders hold and what their database views return;
    notify the data officer of refused deliveries and of partners that are overdue."""
    results = collect(gemeente, partner_id, today, steps=TASKS, claim_fn=claim_task)
    ctx = context(gemeente)
    notify.notify_deliveries(ctx.database_url, ctx.municipality, results)
    if partner_id is None:
        overdue = notify.notify_overdue(ctx.database_url, ctx.municipality)
        if overdue:
            progress().warning("%d partner(s) leveren niet op tijd; de gegevensfunctionaris is "
                               "gewaarschuwd.", overdue)
    return results
