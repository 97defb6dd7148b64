"""Finding one person (or one address) in every store: subject access and its helpers.

A privacy officer asks by BSN or by address (postcode, house number, addition: how DDAS identifies
a client). From that the person's and household's pseudonyms are computed with the same function
the pipeline uses (privacy.pseudonymise.pseudonyms), under every key version the municipality
holds, so records and audit lines from before a key rotation are found too. Nothing about the
person is decrypted except through `Vault.reidentify`, which writes its audit lines first; the
request itself is logged per data subject ("inzageverzoek").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import or_, select

from privacy import archive
from privacy.context import Context
from privacy.pseudonymise import pseudonyms, records_frame
from privacy.purposes import SUBJECT_ACCESS, choices, is_reason, purpose
from privacy.vault import IndexRow, subject_token
from publishing.visit_list import published_paths
from sql import sql
from vroeg import address
from vroeg.formats import date_nl, euros, full_name, postal_address
from vroeg.opsdb import db
from vroeg.opsdb.cases import cases_of_households
from vroeg.opsdb.models import Delivery, Publication, PublicationHousehold

_ADDRESS_RE = re.compile(r"^\s*(\d{4}\s*[A-Za-z]{2})\s*[,;\s]\s*(\d+)\s*[-\s,]?\s*(.*?)\s*$")


class SubjectProblem(Exception):
    """The request cannot be understood (not: nothing found); the message says why."""


@dataclass(frozen=True)
class Query:
    """Who is asked about: a BSN, or an address (and, for erasure, optionally a surname)."""

    bsn: str | None = None
    postcode: str | None = None
    huisnummer: str | None = None
    toevoeging: str = ""
    achternaam: str | None = None

    @classmethod
    def parse(cls, *, bsn: str | None = None, adres: str | None = None,
              achternaam: str | None = None) -> Query:
        if bool(bsn) == bool(adres):
            raise SubjectProblem("Geef precies een van --bsn of --address.")
        if bsn:
            digits = re.sub(r"[\s.]", "", bsn)
            if not re.fullmatch(r"\d{8,9}", digits):
                raise SubjectProblem("Een BSN bestaat uit 9 cijfers.")
            return cls(bsn=digits.zfill(9), achternaam=achternaam)
        m = _ADDRESS_RE.match(adres or "")
        if not m:
            raise SubjectProblem(
                "Geef het adres als postcode en huisnummer, met eventuele toevoeging, "
                "bijvoorbeeld \"8911 AB 12 a\".")
        return cls(postcode=m.group(1), huisnummer=m.group(2), toevoeging=m.group(3) or "",
                   achternaam=achternaam)

    def describe(self) -> str:
        """For display: the BSN masked, the address as given."""
        if self.bsn:
            return f"BSN eindigend op {self.bsn[-3:]}"
        addition = f" {self.toevoeging}" if self.toevoeging else ""
        return f"adres {self.postcode} {self.huisnummer}{addition}"

    def frame(self) -> pl.DataFrame:
        """One row in the columns pseudonym_texts needs, normalised as a delivery would be."""
        raw = pl.DataFrame({"postcode": [self.postcode], "huisnummer": [self.huisnummer],
                            "toevoeging": [self.toevoeging], "bsn": [self.bsn]},
                           schema={c: pl.String for c in ("postcode", "huisnummer", "toevoeging",
                                                          "bsn")})
        return raw.select(
            pl.lit(None, pl.String).alias("partner_id"),
            pl.lit(None, pl.String).alias("signaal_id"),
            address.postcode(pl.col("postcode")).alias("postcode"),
            address.house_number(pl.col("huisnummer")).alias("huisnummer"),
            address.addition(pl.col("huisnummer"), pl.col("toevoeging")).alias("toevoeging_sleutel"),
            pl.col("bsn"),
            pl.lit(None, pl.String).alias("achternaam"),
            pl.lit(None, pl.String).alias("voornamen"),
            pl.lit(None, pl.String).alias("geboortedatum"),
        )

    def address_key(self) -> tuple[str, str, str] | None:
        row = self.frame().row(0, named=True)
        if not row["postcode"] or not row["huisnummer"]:
            return None
        return row["postcode"], row["huisnummer"], row["toevoeging_sleutel"] or ""


@dataclass
class Located:
    """The pseudonyms of a query under every key version, and the vault records they find."""

    persons: set[str] = field(default_factory=set)       # all versions
    households: set[str] = field(default_factory=set)    # all versions
    records: list[IndexRow] = field(default_factory=list)

    @property
    def candidates(self) -> set[str]:
        return self.persons | self.households

    @property
    def signals(self) -> list[str]:
        return sorted({r.signaal for r in self.records})

    @property
    def record_households(self) -> list[str]:
        return sorted({r.huishouden for r in self.records})

    @property
    def record_persons(self) -> list[str]:
        return sorted({r.persoon for r in self.records})

    def tokens(self) -> list[str]:
        """Audit subjects for this request: person@household per record, else the query's own
        pseudonyms under the current key (so a request that found nothing is still logged)."""
        found = sorted({subject_token(r.persoon, r.huishouden) for r in self.records})
        return found


def locate(ctx: Context, query: Query) -> Located:
    frame = query.frame()
    located = Located()
    for version in ctx.keys.versions:
        row = pseudonyms(frame, ctx.keys.at(version)).row(0, named=True)
        if query.bsn and row["persoon_pseudoniem"]:
            located.persons.add(row["persoon_pseudoniem"])
        if not query.bsn and row["huishouden_pseudoniem"]:
            located.households.add(row["huishouden_pseudoniem"])
    located.records = ctx.vault.index(persons=located.persons, households=located.households)
    return located


def current_tokens(ctx: Context, query: Query, located: Located) -> list[str]:
    tokens = located.tokens()
    if tokens:
        return tokens
    row = pseudonyms(query.frame(), ctx.keys).row(0, named=True)
    own = row["persoon_pseudoniem"] if query.bsn else row["huishouden_pseudoniem"]
    return [own] if own else []


# ------------------------------------------------------------------------------------------------
# The archive: originals in which the person appears (also in quarantined rows)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveHit:
    sha256: str
    path: Path
    deliveries: tuple[str, ...]
    filenames: tuple[str, ...]
    partner_id: str
    received_at: dt.datetime
    rows: int


def archive_matches(ctx: Context, query: Query, people: list[dict] | None = None) -> tuple[
        list[ArchiveHit], int]:
    """Archived originals with a row about the person: (hits, files that could not be read).

    A row matches on the BSN; or on the address (with the surname when one is given); or, with
    `people` (decrypted vault records of the person), on the address and surname of any of them,
    which also finds the person in a partner's file that carries no BSN. Parsing happens in memory
    only; nothing about the rows is kept but their count.
    """
    import connectors
    from vroeg.config import STANDARD_PARTNER_ID, standard_partner
    from vroeg.errors import DeliveryError

    keys: set[tuple[str, str, str, str | None]] = set()
    addr = query.address_key()
    if addr:
        keys.add((*addr, query.achternaam.lower() if query.achternaam else None))
    for person in people or []:
        if person.get("postcode") and person.get("huisnummer") and person.get("achternaam"):
            addition = person.get("toevoeging_sleutel")
            if addition is None:
                addition = Query(postcode=person["postcode"], huisnummer=person["huisnummer"],
                                 toevoeging=person.get("huisnummertoevoeging") or "").address_key()[2]
            keys.add((person["postcode"], person["huisnummer"], addition,
                      person["achternaam"].lower()))
    bsns = {query.bsn} if query.bsn else set()
    bsns |= {p["bsn"] for p in people or [] if p.get("bsn")}

    with db.session(ctx.database_url) as s:
        deliveries = s.execute(
            select(Delivery.id, Delivery.sha256, Delivery.filename, Delivery.partner_id,
                   Delivery.received_at, Delivery.archive_path)
            .where(Delivery.gemeente == ctx.gemeente, Delivery.archive_path.is_not(None))
            .order_by(Delivery.received_at)).all()
    by_digest: dict[str, list] = {}
    for d in deliveries:
        by_digest.setdefault(d.sha256, []).append(d)
    hits: list[ArchiveHit] = []
    unreadable = 0
    for digest, group in by_digest.items():
        first = group[0]
        path = archive.archive_path(ctx.home.archive_dir(ctx.gemeente), digest)
        if not path.exists():
            continue
        try:
            data = archive.load(path, ctx.keys)
            partner = (standard_partner() if first.partner_id == STANDARD_PARTNER_ID
                       else ctx.municipality.partner(first.partner_id))
            table = connectors.read_table(data, first.filename, partner)
            mapped = connectors.map_to_standard(table, partner, first.filename,
                                                ctx.municipality.partners)
            parsed = connectors.parse(mapped, ctx.municipality)
        except (DeliveryError, Exception):
            unreadable += 1
            continue
        rows = parsed.select(
            pl.col("bsn_p"), pl.col("postcode_p"), pl.col("huisnummer_p"),
            pl.col("toevoeging_p").fill_null(""), pl.col("achternaam").str.to_lowercase(),
        ).iter_rows()
        matched = 0
        for bsn, postcode, number, addition, surname in rows:
            if (bsn and bsn in bsns) or (postcode, number, addition, surname) in keys or (
                    (postcode, number, addition, None) in keys):
                matched += 1
        if matched:
            hits.append(ArchiveHit(digest, path, tuple(d.id for d in group),
                                   tuple(sorted({d.filename for d in group})), first.partner_id,
                                   first.received_at, matched))
    return hits, unreadable


# ------------------------------------------------------------------------------------------------
# Subject access
# ------------------------------------------------------------------------------------------------


def _warehouse_facts(ctx: Context, signals: list[str], households: list[str]) -> dict:
    # Imported here: the portal uses this module (re-identification, list paths) and must never
    # load DuckDB (it never opens the warehouse; see docs/design.md, "The portal").
    from scoring import warehouse

    wanted = pl.DataFrame({"signaal_pseudoniem": signals}, schema={"signaal_pseudoniem": pl.String})
    homes = pl.DataFrame({"huishouden_pseudoniem": households},
                         schema={"huishouden_pseudoniem": pl.String})
    with warehouse.connect(ctx.warehouse_path) as con, warehouse.transaction(
            con, wanted=wanted, wanted_households=homes):
        facts = con.execute(sql("privacy/subject_signals")).pl()
        updates = con.execute(sql("privacy/subject_updates")).pl()
        scores = con.execute(sql("privacy/subject_scores")).pl()
    return {"signalen": facts.to_dicts(), "wijzigingen": updates.to_dicts(),
            "scores": scores.to_dicts()}


def list_files(ctx: Context, publication: Publication) -> tuple[Path, Path]:
    """Where a published list's CSV and XLSX are now: in this home's outbox (the paths recorded
    at publication may point to where VROEG_HOME was then, e.g. before a restore elsewhere)."""
    return published_paths(ctx.home.outbox_dir(ctx.gemeente), publication)


def _publications(ctx: Context, scores: list[dict], households: set[str]) -> list[dict]:
    """The visit lists the household was on: from its scores in the warehouse (runs it was
    listed in) and from the lists' own record of their lines (publication_households, which the
    portal keeps, also after the warehouse's scores are gone), with the rank where known."""
    listed = {(s["run_id"], s["wijkteam"]) for s in scores if s["op_lijst"]}
    with db.session(ctx.database_url) as s:
        lines = s.execute(select(PublicationHousehold.publication_id, PublicationHousehold.rang)
                          .where(PublicationHousehold.huishouden_pseudoniem.in_(
                              sorted(households)))).all() if households else []
        ranks = {pid: rang for pid, rang in lines}
        clauses = []
        if listed:
            clauses.append(Publication.run_id.in_({run for run, _ in listed}))
        if ranks:
            clauses.append(Publication.id.in_(ranks))
        rows = s.scalars(select(Publication).where(
            Publication.gemeente == ctx.gemeente, or_(*clauses))
            .order_by(Publication.created_at)).all() if clauses else []
    out = []
    for p in rows:
        if (p.run_id, p.wijkteam) not in listed and p.id not in ranks:
            continue
        csv_file, xlsx_file = list_files(ctx, p)
        out.append({"run": p.run_id, "wijkteam": p.wijkteam, "periode": p.period,
                    "gepubliceerd_op": p.created_at, "csv": str(csv_file), "xlsx": str(xlsx_file),
                    "rang": ranks.get(p.id),
                    "bestand_aanwezig": csv_file.exists() or xlsx_file.exists()})
    return out


