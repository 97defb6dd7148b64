"""Publish one wijkteam's list: ranked pseudonyms from the warehouse, identities from the vault.

Only the households on the list are re-identified, and only from the signals of the period (an
old phone number from a signal months ago does not come back). The vault logs one audit line per
household before it returns anything.
"""

from __future__ import annotations

from scoring import warehouse
from scoring.score import Period, ranked_list, rules_version
from vroeg import runs
from vroeg.context import Context
from vroeg.sqlfiles import sql

from publishing.visit_list import WrittenList, build_rows, write_list


def publish_team(ctx: Context, period: Period, run_id: str, wijkteam: str, trace_id: str,
                 parent_operation: str | None = None) -> WrittenList:
    municipality = ctx.municipality
    team = next(t for t in municipality.wijkteams if t.code == wijkteam)
    with warehouse.connect(ctx.warehouse_path) as con:
        ranked = ranked_list(con, run_id, wijkteam).to_dicts()
        period_signals = con.execute(sql("model/list_signals"), {
            "run_id": run_id, "wijkteam": wijkteam, "begin": period.start, "einde": period.end,
        }).fetchall()

    identities = ctx.vault.reidentify(
        (r["huishouden_pseudoniem"] for r in ranked),
        purpose="publicatie bezoeklijst", audit=ctx.audit, trace_id=trace_id,
        parent=parent_operation, run=run_id, wijkteam=wijkteam,
    )
    # Newest signal first per household (the SQL orders them), this period's signals only.
    newest_first: dict[str, list[dict]] = {}
    for household, signal, _date in period_signals:
        by_signal = {i["signaal_pseudoniem"]: i for i in identities.get(household, [])}
        if signal in by_signal:
            newest_first.setdefault(household, []).append(by_signal[signal])

    rows = build_rows(ranked, newest_first, municipality.scoring)
    version = rules_version(municipality)
    about = [
        ("Gemeente", f"{municipality.name} ({municipality.code})"),
        ("Wijkteam", team.name),
        ("Periode", str(period)),
        ("Run", run_id),
        ("Regelversie", version),
        ("Huishoudens op de lijst", str(len(rows))),
        ("Volgorde", "Eerst crisissignalen, dan de hoogste score, dan het hoogste bedrag."),
        ("Score", "Punten per partnertype, voor het totale bedrag, voor signalen van meerdere "
                  "soorten partners (meervoudig) en voor een crisissignaal; de kolom 'redenen' "
                  "toont per huishouden welke punten zijn toegekend."),
        ("Vertrouwelijk", "Deze lijst bevat persoonsgegevens. Alleen gebruiken voor "
                          "vroegsignalering; niet doorsturen of kopiëren."),
    ]
    folder = ctx.home.outbox_dir(ctx.gemeente) / wijkteam
    stem = f"bezoeklijst_{wijkteam}_{run_id}"  # the run id starts with the period
    written = write_list(folder, stem, wijkteam, rows, title=f"Bezoeklijst {team.name} {period}",
                         about=about)
    runs.record_publication(ctx, run_id, str(period), written,
                            households=[(r["rang"], r["huishouden_pseudoniem"]) for r in ranked])
    return written
