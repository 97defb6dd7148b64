"""Ingestion: receive, then read -> validate -> pseudonymise -> load, for each delivery.

A file is received (archived, registered) before its flow starts and outside Prefect
(`receive_file`, called by `ingest`, the CLI and the inbox claim): the name a partner gave a
file may hold a resident's name, and Prefect's database keeps flow parameters and log lines. The
flow is given receipts (delivery id and trace id); its tasks take delivery ids and look the
delivery up in the registry; its log lines name a delivery by the start of its id. The file name
stays in the operational database, which the data officer's pages and `vroeg quarantine` show.

Each step is a plain function of codes, ids and frames (`*_step`), so it can run bare (tests, the
benchmark); the flow runs the same functions as steps (`*_task`: Prefect tasks when the flow runs
through Prefect, retried plain calls when it runs directly, flows.runner). Steps pass frames to
each other in memory only: results are not persisted and not cached (`NO_CACHE`), so
no personal data reaches Prefect's database or result storage. Bad data is not a failure: it
ends as a quarantined row or a refused file, and the flow carries on with the next delivery;
only defects fail the flow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

import connectors
from connectors.mapping import configured_columns, map_to_standard
from connectors.sql_source import SourceUnavailable, query_partner, source_name
from flows.crisis import crisis_step, crisis_task
from flows.progress import progress
from flows.runner import Step, current_run_id, flow
from privacy import archive
from privacy.audit import frame_sha256, new_trace_id
from privacy.context import Context, context
from privacy.pseudonymise import pseudonymise
from quality.suite import SUITE_VERSION
from quality.validate import ValidationOutcome, validate
from scoring import warehouse
from scoring.load import LOAD_SQL, LoadCounts, adopt_load, load_signals, month_counts
from sql import sql_hashes
from vroeg import notify
from vroeg.config import STANDARD_PARTNER_ID, ConfigError, Partner, standard_partner
from vroeg.errors import DeliveryError
from vroeg.files import safe_filename
from vroeg.formats import day_or_today
from vroeg.opsdb import deliveries, signal_counts
from vroeg.opsdb.deliveries import Received
from vroeg.opsdb.statuses import DeliveryStatus, NotReceived
from vroeg.safety import scrubbed

#: Larger files are refused before being read into memory (a year of national signals in the
#: standard format is about 250 MB).
MAX_DELIVERY_BYTES = 1024 * 1024 * 1024

def receive_bytes(ctx: Context, data: bytes, filename: str, partner_id: str,
                  flow_run_id: str | None = None, channel: str = "bestand") -> Received:
    """Archive the original bytes (encrypted, named by SHA-256), then register the delivery."""
    digest, path = archive.store(ctx.home.archive_dir(ctx.gemeente), data, ctx.keys)
    return deliveries.receive(ctx.database_url, ctx.gemeente, sha256=digest, archive_path=path,
                              size_bytes=len(data), filename=filename, partner_id=partner_id,
                              flow_run_id=flow_run_id, channel=channel)


def partner_for(ctx: Context, partner_id: str | None) -> Partner:
    if partner_id in (None, STANDARD_PARTNER_ID):
        return standard_partner()
    return ctx.municipality.partner(partner_id)


def today_for(ctx: Context, today: str | None) -> dt.date:
    return day_or_today(today, ctx.municipality.timezone)


# ----------------------------------------------------------------------------------------------
# Steps
# ----------------------------------------------------------------------------------------------


def label(delivery_id: str) -> str:
    """How log lines and notifications name a delivery: by its id's first characters (enough for
    `vroeg quarantine`), never by the partner's file name."""
    return f"levering {delivery_id[:8]}"