def _cases(ctx: Context, households: set[str]) -> list[dict]:
    """The cases the wijkteams recorded about the household (contact attempts, end result).
    The names of the employees who recorded them are not the resident's data: left out."""
    return [{"wijkteam": c.wijkteam, "periode": c.period, "rang": c.rang,
             "aangemaakt_op": c.aangemaakt_op, "opgepakt_op": c.opgepakt_op,
             "eindresultaat": c.eindresultaat, "eindresultaat_op": c.eindresultaat_op,
             "contactpogingen": [{"soort": a.soort, "bereikt": a.bereikt, "datum": a.datum,
                                  "dagdeel": a.dagdeel} for a in c.contactpogingen]}
            for c in cases_of_households(ctx.database_url, ctx.gemeente, households)]


def _deliveries(ctx: Context, facts: dict) -> list[dict]:
    ids = {f["levering_id"] for f in facts["signalen"]} | {u["levering_id"]
                                                           for u in facts["wijzigingen"]}
    if not ids:
        return []
    with db.session(ctx.database_url) as s:
        rows = s.scalars(select(Delivery).where(Delivery.id.in_(ids))
                         .order_by(Delivery.received_at)).all()
    return [{"levering": d.id, "bestand": d.filename, "partner": d.partner_id,
             "ontvangen": d.received_at, "origineel_in_archief": d.archive_path is not None}
            for d in rows]


