"""The delivery registry in the operational database: receive, record outcome, report.

Receiving comes first, before any parsing: the caller archives the original bytes (encrypted,
named by their SHA-256) and registers them here. A file whose SHA-256 was already processed is
registered as a duplicate and goes no further.

Every function takes plain values (the database URL, the municipality code, ids and counts), so
this registry sits in the base layer and knows nothing of the steps that fill it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from vroeg.errors import DeliveryError, DeliveryUnreadable
from vroeg.files import safe_filename
from vroeg.opsdb import db
from vroeg.opsdb.models import Delivery, QuarantineRecord, ValidationResult
from vroeg.opsdb.statuses import FINAL, PROCESSED, REFUSED, DeliveryStatus


class QuarantineLine(Protocol):
    """One quarantined row (or the whole file when `row` is None), as validation reports it."""

    row: int | None
    reason: str
    column: str | None
    message: str


class Validated(Protocol):
    """What the registry keeps of a validation: counts, quarantine lines, per-rule results
    (dataclasses with the fields of ValidationResult)."""

    rows: int
    quarantined_rows: int
    rejected: bool
    entries: Sequence[QuarantineLine]
    results: Sequence[Any]


@dataclass(frozen=True)
class Received:
    delivery_id: str
    filename: str
    partner_id: str
    sha256: str
    size_bytes: int
    duplicate_of: str | None

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of is not None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def receive(database_url: str, gemeente: str, *, sha256: str, archive_path: Path,
            size_bytes: int, filename: str, partner_id: str, flow_run_id: str | None = None,
            channel: str = "bestand") -> Received:
    """Register a delivery whose original bytes are archived at `archive_path`.

    `filename` is only ever shown and recorded, after safe_filename: it never becomes a path.
    """
    digest, path = sha256, archive_path
    name = safe_filename(filename)
    delivery_id = str(uuid.uuid4())
    with db.session(database_url) as s:
        earlier = s.scalars(
            select(Delivery)
            .where(Delivery.gemeente == gemeente, Delivery.sha256 == digest,
                   Delivery.status.in_(PROCESSED))
            .order_by(Delivery.received_at)
            .limit(1)
        ).first()
        refused = None if earlier is not None else s.scalars(
            select(Delivery)
            .where(Delivery.gemeente == gemeente, Delivery.sha256 == digest,
                   Delivery.status.in_(REFUSED))
            .order_by(Delivery.received_at.desc())
            .limit(1)
        ).first()
        delivery = Delivery(
            id=delivery_id, gemeente=gemeente, partner_id=partner_id, filename=name,
            sha256=digest, size_bytes=size_bytes, archive_path=str(path), flow_run_id=flow_run_id,
            channel=channel,
        )
        if refused is not None:
            delivery.notes = [f"dit bestand is eerder aangeleverd en toen {refused.status} "
                              f"(levering {refused.id}); het is opnieuw verwerkt"]
        if earlier is not None:
            # Nothing of it is loaded again; every row counts as recognised duplicate.
            delivery.status = DeliveryStatus.DUBBEL
            delivery.duplicate_of = earlier.id
            delivery.rows_read = earlier.rows_read
            delivery.rows_duplicate = earlier.rows_read
            delivery.finished_at = _now()
        s.add(delivery)
    return Received(delivery_id, name, partner_id, digest, size_bytes,
                    earlier.id if earlier is not None else None)


def received_by_id(database_url: str, delivery_id: str) -> Received:
    """A registered delivery as the steps know it. The flows are given only its id: its file
    name is the partner's, and may name a resident, so it stays out of Prefect."""
    with db.session(database_url) as s:
        d = s.get(Delivery, delivery_id)
        if d is None:
            raise LookupError(f"levering {delivery_id} is niet geregistreerd")
        return Received(d.id, d.filename, d.partner_id, d.sha256, d.size_bytes, d.duplicate_of)


def attach_flow_run(database_url: str, delivery_id: str, flow_run_id: str | None) -> None:
    """Record which flow run processes a delivery received before the flow started."""
    if flow_run_id is None:
        return
    with db.session(database_url) as s:
        d = s.get(Delivery, delivery_id)
        if d is not None:
            d.flow_run_id = flow_run_id