def receive_step(gemeente: str, path: str, partner_id: str | None, trace_id: str,
                 filename: str | None = None, channel: str = "bestand") -> Received:
    """Archive a file's bytes and register the delivery. `filename` is the name to show (for a
    claimed inbox file, the name the partner gave it); it never becomes a path. Runs before the
    flow, never as a task (see the module's docstring)."""
    ctx = context(gemeente)
    partner = partner_for(ctx, partner_id)
    source = Path(path)
    name = filename or source.name
    with scrubbed("ontvangen"), ctx.audit.operation("ontvangst", trace_id, partner=partner.id,
                                                     kanaal=channel,
                                                     sleutelversie=ctx.keys.version) as op:
        try:
            size = source.stat().st_size
            if size > MAX_DELIVERY_BYTES:
                raise DeliveryError(
                    f"{safe_filename(name)}: het bestand is {size // 2**20} MB; het "
                    f"maximum is {MAX_DELIVERY_BYTES // 2**20} MB. Lever het in delen aan.",
                    "BESTAND_TE_GROOT")
            data = source.read_bytes()
        except OSError as exc:
            raise DeliveryError(
                f"{safe_filename(name)}: het bestand kan niet worden gelezen "
                f"({type(exc).__name__}).", "BESTAND_NIET_LEESBAAR") from None
        received = receive_bytes(ctx, data, name, partner.id, None, channel)
        op.attributes.update(levering=received.delivery_id, sha256=received.sha256,
                             bytes=received.size_bytes, dubbel=received.is_duplicate,
                             uitvoer_sha256=received.sha256)
    return received


def fetch_step(gemeente: str, partner_id: str, trace_id: str) -> Received | None:
    """Query a partner's database view and receive the result as a delivery (None: no rows).

    The rows never leave this step except as the archived, canonical bytes: the read step reads
    them back from the archive, exactly like a file.
    """
    ctx = context(gemeente)
    partner = ctx.municipality.partner(partner_id)
    with scrubbed("ophalen"), ctx.audit.operation("ontvangst", trace_id, partner=partner.id,
                                                   kanaal="sql") as op:
        result = query_partner(partner, gemeente)
        op.attributes.update(rijen=result.rows)
        if result.rows == 0:
            return None
        received = receive_bytes(ctx, result.data, source_name(partner), partner.id,
                                 current_run_id(), "sql")
        op.attributes.update(levering=received.delivery_id, sha256=received.sha256,
                             bytes=received.size_bytes, dubbel=received.is_duplicate)
    return received


def read_step(gemeente: str, delivery_id: str,
              trace_id: str) -> tuple[pl.DataFrame, list[str]] | None:
    """Read the archived bytes (exactly what was hashed) into typed standard columns."""
    ctx = context(gemeente)
    received = deliveries.received_by_id(ctx.database_url, delivery_id)
    partner = partner_for(ctx, received.partner_id)
    with scrubbed("inlezen"), ctx.audit.operation("inlezen", trace_id,
                                                   levering=received.delivery_id) as op:
        data = archive.load(archive.archive_path(ctx.home.archive_dir(gemeente), received.sha256),
                            ctx.keys)
        rows = 0
        try:
            table = connectors.read_table(data, received.filename, partner)
            del data
            rows = table.rows
            mapped = map_to_standard(table, partner, received.filename, ctx.municipality.partners)
            del table
        except DeliveryError as error:
            # Refused whole: every row it has (if any could be counted) is quarantined with it.
            deliveries.record_error(ctx.database_url, received.delivery_id, error, rows_read=rows)
            op.attributes.update(fout=error.code, rijen=rows)
            # The message names the file: it is in the registry, the log line gives the id.
            progress().warning("%s: niet ingelezen (%s); zie 'vroeg quarantine %s'.",
                               label(delivery_id), error.code, delivery_id[:8])
            return None
        parsed = connectors.parse(mapped, ctx.municipality)
        op.attributes.update(rijen=parsed.height, genegeerde_kolommen=len(mapped.ignored_columns),
                             invoer_sha256=received.sha256, uitvoer_sha256=frame_sha256(parsed))
    notes = list(mapped.notes)
    if mapped.ignored_positions:
        # By position: in a file without a header row the names are a signal's values.
        notes.append("kolommen genegeerd (positie in het bestand): "
                     + ", ".join(str(i) for i in mapped.ignored_positions))
    return parsed, notes


