"""Publish one wijkteam's list: ranked pseudonyms from the warehouse, identities from the vault.

Only the households on the list (bezoeklijst and wachtlijst) are re-identified, and only from
the signals that count for them in the period: an old phone number from a signal months ago does
not come back, nor does the name of a resident whose signals were excluded (deceased, moved
away). The vault logs one audit line per household before it returns anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from privacy import purposes
from privacy.context import Context
from publishing.visit_list import (
    WACHTLIJST,
    PageHeading,
    WrittenList,
    build_rows,
    list_paths,
    write_list,
)
from scoring import warehouse
from scoring.score import Period, ranked_list, rules_version
from sql import sql
from vroeg.opsdb import cases, runs
from vroeg.opsdb.models import Publication


@dataclass(frozen=True)
class Planned:
    """What a run would publish for a team: the digest of the list's content and, when the
    month's current list has another digest, why the new version replaces it (Dutch)."""

    content_sha256: str
    current: Publication | None
    reason: str | None

    @property
    def unchanged(self) -> bool:
        return self.current is not None and self.current.content_sha256 == self.content_sha256


def _content(con, run_id: str, wijkteam: str) -> tuple[list[dict], list[tuple]]:
    ranked = ranked_list(con, run_id, wijkteam).to_dicts()
    period_signals = con.execute(sql("model/list_signals"), {
        "run_id": run_id, "wijkteam": wijkteam,
    }).fetchall()
    return ranked, period_signals