def record_error(database_url: str, delivery_id: str, error: DeliveryError,
                 rows_read: int) -> None:
    """The whole file is refused: unreadable, or rejected with all its rows quarantined."""
    with db.session(database_url) as s:
        d = s.get(Delivery, delivery_id)
        d.status = (DeliveryStatus.ONLEESBAAR if isinstance(error, DeliveryUnreadable)
                    else DeliveryStatus.AFGEKEURD)
        d.rows_read = rows_read
        d.rows_quarantined = rows_read
        d.error_code = error.code
        d.error_message = error.message
        d.finished_at = _now()
        d.quarantine.append(QuarantineRecord(row=None, reason=error.code, column=None,
                                             message=error.message))


def record_validation(database_url: str, delivery_id: str, outcome: Validated,
                      notes: list[str], *, suite_version: str) -> None:
    with db.session(database_url) as s:
        d = s.get(Delivery, delivery_id)
        d.rows_read = outcome.rows
        d.rows_quarantined = outcome.quarantined_rows
        d.notes = [*(d.notes or []), *notes] or None
        s.add_all(
            QuarantineRecord(delivery_id=delivery_id, row=e.row, reason=e.reason, column=e.column,
                             message=e.message)
            for e in outcome.entries
        )
        s.add_all(
            ValidationResult(delivery_id=delivery_id, suite_version=suite_version,
                             **{k: v for k, v in asdict(r).items()})
            for r in outcome.results
        )
        if outcome.rejected:
            d.status = DeliveryStatus.AFGEKEURD
            first = outcome.entries[0]
            d.error_code, d.error_message = first.reason, first.message
            d.finished_at = _now()


def finish(database_url: str, gemeente: str, delivery_id: str, *, loaded: int, updated: int,
           duplicates: int) -> None:
    """The delivery is loaded: `loaded` rows (of which `updated` changed a known signal) and
    `duplicates` recognised."""
    with db.session(database_url) as s:
        d = s.get(Delivery, delivery_id)
        d.rows_loaded = loaded
        d.rows_updated = updated
        d.rows_duplicate = duplicates
        d.status = DeliveryStatus.GELADEN
        d.finished_at = _now()
        # Earlier attempts at the same file that died before they could even be marked failed
        # (e.g. between receiving and reading) are closed now, so none stays "ontvangen".
        for earlier in s.scalars(select(Delivery).where(
                Delivery.gemeente == gemeente, Delivery.sha256 == d.sha256,
                Delivery.id != delivery_id, Delivery.status == DeliveryStatus.ONTVANGEN)):
            earlier.status = DeliveryStatus.MISLUKT
            earlier.error_code = "VERWERKING_MISLUKT"
            earlier.error_message = f"onderbroken; opnieuw verwerkt als levering {delivery_id}"
            earlier.finished_at = _now()


def mark_failed(database_url: str, delivery_id: str, message: str) -> None:
    with db.session(database_url) as s:
        d = s.get(Delivery, delivery_id)
        if d is not None and d.status == DeliveryStatus.ONTVANGEN:
            d.status = DeliveryStatus.MISLUKT
            d.error_code = "VERWERKING_MISLUKT"
            d.error_message = message
            d.finished_at = _now()


def unfinished(database_url: str, gemeente: str, sha256: str, but: str) -> set[str]:
    """Ids of earlier deliveries of the same file that never reached a final state (failed or
    interrupted): a load they committed in the warehouse may be adopted by delivery `but`."""
    with db.session(database_url) as s:
        return set(s.scalars(
            select(Delivery.id).where(Delivery.gemeente == gemeente,
                                      Delivery.sha256 == sha256, Delivery.id != but,
                                      Delivery.status.not_in(FINAL))))


def summary(database_url: str, delivery_id: str) -> dict:
    """What a data officer (or --json) sees of a delivery: counts and status, no personal data."""
    with db.session(database_url) as s:
        d = s.get(Delivery, delivery_id)
        return delivery_summary(d)