_INTERNAL = {"signaal_pseudoniem", "persoon_pseudoniem", "toevoeging_sleutel"}


def households_of(ctx: Context, records: list[dict]) -> set[str]:
    """The household pseudonyms of opened records under every key version (to find audit lines
    written before a key rotation)."""
    if not records:
        return set()
    frame = records_frame(records)
    out: set[str] = set()
    for version in ctx.keys.versions:
        out.update(h for h in pseudonyms(frame, ctx.keys.at(version))["huishouden_pseudoniem"]
                   if h)
    return out


def subject_access(ctx: Context, query: Query, *, trace_id: str) -> dict:
    """Everything held about the person (or address), as a JSON-ready document; logged."""
    located = locate(ctx, query)
    with ctx.audit.operation("inzageverzoek", trace_id, gezocht_op="bsn" if query.bsn
                             else "adres") as op:
        people = ctx.vault.reidentify(
            located.record_households, purpose=SUBJECT_ACCESS, audit=ctx.audit,
            trace_id=trace_id, parent=op.operation_id,
            persons=located.record_persons if query.bsn else None)
        opened = [rec for household in people.values() for rec in household]
        identities = [{k: v for k, v in rec.items() if k not in _INTERNAL} for rec in opened]
        # The trail about the person, without the lines this request is writing.
        subjects = located.candidates | set(located.record_households) | households_of(ctx, opened)
        trail = [line for line in ctx.audit.read(subjects=subjects)
                 if line["trace_id"] != trace_id]
        facts = _warehouse_facts(ctx, located.signals, located.record_households)
        # The household under every key version: lists and cases in the operational database
        # are keyed by the pseudonym of the day they were written.
        homes = set(located.households) | set(located.record_households) | households_of(
            ctx, opened)
        publications = _publications(ctx, facts["scores"], homes)
        case_list = _cases(ctx, homes)
        delivered = _deliveries(ctx, facts)
        originals, unreadable = archive_matches(ctx, query, opened)
        ctx.audit.subjects("inzageverzoek", trace_id, op.operation_id,
                           current_tokens(ctx, query, located),
                           gezocht_op=op.attributes["gezocht_op"])
        op.attributes.update(kluisrecords=len(identities), signalen=len(facts["signalen"]),
                             zaken=len(case_list), logboekregels=len(trail))
    return {
        "gemeente": ctx.gemeente,
        "gezocht_op": query.describe(),
        "opgesteld_op": dt.datetime.now(dt.UTC),
        "identiteit": identities,
        "signalen": facts["signalen"],
        "wijzigingen": facts["wijzigingen"],
        "scores": facts["scores"],
        "bezoeklijsten": publications,
        "zaken": case_list,
        "leveringen": delivered,
        "originelen_in_archief": [
            {"bestanden": list(h.filenames), "partner": h.partner_id, "ontvangen": h.received_at,
             "rijen": h.rows} for h in originals],
        "archief_onleesbaar": unreadable,
        "logboek": [
            {k: line[k] for k in ("naam", "start", "einde", "status", "attributen", "trace_id")}
            for line in trail],
    }


