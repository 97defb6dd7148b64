"""`vroeg feedback`: tell a signal partner which of its signals were taken up, and nothing more.

The covenant allows the creditor to learn only whether its signal was taken up (`opgepakt` /
`niet opgepakt`), never why and nothing else about the resident. The file therefore has two
columns: the partner's own signal id (which it already knows) and the flag. The partner's ids
are in the vault only, so the households are re-identified for it, logged per household with
purpose `terugkoppeling`; the file goes to the partner's outbox, written atomically (0600).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from privacy import purposes
from privacy.audit import new_trace_id, sha256_bytes
from reporting import mapping
from reporting.records import SignalFact, gather
from vroeg.files import write_atomic

COLUMNS = ("signaal_id", "terugkoppeling")
OPGEPAKT, NIET_OPGEPAKT = "opgepakt", "niet opgepakt"


def lines(signals: list[SignalFact], partner_ids: dict[str, str]) -> list[tuple[str, str]]:
    """(partner's signal id, opgepakt | niet opgepakt) per signal, sorted by id (pure).

    partner_ids: signal pseudonym -> the partner's own signaal_id."""
    out = {(partner_ids[s.signaal],
            OPGEPAKT if mapping.taken_up(s.status) else NIET_OPGEPAKT)
           for s in signals if s.signaal in partner_ids}
    return sorted(out)


def render(rows: list[tuple[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for signal_id, flag in rows:
        # A partner's id is text it chose; never let a spreadsheet read it as a formula.
        writer.writerow(("'" + signal_id if signal_id[:1] in "=+-@\t\r" else signal_id, flag))
    return buffer.getvalue().encode("utf-8")


def outbox(ctx, partner_id: str) -> Path:
    """Beside the teams' folders; '_' cannot start a wijkteam code, so no team shares it."""
    return ctx.home.outbox_dir(ctx.gemeente) / "_partners" / partner_id


@dataclass(frozen=True)
class FeedbackResult:
    path: Path
    opgepakt: int
    niet_opgepakt: int


def feedback(ctx, partner_id: str, van: dt.date, tot: dt.date) -> FeedbackResult:
    partner = ctx.municipality.partner(partner_id)  # ConfigError (Dutch) for an unknown partner
    facts = gather(ctx, van, tot)
    own = [s for s in facts.in_window() if s.partner_id == partner.id]
    households = sorted({s.huishouden for s in own})
    trace = new_trace_id()
    purpose = purposes.processing_purpose("terugkoppeling")
    with ctx.audit.operation("terugkoppeling", trace, partner=partner.id, van=van.isoformat(),
                             tot=tot.isoformat(), signalen=len(own)) as op:
        # Only this partner's signals are opened: a household's other records stay sealed.
        found = ctx.vault.reidentify(households, purpose=purpose, audit=ctx.audit,
                                     trace_id=trace, parent=op.operation_id, partner=partner.id,
                                     signals={s.signaal for s in own})
        ids = {r["signaal_pseudoniem"]: str(r["signaal_id"])
               for records in found.values() for r in records}
        rows = lines(own, ids)
        data = render(rows)
        path = outbox(ctx, partner.id) / f"terugkoppeling_{partner.id}_{van}_{tot}.csv"
        write_atomic(path, data, mode=0o600)
        taken = sum(1 for _, flag in rows if flag == OPGEPAKT)
        op.attributes.update(bestand=path.name, bestand_sha256=sha256_bytes(data),
                             opgepakt=taken, niet_opgepakt=len(rows) - taken)
    return FeedbackResult(path, taken, len(rows) - taken)
