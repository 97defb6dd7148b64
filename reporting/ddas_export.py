"""`vroeg export-ddas`: the exchange file (DDAS Uitwisselmodel v1.2) for CBS.

Three steps with IO only at the ends: `gather` (records.py) reads pseudonymised facts; the vault
re-identifies the households whose signals are reported (one audit line per household, purpose
`ddas-export`); `document` builds the file as a plain dict (pure); `validate.check` refuses it
unless it satisfies the schema; `write` puts it in place atomically, mode 0600, and a second
per-household line records the disclosure to CBS. A refused export leaves no file behind.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from privacy import purposes
from privacy.audit import new_trace_id, sha256_bytes
from reporting import mapping, validate
from reporting.records import CaseFact, Reportable, SignalFact, gather
from vroeg.files import write_atomic

#: codeGegevensleverancier when the installation names none (VROEG_DDAS_LEVERANCIER).
DEFAULT_SUPPLIER = "vroegsignalering"


@dataclass(frozen=True)
class Delivery:
    """One municipality's part of the file (a `levering`)."""

    gemeente: str
    naam: str
    facts: Reportable
    #: signal pseudonym -> its vault record (opened identity), from Vault.reidentify
    identities: dict[str, dict]


def signal_id(identity: dict) -> str:
    """The DDAS `ID` of a signal: the partner and the partner's own signal id. Stable across
    key rotations (a pseudonym is not), so CBS can follow a signal over deliveries, and the same
    id the partner sees in its feedback file."""
    return f"{identity['partner_id']}:{identity['signaal_id']}"


def _signal(fact: SignalFact, identity: dict) -> dict:
    return {
        "ID": signal_id(identity),
        "crisissignaal": fact.crisis,
        # The project receives no warm-handover flag from partners (not in the standard signal
        # schema), so the optional field is left out rather than reported as false.
        "bedrag": mapping.whole_euros(fact.bedrag_cent),
        "ontstaansdatum": fact.ontstaansdatum.isoformat(),
        "signaaldatum": fact.signaaldatum.isoformat(),
        "status": fact.status,
        "signaalpartner": {"type": mapping.partner_type(fact.partner_type)},
        "client": mapping.client(identity),
    }


def _case(fact: CaseFact, ids: dict[str, str]) -> dict:
    case = fact.case
    out: dict = {}
    result = mapping.end_result(case.eindresultaat)
    if result is not None:
        out["resultaat"] = result
    out["matchingsdatum"] = fact.matchingsdatum.isoformat()
    out["startdatumMatchingperiode"] = fact.period_start.isoformat()
    out["einddatumMatchingperiode"] = fact.period_end.isoformat()
    if case.opgepakt_op is not None:
        out["datumOpgepakt"] = case.opgepakt_op.isoformat()
    out["vroegsignalen"] = [{"ID": ids[s]} for s in fact.signals if s in ids]
    attempts = []
    for attempt in sorted(case.contactpogingen, key=lambda a: (a.datum, a.vastgelegd_op)):
        item = {"soort": mapping.contact_kind(attempt.soort), "bereikt": attempt.bereikt,
                "datum": attempt.datum.isoformat()}
        part = mapping.part_of_day(attempt.dagdeel)
        if part:
            item["dagdeel"] = part
        attempts.append(item)
    out["contactpogingen"] = attempts
    return out


def levering(teller: int, delivery: Delivery) -> dict:
    facts = delivery.facts
    # Every opened signal can be referred to: a page of the API (reporting/ddas_pages.py) also
    # opens the signals its cases refer to on other pages; the file opens exactly its signals.
    ids = {pseudonym: signal_id(identity) for pseudonym, identity in delivery.identities.items()}
    return {
        "teller": teller,
        "gemeentecode": delivery.gemeente,
        "aanleverendeOrganisatie": {"naam": delivery.naam},
        "vroegsignalen": [_signal(s, delivery.identities[s.signaal]) for s in facts.signals
                          if s.signaal in delivery.identities],
        # A case without signals (all erased) has nothing to refer to; the schema needs one.
        "vroegsignaalzaken": [_case(c, ids) for c in facts.cases
                              if any(s in ids for s in c.signals)],
    }