def content_digest(version: str, period: Period, ranked: list[dict],
                   period_signals: list[tuple]) -> str:
    """SHA-256 over what decides a team's list: the rules version, the period, every listed
    household with its rank, section, amounts and points, and the signals counted for it.

    Computed from pseudonyms, before anyone is re-identified, so a re-run with unchanged inputs
    decrypts nothing. A late delivery, a corrected amount or a new exclusion changes a ranked
    row or a counted signal; new rules change the version. (A key rotation changes the
    pseudonyms, so a re-run after one publishes a new version with the same people.)
    """
    # (household, signal, date) per signal: the partner is already in the signal's pseudonym,
    # and leaving it out keeps the digests of lists published before it was read.
    document = {"regelversie": version, "periode": str(period), "maanden": period.months,
                "huishoudens": ranked, "signalen": [list(s[:3]) for s in period_signals]}
    text = json.dumps(document, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def plan_team(ctx: Context, period: Period, run_id: str, wijkteam: str) -> Planned:
    """Compare the run's list for a team with the month's current one (pseudonyms only)."""
    with warehouse.connect(ctx.warehouse_path) as con:
        ranked, period_signals = _content(con, run_id, wijkteam)
    version = rules_version(ctx.municipality)
    digest = content_digest(version, period, ranked, period_signals)
    current = runs.current_publication(ctx.database_url, ctx.gemeente, wijkteam, str(period))
    if current is None or current.content_sha256 == digest:
        return Planned(digest, current, None)
    return Planned(digest, current, _reason(ctx, current, ranked, version))


def _reason(ctx: Context, current: Publication, ranked: list[dict], version: str) -> str:
    """Why the new version replaces `current`, in words a coordinator reads (counts only)."""
    before = runs.listed_households(ctx.database_url, current.id)
    now = [r["huishouden_pseudoniem"] for r in ranked]
    added, removed = len(set(now) - set(before)), len(set(before) - set(now))
    both = [h for h in now if h in set(before)]
    moved = sum(1 for a, b in zip(both, [h for h in before if h in set(now)], strict=True)
                if a != b)
    earlier_rules = runs.rules_of_run(ctx.database_url, current.run_id)
    what = (f"andere regels (regelversie {earlier_rules} → {version})"
            if earlier_rules and earlier_rules != version else
            "gewijzigde gegevens (nieuwe of gecorrigeerde signalen, uitsluitingen)")
    return (f"Vervangen door versie {current.version + 1} na {what}: {added} huishouden(s) "
            f"erbij, {removed} eraf, {moved} van plaats veranderd.")


def publish_team(ctx: Context, period: Period, run_id: str, wijkteam: str, trace_id: str,
                 parent_operation: str | None = None, *,
                 before_register: Callable[[WrittenList], None] | None = None,
                 planned: Planned | None = None) -> WrittenList:
    """Write the team's list and register it. `before_register` runs after the files are
    written and before the registration (the flow records the publication's audit lines there),
    so the registration is the last step: a list that is registered is complete, and an attempt
    that died before it is simply published again (crash safety, issue 7)."""
    municipality = ctx.municipality
    team = next(t for t in municipality.wijkteams if t.code == wijkteam)
    with warehouse.connect(ctx.warehouse_path) as con:
        ranked, period_signals = _content(con, run_id, wijkteam)
    version = rules_version(municipality)
    digest = content_digest(version, period, ranked, period_signals)

    # One audit line per household, saying on which section of the list it was published.
    # Only the signals that count this period are decrypted (not a household's whole history).
    counted = [signal for _household, signal, *_rest in period_signals]
    identities: dict[str, list[dict]] = {}
    for section in sorted({r["sectie"] for r in ranked}):
        identities.update(ctx.vault.reidentify(
            (r["huishouden_pseudoniem"] for r in ranked if r["sectie"] == section),
            purpose=purposes.PUBLICATION, audit=ctx.audit, trace_id=trace_id,
            parent=parent_operation, signals=counted, run=run_id, wijkteam=wijkteam,
            sectie=section,
        ))
    by_signal = {(household, i["signaal_pseudoniem"]): i
                 for household, found in identities.items() for i in found}
    # Newest signal first per household (the SQL orders them), this period's signals only.
    newest_first: dict[str, list[dict]] = {}
    dated_creditors: dict[str, list[tuple]] = {}
    deadlines: dict[str, object] = {}
    for household, signal, day, partner_id, deadline in period_signals:
        if deadline is not None:
            # The earliest deadline a counted crisis signal announces (issue 17).
            deadlines[household] = min(deadline, deadlines.get(household, deadline))
        if (household, signal) in by_signal:
            newest_first.setdefault(household, []).append(by_signal[household, signal])
        partner = municipality.partners.get(partner_id)
        dated_creditors.setdefault(household, []).append(
            (day, partner.name if partner else partner_id))
    # Newest creditor first, and on the same day by name: the SQL breaks ties by signal
    # pseudonym, which a key rotation changes, and a re-published list must read the same.
    creditors = {household: [name for _day, name in sorted(
        sorted(found, key=lambda dn: dn[1]), key=lambda dn: dn[0], reverse=True)]
        for household, found in dated_creditors.items()}

    rules = municipality.scoring
    rows = build_rows(ranked, newest_first, rules,
                      period_months=municipality.matching.period_months, creditors=creditors,
                      deadlines=deadlines,
                      history=cases.attempts_of_households(
                          ctx.database_url, ctx.gemeente,
                          [r["huishouden_pseudoniem"] for r in ranked]))
    waiting = sum(1 for r in rows if r.sectie == WACHTLIJST)
    capacity = team.capacity_for(str(period))
    about = [
        ("Gemeente", f"{municipality.name} ({municipality.code})"),
        ("Wijkteam", team.name),
        ("Periode", period.label),
        ("Run", run_id),
        ("Regelversie", f"{version} (algoritmekaart: vroeg algorithm-card)"),
        ("Bezoeklijst", f"{len(rows) - waiting} huishoudens"),
        ("Wachtlijst", f"{waiting} huishoudens"),
        ("Capaciteit", "geen grens" if capacity is None else
         f"{capacity} huishoudens per periode, plus elk huishouden met een crisissignaal"
         if not municipality.capacity.crisis_counts_toward_capacity else
         f"{capacity} huishoudens per periode, crisissignalen inbegrepen"),
        ("Volgorde", "Eerst crisissignalen, dan de hoogste score; bij gelijke score de oudste "
                     "achterstand, dan het eerste signaal, dan loting (vast per periode)."),
        ("Score", "De kolommen Punten ... (in het CSV-bestand punten_*) tellen op tot de score; "
                  "Redenen zegt in woorden welke punten zijn toegekend en waarom."),
        ("Advies", f"Crisis: {rules.advice.crisis}; bezoeklijst: {rules.advice.bezoeklijst}; "
                   f"wachtlijst: {rules.advice.wachtlijst}. Na "
                   f"{rules.advice.follow_up.unanswered_attempts} contactpogingen van één soort "
                   "zonder contact (sinds de bewoner voor het laatst bereikt is, ook in eerdere "
                   "maanden) adviseert de lijst een andere soort, met de reden. Dit is de stand "
                   "bij publicatie; het portaal toont het advies van nu."),
        ("Schuldeisers", "De partners die de signalen van het huishouden stuurden, met hun naam "
                         "uit het partnerregister."),
        ("Menselijke beoordeling", "De lijst is een advies over de volgorde. Het wijkteam "
                                   "beslist wie wanneer bezocht wordt, en mag afwijken."),
        ("Vertrouwelijk", "Deze lijst bevat persoonsgegevens. Alleen gebruiken voor "
                          "vroegsignalering; niet doorsturen of kopiëren."),
    ]
    folder = ctx.home.outbox_dir(ctx.gemeente) / wijkteam
    stem = f"bezoeklijst_{wijkteam}_{run_id}"  # the run id starts with the period
    csv_path, xlsx_path = list_paths(folder, stem)
    try:
        written = write_list(folder, stem, wijkteam, rows,
                             title=f"Bezoeklijst {team.name} {period}", about=about,
                             heading=PageHeading(team=team.name, period=period.label,
                                                 rules_version=version))
        if before_register is not None:
            before_register(written)
        runs.record_publication(
            ctx.database_url, ctx.gemeente, run_id, str(period), wijkteam=written.wijkteam,
            csv_path=written.csv_path, xlsx_path=written.xlsx_path,
            csv_sha256=written.csv_sha256, households=written.households,
            lines=[(r["rang"], r["huishouden_pseudoniem"]) for r in ranked],
            content_sha256=digest, reason=planned.reason if planned else None)
    except BaseException:
        # Not registered, so not published: a list of names nobody tracks must not stay in the
        # outbox (a full disk after the .xlsx, a registration that failed). This run's files of
        # this team are never registered at this point (publish_task skips a registered team),
        # so nothing published is removed.
        for path in (csv_path, xlsx_path):
            path.unlink(missing_ok=True)
        raise
    return written


def audit_publication(ctx: Context, run_id: str, wijkteam: str, trace_id: str,
                      parent: str | None, **attributes) -> int:
    """One "publicatie" line per household on the team's list (the list was disclosed to them)."""
    with warehouse.connect(ctx.warehouse_path) as con:
        households = ranked_list(con, run_id, wijkteam)["huishouden_pseudoniem"].to_list()
    ctx.audit.subjects("publicatie", trace_id, parent, households, run=run_id, wijkteam=wijkteam,
                       **attributes)
    return len(households)