def delivery_summary(d: Delivery) -> dict:
    """A delivery record as the data officer (or --json) sees it: no personal data."""
    return {
        "levering": d.id,
        "bestand": d.filename,
        "partner": d.partner_id,
        "kanaal": d.channel or "bestand",
        "ontvangen": d.received_at.isoformat() if d.received_at else None,
        "sha256": d.sha256,
        "status": d.status,
        "rijen_gelezen": d.rows_read,
        "rijen_geladen": d.rows_loaded,
        # Of the loaded rows: signals seen before whose amount or crisis flag changed. They
        # update the signal (with history in signal_updates); they are not a second signal.
        "waarvan_nieuw": d.rows_loaded - d.rows_updated,
        "waarvan_bijgewerkt": d.rows_updated,
        "rijen_quarantaine": d.rows_quarantined,
        "rijen_dubbel": d.rows_duplicate,
        "dubbel_van": d.duplicate_of,
        "melding": d.error_message,
        "opmerkingen": d.notes or [],
        "klopt": d.rows_read == d.rows_loaded + d.rows_quarantined + d.rows_duplicate,
    }


class DeliveryNotFound(LookupError):
    """No delivery matches what the data officer typed; the message says what to try."""


class AmbiguousDelivery(DeliveryNotFound):
    """Several deliveries share the file name typed (a partner re-sent a corrected file under the
    same name): the caller asks which one is meant, showing `candidates` (newest first)."""

    def __init__(self, message: str, candidates: list[dict]) -> None:
        super().__init__(message)
        self.candidates = candidates


def find(database_url: str, gemeente: str, ref: str, partner_id: str | None = None) -> str:
    """A delivery id from what a data officer types: the id, its first characters (at least
    six, as shown by `vroeg quarantine`), or a file name (of one partner, with partner_id).

    A file name that several deliveries share raises AmbiguousDelivery: guessing the newest
    would show the quarantine of another file than the officer has open."""
    ref = ref.strip()
    with db.session(database_url) as s:
        base = select(Delivery.id).where(Delivery.gemeente == gemeente)
        if s.get(Delivery, ref) is not None:
            return ref
        if len(ref) >= 6 and re.fullmatch(r"[0-9a-f-]+", ref):
            ids = s.scalars(base.where(Delivery.id.startswith(ref, autoescape=True)).limit(2)).all()
            if len(ids) == 1:
                return ids[0]
            if len(ids) > 1:
                raise DeliveryNotFound(f"'{ref}' past bij meer dan één levering; typ meer tekens.")
        named = select(Delivery).where(Delivery.gemeente == gemeente,
                                       Delivery.filename == safe_filename(ref))
        if partner_id:
            named = named.where(Delivery.partner_id == partner_id)
        by_name = s.scalars(named.order_by(Delivery.received_at.desc())).all()
        if len(by_name) == 1:
            return by_name[0].id
        if by_name:
            raise AmbiguousDelivery(
                f"'{safe_filename(ref)}' is de bestandsnaam van {len(by_name)} leveringen. Welke "
                "bedoelt u? Geef het levering-id (de eerste 8 tekens zijn genoeg): vroeg "
                "quarantine <levering>.", [delivery_summary(d) for d in by_name])
    raise DeliveryNotFound(
        f"Geen levering '{ref}' gevonden voor gemeente {gemeente}. Gebruik een levering-id of "
        f"een bestandsnaam uit 'vroeg quarantine'.")


def recent(database_url: str, gemeente: str, *, partner_id: str | None = None, limit: int = 20,
           with_quarantine: bool = False) -> list[dict]:
    """The most recent deliveries, newest first."""
    with db.session(database_url) as s:
        query = select(Delivery).where(Delivery.gemeente == gemeente)
        if partner_id:
            query = query.where(Delivery.partner_id == partner_id)
        if with_quarantine:
            query = query.where(Delivery.rows_quarantined > 0)
        rows = s.scalars(query.order_by(Delivery.received_at.desc()).limit(limit)).all()
        return [delivery_summary(d) for d in rows]


def quarantine_entries(database_url: str, delivery_id: str) -> list[dict]:
    """The quarantine records of one delivery: row, column, reason code and message, no values."""
    with db.session(database_url) as s:
        rows = s.scalars(select(QuarantineRecord)
                         .where(QuarantineRecord.delivery_id == delivery_id)
                         .order_by(QuarantineRecord.row.is_not(None), QuarantineRecord.row,
                                   QuarantineRecord.id)).all()
        return [{"rij": r.row, "kolom": r.column, "reden": r.reason, "melding": r.message}
                for r in rows]