def document(deliveries: list[Delivery], van: dt.date, tot: dt.date, *, supplier: str,
             now: dt.datetime) -> dict:
    """The exchange document (pure: same input, same output)."""
    return {
        "startdatumLevering": van.isoformat(),
        "einddatumLevering": tot.isoformat(),
        "aanleverdatumEnTijd": now.astimezone(dt.UTC).replace(microsecond=0)
        .isoformat().replace("+00:00", "Z"),
        "codeGegevensleverancier": supplier,
        "leveringen": [levering(i, d) for i, d in enumerate(deliveries, start=1)],
    }


def serialise(doc: dict) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write(path: Path, doc: dict) -> bytes:
    """Validate, then write atomically with mode 0600 (the file holds BSNs and addresses)."""
    validate.check(doc)
    data = serialise(doc)
    write_atomic(path, data, mode=0o600)
    return data


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sha256: str
    per_gemeente: dict[str, dict[str, int]]


def reidentify(ctx, facts: Reportable, signals: set[str], purpose: str, operation: str,
               **attributes) -> tuple[dict[str, dict], str, str]:
    """Open the vault records of `signals` (households of `facts`), logged per household under a
    bulk line `operation`. Returns (signal pseudonym -> identity, trace id, the bulk line's id).
    Only the named signals are opened: a household's other records stay sealed."""
    trace = new_trace_id()
    households = sorted({s.huishouden for s in facts.signals if s.signaal in signals})
    with ctx.audit.operation(operation, trace, signalen=len(signals), zaken=len(facts.cases),
                             huishoudens=len(households), **attributes) as op:
        found = ctx.vault.reidentify(households, purpose=purpose, audit=ctx.audit,
                                     trace_id=trace, parent=op.operation_id, signals=signals)
    identities = {r["signaal_pseudoniem"]: r for records in found.values() for r in records}
    return identities, trace, op.operation_id


def disclose(ctx, trace: str, parent: str, delivery: Delivery, purpose: str,
             **attributes) -> int:
    """The disclosure to CBS itself: one line per household whose data went out. Returns how
    many households."""
    reported = sorted({s.huishouden for s in delivery.facts.signals
                       if s.signaal in delivery.identities})
    ctx.audit.subjects("ddas-verstrekking", trace, parent, reported, doel=purpose,
                       ontvanger="CBS", **attributes)
    return len(reported)


def export(contexts: list, van: dt.date, tot: dt.date, out: Path, *, supplier: str,
           now: dt.datetime | None = None) -> ExportResult:
    """Gather, re-identify (logged per household), build, validate, write, record."""
    now = now or dt.datetime.now(dt.UTC)
    purpose = purposes.processing_purpose("ddas-export")
    deliveries: list[Delivery] = []
    traces: list[tuple[object, str, str]] = []
    for ctx in contexts:
        facts = gather(ctx, van, tot)
        identities, trace, parent = reidentify(
            ctx, facts, {s.signaal for s in facts.signals}, purpose, "ddas-export",
            van=van.isoformat(), tot=tot.isoformat())
        deliveries.append(Delivery(ctx.gemeente, ctx.municipality.name, facts, identities))
        traces.append((ctx, trace, parent))
    doc = document(deliveries, van, tot, supplier=supplier, now=now)
    data = write(out, doc)  # raises InvalidExport before anything is written
    digest = sha256_bytes(data)
    per: dict[str, dict[str, int]] = {}
    for (ctx, trace, parent), delivery, item in zip(traces, deliveries, doc["leveringen"],
                                                    strict=True):
        households = disclose(ctx, trace, parent, delivery, purpose, bestand_sha256=digest)
        per[ctx.gemeente] = {"signalen": len(item["vroegsignalen"]),
                             "zaken": len(item["vroegsignaalzaken"]),
                             "huishoudens": households}
    return ExportResult(out, digest, per)