def validate_step(gemeente: str, delivery_id: str, parsed: pl.DataFrame, notes: list[str],
                  trace_id: str, today: str | None = None) -> ValidationOutcome:
    ctx = context(gemeente)
    received = deliveries.received_by_id(ctx.database_url, delivery_id)
    day = today_for(ctx, today)
    with scrubbed("valideren"), ctx.audit.operation("validatie", trace_id,
                                                     levering=received.delivery_id) as op:
        # The partner's own column names (from its configuration) go into the messages, so the
        # data officer finds the column in the file.
        outcome = validate(parsed, ctx.municipality, received.filename, day,
                           configured_columns(partner_for(ctx, received.partner_id)))
        deliveries.record_validation(ctx.database_url, received.delivery_id, outcome, notes,
                                     suite_version=SUITE_VERSION)
        op.attributes.update(rijen=outcome.rows, quarantaine=outcome.quarantined_rows,
                             afgekeurd=outcome.rejected, regelversie=SUITE_VERSION,
                             invoer_sha256=frame_sha256(parsed),
                             uitvoer_sha256=frame_sha256(outcome.clean))
    if outcome.rejected:
        progress().warning("%s: afgekeurd (%s); zie 'vroeg quarantine %s'.", label(delivery_id),
                           outcome.entries[0].reason, delivery_id[:8])
    return outcome


def pseudonymise_step(gemeente: str, delivery_id: str, clean: pl.DataFrame,
                      trace_id: str) -> pl.DataFrame:
    """Identities into the vault, facts (pseudonyms only) returned for the warehouse."""
    ctx = context(gemeente)
    with scrubbed("pseudonimiseren"), ctx.audit.operation(
            "pseudonimisering", trace_id, levering=delivery_id,
            sleutelversie=ctx.keys.version) as op:
        result = pseudonymise(clean, ctx.keys)
        # One call, one transaction: the vault seals in chunks (a million sealed records are
        # never in memory at once) and builds its indexes once for a large delivery; an upsert,
        # so a step repeated after a failure changes nothing.
        stored = ctx.vault.store(result.identities)
        op.attributes.update(rijen=clean.height, kluis=stored, invoer_sha256=frame_sha256(clean),
                             uitvoer_sha256=frame_sha256(result.facts))
    return result.facts


def load_step(gemeente: str, delivery_id: str, facts: pl.DataFrame, trace_id: str) -> LoadCounts:
    ctx = context(gemeente)
    received = deliveries.received_by_id(ctx.database_url, delivery_id)
    with scrubbed("laden"), ctx.audit.operation("laden", trace_id,
                                                 levering=received.delivery_id,
                                                 sql=sql_hashes(LOAD_SQL)) as op:
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            # An earlier attempt at this file may have committed its load and died before the
            # registry heard of it: finish that load rather than loading it again.
            counts = adopt_load(con, received.sha256, received.delivery_id,
                                deliveries.unfinished(ctx.database_url, gemeente,
                                                      received.sha256, received.delivery_id))
            if counts is None:
                counts = load_signals(con, facts, received.delivery_id, received.sha256)
            else:
                op.attributes.update(overgenomen=True)
            # The portal's charts read these, not the warehouse.
            signal_counts.refresh(ctx.database_url, gemeente, month_counts(con))
        deliveries.finish(ctx.database_url, gemeente, received.delivery_id, loaded=counts.loaded,
                          updated=counts.updated, duplicates=counts.duplicates)
        op.attributes.update(nieuw=counts.inserted, bijgewerkt=counts.updated,
                             dubbel=counts.duplicates, invoer_sha256=frame_sha256(facts))
    return counts


fetch_task = Step(fetch_step, "ophalen")
read_task = Step(read_step, "inlezen")
validate_task = Step(validate_step, "valideren")
pseudonymise_task = Step(pseudonymise_step, "pseudonimiseren")
load_task = Step(load_step, "laden")


@dataclass(frozen=True)
class Steps:
    """The functions one delivery goes through: the steps (Prefect tasks inside a Prefect run,
    retried plain calls in a direct run, flows.runner), or the bare functions (tests, the
    benchmark). Receiving a file is not among them: it happens before the flow (receive_file)."""

    fetch: Callable[..., Received | None]
    read: Callable[..., tuple[pl.DataFrame, list[str]] | None]
    validate: Callable[..., ValidationOutcome]
    pseudonymise: Callable[..., pl.DataFrame]
    load: Callable[..., LoadCounts]
    #: After the load: the crisis lane (flows.crisis.crisis_step; None: left out, as by the
    #: benchmark's ingestion scenarios).
    crisis: Callable[..., dict | None] | None = None


