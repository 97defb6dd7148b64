"""Publish one wijkteam's list: ranked pseudonyms from the warehouse, identities from the vault.

Only the households on the list (bezoeklijst and wachtlijst) are re-identified, and only from
the signals that count for them in the period: an old phone number from a signal months ago does
not come back, nor does the name of a resident whose signals were excluded (deceased, moved
away). The vault logs one audit line per household before it returns anything.
"""

from __future__ import annotations

from collections.abc import Callable

from privacy import purposes
from privacy.context import Context
from publishing.visit_list import WACHTLIJST, WrittenList, build_rows, write_list
from scoring import warehouse
from scoring.score import Period, ranked_list, rules_version
from sql import sql
from vroeg.opsdb import runs


def publish_team(ctx: Context, period: Period, run_id: str, wijkteam: str, trace_id: str,
                 parent_operation: str | None = None, *,
                 before_register: Callable[[WrittenList], None] | None = None) -> WrittenList:
    """Write the team's list and register it. `before_register` runs after the files are
    written and before the registration (the flow records the publication's audit lines there),
    so the registration is the last step: a list that is registered is complete, and an attempt
    that died before it is simply published again (crash safety, issue 7)."""
    municipality = ctx.municipality
    team = next(t for t in municipality.wijkteams if t.code == wijkteam)
    with warehouse.connect(ctx.warehouse_path) as con:
        ranked = ranked_list(con, run_id, wijkteam).to_dicts()
        period_signals = con.execute(sql("model/list_signals"), {
            "run_id": run_id, "wijkteam": wijkteam,
        }).fetchall()

    # One audit line per household, saying on which section of the list it was published.
    # Only the signals that count this period are decrypted (not a household's whole history).
    counted = [signal for _household, signal, _date in period_signals]
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
    for household, signal, _date in period_signals:
        if (household, signal) in by_signal:
            newest_first.setdefault(household, []).append(by_signal[household, signal])

    rules = municipality.scoring
    rows = build_rows(ranked, newest_first, rules,
                      period_months=municipality.matching.period_months)
    version = rules_version(municipality)
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
        ("Score", "De kolommen punten_* tellen op tot de score; 'redenen' zegt in woorden welke "
                  "punten zijn toegekend en waarom."),
        ("Advies", f"Crisis: {rules.advice.crisis}; bezoeklijst: {rules.advice.bezoeklijst}; "
                   f"wachtlijst: {rules.advice.wachtlijst}."),
        ("Menselijke beoordeling", "De lijst is een advies over de volgorde. Het wijkteam "
                                   "beslist wie wanneer bezocht wordt, en mag afwijken."),
        ("Vertrouwelijk", "Deze lijst bevat persoonsgegevens. Alleen gebruiken voor "
                          "vroegsignalering; niet doorsturen of kopiëren."),
    ]
    folder = ctx.home.outbox_dir(ctx.gemeente) / wijkteam
    stem = f"bezoeklijst_{wijkteam}_{run_id}"  # the run id starts with the period
    written = write_list(folder, stem, wijkteam, rows, title=f"Bezoeklijst {team.name} {period}",
                         about=about)
    if before_register is not None:
        before_register(written)
    runs.record_publication(
        ctx.database_url, ctx.gemeente, run_id, str(period), wijkteam=written.wijkteam,
        csv_path=written.csv_path, xlsx_path=written.xlsx_path, csv_sha256=written.csv_sha256,
        households=written.households,
        lines=[(r["rang"], r["huishouden_pseudoniem"]) for r in ranked])
    return written


def audit_publication(ctx: Context, run_id: str, wijkteam: str, trace_id: str,
                      parent: str | None, **attributes) -> int:
    """One "publicatie" line per household on the team's list (the list was disclosed to them)."""
    with warehouse.connect(ctx.warehouse_path) as con:
        households = ranked_list(con, run_id, wijkteam)["huishouden_pseudoniem"].to_list()
    ctx.audit.subjects("publicatie", trace_id, parent, households, run=run_id, wijkteam=wijkteam,
                       **attributes)
    return len(households)