def summary_text(report: dict) -> str:
    """The readable Dutch summary a privacy officer can send to the resident."""
    lines = [
        f"Overzicht van gegevens (inzageverzoek, AVG art. 15) — gemeente {report['gemeente']}",
        f"Gezocht op: {report['gezocht_op']}. Opgesteld: "
        f"{report['opgesteld_op']:%d-%m-%Y %H:%M} (UTC).",
        "",
    ]
    ids = report["identiteit"]
    if ids:
        lines.append(f"Persoonsgegevens (versleuteld bewaard in de kluis): {len(ids)} record(s).")
        for rec in ids:
            lines.append(
                f"  - {full_name(rec)}; {postal_address(rec)}"
                + (f"; geboren {rec['geboortedatum']}" if rec.get("geboortedatum") else "")
                + (f"; telefoon {rec['telefoon']}" if rec.get("telefoon") else "")
                + (f"; e-mail {rec['email']}" if rec.get("email") else "")
                + (f"; BSN {rec['bsn']}" if rec.get("bsn") else "")
                + (f" (signaal {rec.get('signaal_id')} van {rec.get('partner_id')})"
                   if rec.get("signaal_id") else ""))
    else:
        lines.append("Persoonsgegevens in de kluis: geen.")
    signals = report["signalen"]
    if signals:
        lines.append(f"Signalen van betalingsachterstand: {len(signals)}.")
        for s in signals:
            lines.append(
                f"  - {s['partner_type']} ({s['partner_id']}), signaaldatum {s['signaaldatum']}, "
                f"achterstand {euros(s['bedrag_cent'])}" + (", crisis" if s["crisis"] else "")
                + f", wijkteam {s['wijkteam']}")
    else:
        lines.append("Signalen: geen.")
    if report["wijzigingen"]:
        lines.append(f"Wijzigingen van signalen (hoger of lager bedrag): {len(report['wijzigingen'])}.")
    scores = report["scores"]
    if scores:
        listed = sum(1 for s in scores if s["op_lijst"])
        lines.append(f"Beoordelingen van het huishouden: {len(scores)} (waarvan {listed} keer op "
                     "een bezoeklijst).")
        for s in scores:
            lines.append(f"  - periode {s['periode']}: score {s['score']}"
                         + (", op de bezoeklijst" if s["op_lijst"] else ", niet op de lijst")
                         + f" (wijkteam {s['wijkteam']})")
    else:
        lines.append("Beoordelingen (scores): geen.")
    if report["bezoeklijsten"]:
        lines.append("Bezoeklijsten waarop het huishouden stond:")
        for p in report["bezoeklijsten"]:
            lines.append(f"  - {p['wijkteam']}, periode {p['periode']}"
                         + (f", plaats {p['rang']}" if p.get("rang") else "")
                         + ("" if p["bestand_aanwezig"] else " (lijst inmiddels vernietigd)"))
    if report.get("zaken"):
        lines.append("Contact met het wijkteam (zaken):")
        for c in report["zaken"]:
            attempts = c["contactpogingen"]
            reached = sum(1 for a in attempts if a["bereikt"])
            lines.append(
                f"  - {c['wijkteam']}, periode {c['periode']}: {len(attempts)} contactpoging(en)"
                + (f", {reached} keer bereikt" if attempts else "")
                + (f"; afgesloten: {c['eindresultaat']}" if c["eindresultaat"] else
                   "; nog in behandeling"))
            for a in attempts:
                lines.append(f"      {date_nl(a['datum'])} ({a['dagdeel'].lower()}): {a['soort']}, "
                             + ("bereikt" if a["bereikt"] else "niet bereikt"))
    if report["leveringen"] or report["originelen_in_archief"]:
        lines.append("Aangeleverd door signaalpartners in:")
        for d in report["leveringen"]:
            lines.append(f"  - {d['bestand']} ({d['partner']}), ontvangen "
                         f"{date_nl(d['ontvangen'])}")
        for h in report["originelen_in_archief"]:
            lines.append(f"  - origineel {', '.join(h['bestanden'])}: {h['rijen']} rij(en) "
                         "over u in het versleutelde archief")
    else:
        lines.append("Originele leveringen met uw gegevens: geen.")
    trail = report["logboek"]
    if trail:
        lines.append(f"Verwerkingen van uw gegevens volgens het logboek: {len(trail)}.")
        for line in trail:
            what = line["attributen"].get("doel") or line["attributen"].get("reden") or ""
            lines.append(f"  - {line['einde']:%d-%m-%Y %H:%M} {line['naam']}"
                         + (f" ({what})" if what else "")
                         + (f", wijkteam {line['attributen']['wijkteam']}"
                            if line["attributen"].get("wijkteam") else ""))
    else:
        lines.append("Verwerkingen in het logboek: geen.")
    lines += ["", "Doel van de verwerking: vroegsignalering van betalingsachterstanden (Wet "
              "gemeentelijke schuldhulpverlening). Zie het register van verwerkingen "
              "(vroeg register) voor ontvangers en bewaartermijnen."]
    return "\n".join(lines)



