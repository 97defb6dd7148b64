"""Ingestion flow: receive -> read -> validate -> pseudonymise -> load, for each delivery.

Tasks pass frames to each other in memory only: results are not persisted and not cached
(`NO_CACHE`), so no personal data reaches Prefect's database or result storage. Parameters are
paths, ids and codes. Bad data is not a failure: it ends as a quarantined row or a refused file,
and the flow carries on with the next delivery; only defects fail the flow.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.progress import progress
from prefect.runtime import flow_run

import connectors
from connectors.mapping import map_to_standard
from privacy import archive
from privacy.audit import frame_sha256
from privacy.pseudonymise import pseudonymise
from privacy.trail import LOAD_SQL, sql_hashes
from quality.suite import SUITE_VERSION
from quality.validate import ValidationOutcome, validate
from scoring import warehouse
from scoring.load import LoadCounts, load_signals
from vroeg import deliveries
from vroeg import signal_counts
from vroeg.config import STANDARD_PARTNER_ID, Partner, standard_partner
from vroeg.context import Context, context
from vroeg.deliveries import Received
from vroeg.errors import DeliveryError
from vroeg.safety import scrubbed

TASK = {"persist_result": False, "cache_policy": NO_CACHE}

#: Larger files are refused before being read into memory (a year of national signals in the
#: standard format is about 250 MB).
MAX_DELIVERY_BYTES = 1024 * 1024 * 1024


def partner_for(ctx: Context, partner_id: str | None) -> Partner:
    if partner_id in (None, STANDARD_PARTNER_ID):
        return standard_partner()
    return ctx.municipality.partner(partner_id)


@task(name="ontvangen", **TASK)
def receive_task(gemeente: str, path: str, partner_id: str | None, trace_id: str) -> Received:
    ctx = context(gemeente)
    partner = partner_for(ctx, partner_id)
    source = Path(path)
    with scrubbed("ontvangen"), ctx.audit.operation("ontvangst", trace_id, partner=partner.id,
                                                    sleutelversie=ctx.keys.version) as op:
        size = source.stat().st_size
        if size > MAX_DELIVERY_BYTES:
            raise DeliveryError(
                f"{deliveries.safe_filename(path)}: het bestand is {size // 2**20} MB; het maximum "
                f"is {MAX_DELIVERY_BYTES // 2**20} MB. Lever het in delen aan.", "BESTAND_TE_GROOT")
        received = deliveries.receive(ctx, source.read_bytes(), source.name, partner.id,
                                      flow_run.get_id())
        op.attributes.update(levering=received.delivery_id, sha256=received.sha256,
                             bytes=received.size_bytes, dubbel=received.is_duplicate,
                             uitvoer_sha256=received.sha256)
    return received


@task(name="inlezen", **TASK)
def read_task(gemeente: str, received: Received, trace_id: str) -> tuple[pl.DataFrame, list[str]] | None:
    """Read the archived bytes (exactly what was hashed) into typed standard columns."""
    ctx = context(gemeente)
    partner = partner_for(ctx, received.partner_id)
    with scrubbed("inlezen"), ctx.audit.operation("inlezen", trace_id,
                                                   levering=received.delivery_id) as op:
        data = archive.load(archive.archive_path(ctx.home.archive_dir(gemeente), received.sha256),
                            ctx.keys)
        rows = 0
        try:
            table = connectors.read_table(data, received.filename, partner)
            rows = table.rows
            mapped = map_to_standard(table, partner, received.filename, ctx.municipality.partners)
        except DeliveryError as error:
            # Refused whole: every row it has (if any could be counted) is quarantined with it.
            deliveries.record_error(ctx, received.delivery_id, error, rows_read=rows)
            op.attributes.update(fout=error.code, rijen=rows)
            progress().warning("%s", error.message)
            return None
        parsed = connectors.parse(mapped, ctx.municipality)
        op.attributes.update(rijen=parsed.height, genegeerde_kolommen=len(mapped.ignored_columns),
                             invoer_sha256=received.sha256, uitvoer_sha256=frame_sha256(parsed))
    notes = list(mapped.notes)
    if mapped.ignored_columns:
        notes.append("kolommen genegeerd: " + ", ".join(mapped.ignored_columns))
    return parsed, notes


@task(name="valideren", **TASK)
def validate_task(gemeente: str, received: Received, parsed: pl.DataFrame, notes: list[str],
                  trace_id: str, today: str | None = None) -> ValidationOutcome:
    import datetime as dt
    from zoneinfo import ZoneInfo

    ctx = context(gemeente)
    day = dt.date.fromisoformat(today) if today else dt.datetime.now(
        ZoneInfo(ctx.municipality.timezone)).date()
    with scrubbed("valideren"), ctx.audit.operation("validatie", trace_id,
                                                     levering=received.delivery_id) as op:
        outcome = validate(parsed, ctx.municipality, received.filename, day)
        deliveries.record_validation(ctx, received.delivery_id, outcome, notes)
        op.attributes.update(rijen=outcome.rows, quarantaine=outcome.quarantined_rows,
                             afgekeurd=outcome.rejected, regelversie=SUITE_VERSION,
                             invoer_sha256=frame_sha256(parsed),
                             uitvoer_sha256=frame_sha256(outcome.clean))
    if outcome.rejected:
        progress().warning("%s", outcome.entries[0].message)
    return outcome


@task(name="pseudonimiseren", **TASK)
def pseudonymise_task(gemeente: str, received: Received, clean: pl.DataFrame,
                      trace_id: str) -> pl.DataFrame:
    """Identities into the vault, facts (pseudonyms only) returned for the warehouse."""
    ctx = context(gemeente)
    with scrubbed("pseudonimiseren"), ctx.audit.operation(
            "pseudonimisering", trace_id, levering=received.delivery_id,
            sleutelversie=ctx.keys.version) as op:
        result = pseudonymise(clean, ctx.keys)
        stored = ctx.vault.store(result.identities)
        op.attributes.update(rijen=clean.height, kluis=stored, invoer_sha256=frame_sha256(clean),
                             uitvoer_sha256=frame_sha256(result.facts))
    return result.facts


@task(name="laden", **TASK)
def load_task(gemeente: str, received: Received, facts: pl.DataFrame, trace_id: str) -> LoadCounts:
    ctx = context(gemeente)
    with scrubbed("laden"), ctx.audit.operation("laden", trace_id,
                                                 levering=received.delivery_id,
                                                 sql=sql_hashes(LOAD_SQL)) as op:
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            counts = load_signals(con, facts, received.delivery_id)
            signal_counts.refresh(ctx, con)  # the portal's charts read these, not the warehouse
        deliveries.finish(ctx, received.delivery_id, counts)
        op.attributes.update(nieuw=counts.inserted, bijgewerkt=counts.updated,
                             dubbel=counts.duplicates, invoer_sha256=frame_sha256(facts))
    return counts


def ingest_one(gemeente: str, path: str, partner_id: str | None, today: str | None = None) -> dict:
    """One delivery through every step; returns its summary (counts, no personal data)."""
    from privacy.audit import new_trace_id

    logger = progress()
    trace_id = new_trace_id()
    try:
        received = receive_task(gemeente, path, partner_id, trace_id)
    except DeliveryError as error:
        # Refused before it was read (too large): nothing registered, the file stays where it is.
        logger.warning("%s", error.message)
        return {"bestand": deliveries.safe_filename(path), "partner": partner_id,
                "status": "geweigerd", "melding": error.message, "rijen_gelezen": 0,
                "rijen_geladen": 0, "rijen_quarantaine": 0, "rijen_dubbel": 0, "klopt": True}
    ctx = context(gemeente)
    if received.is_duplicate:
        logger.info("%s: al eerder aangeleverd (levering %s); niets geladen.", received.filename,
                    received.duplicate_of)
        return deliveries.summary(ctx, received.delivery_id)
    try:
        read = read_task(gemeente, received, trace_id)
        if read is not None:
            parsed, notes = read
            outcome = validate_task(gemeente, received, parsed, notes, trace_id, today)
            if not outcome.rejected:
                facts = pseudonymise_task(gemeente, received, outcome.clean, trace_id)
                load_task(gemeente, received, facts, trace_id)
    except BaseException as exc:
        deliveries.mark_failed(ctx, received.delivery_id, str(exc)[:500])
        raise
    result = deliveries.summary(ctx, received.delivery_id)
    logger.info(
        "%s: %d gelezen, %d geladen, %d in quarantaine, %d dubbel (%s).", result["bestand"],
        result["rijen_gelezen"], result["rijen_geladen"], result["rijen_quarantaine"],
        result["rijen_dubbel"], result["status"])
    return result


@flow(name="inlezen-leveringen", persist_result=False)
def ingest_flow(gemeente: str, paths: list[str], partner_id: str | None = None,
                today: str | None = None) -> list[dict]:
    """Ingest files of one partner (or standard-format files when partner_id is None)."""
    context(gemeente)  # refuse to start without a usable key (missing, unsafe, mid-rotation)
    return [ingest_one(gemeente, path, partner_id, today) for path in paths]
