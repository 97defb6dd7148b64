"""Subject access (GDPR art. 15): everything held about one person (or one address), from every
store, as a document and as a readable Dutch summary for the resident (`vroeg subject-access`).

The person is found with governance/subject.py; the warehouse's signals, changes and scores are
read here, which is why this is not part of that module (the portal never opens the warehouse).
Nothing about the person is decrypted except through `Vault.reidentify`, which writes its audit
lines first; the request itself is logged per data subject ("inzageverzoek").
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import or_, select

from governance.subject import (
    INTERNAL_COLUMNS,
    Query,
    archive_matches,
    current_tokens,
    households_of,
    list_files,
    locate,
)
from privacy.context import Context
from privacy.purposes import SUBJECT_ACCESS
from scoring import warehouse
from sql import sql
from vroeg.formats import date_nl, euros, full_name, moment_nl, postal_address
from vroeg.opsdb import db
from vroeg.opsdb.cases import cases_of_households
from vroeg.opsdb.models import Delivery, Publication, PublicationHousehold


def _warehouse_facts(ctx: Context, signals: list[str], households: list[str]) -> dict:
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


def _publications(ctx: Context, scores: list[dict], households: set[str]) -> list[dict]:
    """The visit lists the household was on, one listing per month: from its scores in the
    warehouse (runs it was listed in) and from the lists' own record of their lines
    (publication_households, which the portal keeps, also after the warehouse's scores are gone),
    with the rank where known. A month whose list was published in more than one version (a
    re-run after new data) is one listing, described by its newest version, with every version
    it appeared on under `versies`."""
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
            .order_by(Publication.created_at, Publication.id)).all() if clauses else []
    months: dict[str, list[dict]] = {}
    for p in rows:
        if (p.run_id, p.wijkteam) not in listed and p.id not in ranks:
            continue
        csv_file, xlsx_file = list_files(ctx, p)
        months.setdefault(p.period, []).append({
            "versie": p.version, "run": p.run_id, "wijkteam": p.wijkteam,
            "gepubliceerd_op": p.created_at, "vervangen_op": p.superseded_at,
            "csv": str(csv_file), "xlsx": str(xlsx_file), "rang": ranks.get(p.id),
            "bestand_aanwezig": csv_file.exists() or xlsx_file.exists()})
    out = []
    for period, versions in months.items():  # in order of first publication
        newest = versions[-1]
        out.append({**{k: v for k, v in newest.items() if k not in ("versie", "vervangen_op")},
                    "periode": period, "gepubliceerd_op": versions[0]["gepubliceerd_op"],
                    "bestand_aanwezig": any(v["bestand_aanwezig"] for v in versions),
                    "versies": versions})
    return out


def _cases(ctx: Context, households: set[str]) -> list[dict]:
    """The cases the wijkteams recorded about the household (contact attempts, end result):
    one per month, whichever versions of the lists they were recorded on. The names of the
    employees who recorded them are not the resident's data: left out."""
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
        identities = [{k: v for k, v in rec.items() if k not in INTERNAL_COLUMNS} for rec in opened]
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
        # Moments are kept in UTC; the summary shows them in the municipality's own time.
        "tijdzone": ctx.municipality.timezone,
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
    zone = report.get("tijdzone", "Europe/Amsterdam")
    lines = [
        f"Overzicht van gegevens (inzageverzoek, AVG art. 15) — gemeente {report['gemeente']}",
        f"Gezocht op: {report['gezocht_op']}. Opgesteld: "
        f"{moment_nl(report['opgesteld_op'], zone)}.",
        "",
    ]
    ids = report["identiteit"]
    if ids:
        lines.append(f"Persoonsgegevens (versleuteld bewaard in de kluis): {len(ids)} record(s).")
        for rec in ids:
            lines.append(
                f"  - {full_name(rec)}; {postal_address(rec)}"
                + (f"; geboren {date_nl(rec['geboortedatum'])}" if rec.get("geboortedatum")
                   else "")
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
                f"  - {s['partner_type']} ({s['partner_id']}), signaaldatum "
                f"{date_nl(s['signaaldatum'])}, "
                f"achterstand {euros(s['bedrag_cent'])}" + (", crisis" if s["crisis"] else "")
                + f", wijkteam {s['wijkteam']}")
    else:
        lines.append("Signalen: geen.")
    if report["wijzigingen"]:
        lines.append("Wijzigingen van signalen (hoger of lager bedrag): "
                     f"{len(report['wijzigingen'])}.")
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
            versions = p.get("versies") or []
            lines.append(f"  - {p['wijkteam']}, periode {p['periode']}"
                         + (f", plaats {p['rang']}" if p.get("rang") else "")
                         + (f" (in {len(versions)} versies van de lijst van die maand)"
                            if len(versions) > 1 else "")
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
            lines.append(f"  - {moment_nl(line['einde'], zone)} {line['naam']}"
                         + (f" ({what})" if what else "")
                         + (f", wijkteam {line['attributen']['wijkteam']}"
                            if line["attributen"].get("wijkteam") else ""))
    else:
        lines.append("Verwerkingen in het logboek: geen.")
    lines += ["", "Doel van de verwerking: vroegsignalering van betalingsachterstanden (Wet "
              "gemeentelijke schuldhulpverlening). Zie het register van verwerkingen "
              "(vroeg register) voor ontvangers en bewaartermijnen."]
    return "\n".join(lines)