TASKS = Steps(fetch_task, read_task, validate_task, pseudonymise_task, load_task, crisis_task)
STEPS = Steps(fetch_step, read_step, validate_step, pseudonymise_step, load_step, crisis_step)
#: Without the crisis lane: the demo replays months of deliveries right before its first
#: monthly run, which would replace every crisis list published on the way minutes later.
TASKS_NO_CRISIS = replace(TASKS, crisis=None)


# ----------------------------------------------------------------------------------------------
# One delivery
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """A received delivery as a flow is given it: ids only, never the file's name."""

    delivery_id: str
    trace_id: str


def refused(name: str, partner_id: str | None, message: str, code: str) -> dict:
    """A delivery refused before it was received: nothing registered, nothing archived."""
    return {"levering": None, "bestand": safe_filename(name), "partner": partner_id,
            "status": NotReceived.GEWEIGERD, "foutcode": code, "melding": message,
            "rijen_gelezen": 0, "rijen_geladen": 0, "waarvan_nieuw": 0, "waarvan_bijgewerkt": 0,
            "rijen_quarantaine": 0, "rijen_dubbel": 0, "opmerkingen": [], "klopt": True}


def receive_file(gemeente: str, path: str, partner_id: str | None, *,
                 filename: str | None = None, channel: str = "bestand") -> Receipt | dict:
    """Archive and register one file, before any flow starts: its receipt for the flow, or the
    summary of a file refused before it was received (unknown partner, a partner that delivers
    through its database, too large, unreadable), which the caller reports. Logs nothing: the
    refusal's message names the file."""
    name = filename or Path(path).name
    try:
        partner = partner_for(context(gemeente), partner_id)
    except ConfigError as error:
        return refused(name, partner_id, str(error), "PARTNER_ONBEKEND")
    if partner.channel == "sql":
        message = (f"{safe_filename(name)}: partner {partner.id} levert via zijn "
                   f"database (channel: sql); gebruik 'vroeg collect --partner {partner.id}'.")
        return refused(name, partner_id, message, "KANAAL_SQL")
    trace_id = new_trace_id()
    try:
        received = receive_step(gemeente, path, partner_id, trace_id, name, channel)
    except DeliveryError as error:
        # Refused before it was read (too large, unreadable): nothing registered.
        return refused(name, partner_id, error.message, error.code)
    return Receipt(received.delivery_id, trace_id)


def process(gemeente: str, receipt: Receipt, today: str | None = None,
            steps: Steps = TASKS) -> dict:
    """Read, validate, pseudonymise and load a received delivery; its summary (no personal data).
    Log lines name the delivery by id (label)."""
    ctx = context(gemeente)
    logger = progress()
    delivery_id, trace_id = receipt.delivery_id, receipt.trace_id
    received = deliveries.received_by_id(ctx.database_url, delivery_id)
    if received.is_duplicate:
        logger.info("%s: al eerder aangeleverd (%s); niets geladen.", label(delivery_id),
                    label(received.duplicate_of))
        result = deliveries.summary(ctx.database_url, delivery_id)
        if steps.crisis is not None:
            # Delivering a file again is how a crisis lane that failed after its load is
            # retried: its crisis households not yet on a list are added now (else nothing).
            crisis = steps.crisis(gemeente, received.duplicate_of, trace_id, today)
            if crisis is not None:
                result["crisis"] = crisis
        return result
    deliveries.attach_flow_run(ctx.database_url, delivery_id, current_run_id())
    try:
        read = steps.read(gemeente, delivery_id, trace_id)
        if read is not None:
            parsed, notes = read
            del read
            outcome = steps.validate(gemeente, delivery_id, parsed, notes, trace_id, today)
            del parsed
            if not outcome.rejected:
                facts = steps.pseudonymise(gemeente, delivery_id, outcome.clean, trace_id)
                del outcome
                steps.load(gemeente, delivery_id, facts, trace_id)
    except BaseException as exc:
        deliveries.mark_failed(ctx.database_url, delivery_id, str(exc)[:500])
        raise
    result = deliveries.summary(ctx.database_url, delivery_id)
    if steps.crisis is not None and result["status"] == DeliveryStatus.GELADEN:
        # The crisis lane, after the load is registered: the delivery is loaded whatever
        # becomes of it (a failure fails the flow; the next crisis run finds the households).
        crisis = steps.crisis(gemeente, delivery_id, trace_id, today)
        if crisis is not None:
            result["crisis"] = crisis
    logger.info(
        "%s: %d gelezen, %d geladen (%d bijgewerkt), %d in quarantaine, %d dubbel (%s).",
        label(delivery_id), result["rijen_gelezen"], result["rijen_geladen"],
        result["waarvan_bijgewerkt"], result["rijen_quarantaine"], result["rijen_dubbel"],
        result["status"])
    return result


