"""`vroeg collect`: ingest what partners deliver by themselves (inbox folders, database views)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import (
    AsJson,
    Gemeente,
    Verbose,
    context_or_exit,
    crisis_lines,
    deliveries_table,
    fail,
    inert,
    ingest_totals,
    out,
    print_json,
    run_flow,
    warn_messages,
)
from vroeg.opsdb.statuses import PROBLEMS

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): vroeg.config
# (pydantic, YAML).


def register(app: typer.Typer) -> None:
    app.command()(collect)


def collect(
    partner: Annotated[str | None, typer.Option("--partner", "-p", help="Alleen deze partner "
                       "(standaard: alle partners met kanaal inbox of sql).")] = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
    gemeente: Gemeente = None,
) -> None:
    """Haal leveringen op uit de inbox van elke partner en de database van SQL-partners.

    Inbox: $VROEG_HOME/inbox/<gemeente>/<partner>/. Afsluitcode 0 als alles is verwerkt, 1 als
    een levering is afgekeurd, onleesbaar of geweigerd was.
    """
    from vroeg.config import ConfigError

    ctx = context_or_exit(gemeente)
    if partner:
        try:
            chosen = ctx.municipality.partner(partner)
        except ConfigError as exc:
            fail(str(exc))
        if chosen.channel == "file":
            fail(f"Partner {partner} levert bestanden via de opdrachtregel (kanaal file): gebruik "
                 f"'vroeg ingest BESTAND --partner {partner}', of zet kanaal inbox in zijn "
                 f"configuratie.")
    rows = run_flow("Leveringen ophalen", verbose, "flows.inbox:collect_flow",
                    gemeente=ctx.gemeente, partner_id=partner)
    totals = ingest_totals(rows)
    if as_json:
        print_json({"gemeente": ctx.gemeente, "leveringen": rows, "totaal": totals})
    elif not rows:
        collecting = [p.id for p in ctx.municipality.partners.values()
                      if p.channel in ("inbox", "sql")]
        out.print("Geen nieuwe leveringen" + (
            f" (partners met kanaal inbox of sql: {', '.join(collecting)})." if collecting
            else ": geen partners met kanaal inbox of sql."))
    else:
        out.print(deliveries_table(rows))
        warn_messages(rows)
        for line in crisis_lines(rows):
            out.print(inert(line, "bold red"))
        out.print(f"Totaal: {totals['rijen_gelezen']} gelezen = {totals['rijen_geladen']} geladen"
                  f" + {totals['rijen_quarantaine']} in quarantaine + {totals['rijen_dubbel']} "
                  f"dubbel.")
    if any(r["status"] in PROBLEMS for r in rows):
        raise typer.Exit(1)