# ------------------------------------------------------------------------------------------------
# A privacy officer's explicit re-identification of a pseudonym
# ------------------------------------------------------------------------------------------------

def reidentify_pseudonym(ctx: Context, pseudonym: str, *, reason: str, case: str | None,
                         trace_id: str, **attributes) -> list[dict]:
    """The records behind a household or person pseudonym (e.g. from an audit line); logged.

    Used by `vroeg reidentify` and by the portal's re-identification form. `reason` is a code from
    privacy.purposes.REIDENTIFY_REASONS; `attributes` (e.g. the portal user's name) go onto the
    bulk line.
    """
    if not is_reason(reason):
        raise SubjectProblem(f"Reden moet een van {choices()} zijn.")
    if case is not None and not re.fullmatch(r"[A-Za-z0-9._/-]{1,40}", case):
        raise SubjectProblem("Een zaaknummer bestaat uit letters, cijfers en . _ / - (max. 40).")
    households = {r.huishouden for r in ctx.vault.index(households=[pseudonym])}
    persons = None
    if not households:
        by_person = ctx.vault.index(persons=[pseudonym])
        households = {r.huishouden for r in by_person}
        persons = [pseudonym] if by_person else None
    extra = {"zaak": case} if case else {}
    with ctx.audit.operation("heridentificatie-handmatig", trace_id, reden=reason, **extra,
                             **attributes) as op:
        found = ctx.vault.reidentify(sorted(households), purpose=purpose(reason),
                                     audit=ctx.audit, trace_id=trace_id, parent=op.operation_id,
                                     persons=persons, **extra, **attributes)
        records = [{k: v for k, v in rec.items() if k not in _INTERNAL}
                   for household in found.values() for rec in household]
        op.attributes["kluisrecords"] = len(records)
    return records