def ingest_one(gemeente: str, path: str, partner_id: str | None, today: str | None = None, *,
               steps: Steps = STEPS, filename: str | None = None,
               channel: str = "bestand") -> dict:
    """One file received and taken through every step, without a flow around it; its summary
    (counts, no personal data)."""
    receipt = receive_file(gemeente, path, partner_id, filename=filename, channel=channel)
    if not isinstance(receipt, Receipt):
        return receipt
    return process(gemeente, receipt, today, steps)


def fetch_one(gemeente: str, partner_id: str, today: str | None = None, *,
              steps: Steps = TASKS) -> dict:
    """Query one SQL partner and process the result; a summary like a file's. (The name of a
    query's result is made from the partner id and the time, never chosen by the partner.)"""
    logger = progress()
    trace_id = new_trace_id()
    try:
        received = steps.fetch(gemeente, partner_id, trace_id)
    except SourceUnavailable as error:
        logger.warning("%s", error.message)
        return refused(f"{partner_id} (database)", partner_id, error.message, error.code)
    if received is None:
        logger.info("%s: de query gaf geen rijen; niets ontvangen.", partner_id)
        summary = refused(f"{partner_id} (database)", partner_id, "de query gaf geen rijen",
                          "GEEN_RIJEN")
        return {**summary, "status": NotReceived.LEEG, "kanaal": "sql"}
    return process(gemeente, Receipt(received.delivery_id, trace_id), today, steps)


@flow("inlezen-leveringen")
def ingest_flow(gemeente: str, receipts: list[Receipt], today: str | None = None,
                crisis: bool = True) -> list[dict]:
    """Process received deliveries (receipts: ids only, see the module's docstring); `crisis`
    False leaves out the crisis lane (the demo, TASKS_NO_CRISIS)."""
    ctx = context(gemeente)  # refuse to start without a usable key (missing, unsafe, mid-rotation)
    steps = TASKS if crisis else TASKS_NO_CRISIS
    results = [process(gemeente, receipt, today, steps) for receipt in receipts]
    notify.notify_deliveries(ctx.database_url, ctx.municipality, results)
    return results


def ingest(gemeente: str, paths: list[str], partner_id: str | None = None,
           today: str | None = None, crisis: bool = True) -> list[dict]:
    """Files of one partner (or standard-format files when partner_id is None): each received
    here, outside Prefect, then processed by ingest_flow. Summaries in the order of `paths`;
    files refused before they were received are notified here (the flow never hears of them)."""
    ctx = context(gemeente)  # a missing or unsafe key: refused before anything is archived
    outcomes = [receive_file(gemeente, path, partner_id) for path in paths]
    notify.notify_deliveries(ctx.database_url, ctx.municipality,
                             [o for o in outcomes if not isinstance(o, Receipt)])
    receipts = [o for o in outcomes if isinstance(o, Receipt)]
    processed = iter(ingest_flow(gemeente, receipts, today, crisis) if receipts else [])
    return [next(processed) if isinstance(o, Receipt) else o for o in outcomes]


def ingest_files(gemeente: str, paths: list[str], partner_id: str | None = None,
                 today: str | None = None) -> list[dict]:
    """The same as ingest, through the plain step functions, without Prefect (and without
    notifications)."""
    return [ingest_one(gemeente, path, partner_id, today, steps=STEPS) for path in paths]
