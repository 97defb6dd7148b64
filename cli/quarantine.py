"""`vroeg quarantine`: deliveries and the rows they quarantined, for the fix-and-redeliver loop.

Quarantine records name the file, the row, the column and the reason, never the value: the data
officer opens the original file at that row (or asks the partner to), fixes it and delivers the
corrected file again. Rows loaded the first time are then recognised as duplicates, the fixed
rows are loaded.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cli.common import AsJson, Gemeente, context_or_exit, fail, inert, out, print_json
from vroeg.formats import moment_nl

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): vroeg.opsdb
# (SQLAlchemy).


def register(app: typer.Typer) -> None:
    app.command()(quarantine)


def quarantine(
    delivery: Annotated[str | None, typer.Argument(metavar="LEVERING",
        help="Levering-id (of de eerste 8 tekens) of bestandsnaam; zonder: de recente leveringen "
             "met rijen in quarantaine.", show_default=False)] = None,
    partner: Annotated[str | None, typer.Option("--partner", "-p",
                                                help="Alleen leveringen van deze partner.")] = None,
    show_all: Annotated[bool, typer.Option("--all", "-a",
                                           help="Ook leveringen zonder quarantaine.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000,
                                       help="Aantal leveringen in het overzicht.")] = 20,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Toon leveringen met rijen in quarantaine, of de quarantaine van één levering."""
    from vroeg.opsdb import deliveries

    ctx = context_or_exit(gemeente)
    if delivery is None:
        rows = deliveries.recent(ctx.database_url, ctx.gemeente, partner_id=partner, limit=limit,
                                 with_quarantine=not show_all)
        if as_json:
            print_json({"gemeente": ctx.gemeente, "leveringen": rows})
            return
        _overview(rows, show_all, ctx.municipality.timezone)
        return
    try:
        delivery_id = deliveries.find(ctx.database_url, ctx.gemeente, delivery, partner)
    except deliveries.AmbiguousDelivery as exc:
        if as_json:
            print_json({"gemeente": ctx.gemeente, "fout": str(exc),
                        "leveringen": exc.candidates})
            raise typer.Exit(2) from None
        _overview(exc.candidates, True, ctx.municipality.timezone, hint=False)
        fail(str(exc))
    except deliveries.DeliveryNotFound as exc:
        fail(str(exc))
    summary = deliveries.summary(ctx.database_url, delivery_id)
    entries = deliveries.quarantine_entries(ctx.database_url, delivery_id)
    if as_json:
        print_json({"gemeente": ctx.gemeente, "levering": summary, "quarantaine": entries})
        return
    _detail(summary, entries, ctx.municipality.timezone)


def _overview(rows: list[dict], show_all: bool, zone: str, hint: bool = True) -> None:
    if not rows:
        out.print("Geen leveringen" + ("" if show_all else " met rijen in quarantaine") + ".")
        return
    table = Table(title="Leveringen" + ("" if show_all else " met rijen in quarantaine"),
                  title_justify="left")
    for name in ("Levering", "Ontvangen", "Bestand", "Partner", "Status", "Gelezen",
                 "Quarantaine"):
        table.add_column(name, justify="right" if name in ("Gelezen", "Quarantaine") else "left")
    for r in rows:
        table.add_row(r["levering"][:8], moment_nl(r["ontvangen"], zone),
                      inert(r["bestand"]), inert(r["partner"]), r["status"],
                      str(r["rijen_gelezen"]),
                      str(r["rijen_quarantaine"]))
    out.print(table)
    if hint:
        out.print("Details van één levering: vroeg quarantine <levering>", style="dim")


def _detail(summary: dict, entries: list[dict], zone: str) -> None:
    out.print(inert(
        f"Levering {summary['levering']} — {summary['bestand']} van {summary['partner']}, "
        f"ontvangen {moment_nl(summary['ontvangen'], zone)}, status "
        f"{summary['status']}"))
    out.print(
        f"{summary['rijen_gelezen']} gelezen = {summary['rijen_geladen']} geladen "
        f"(waarvan {summary['waarvan_bijgewerkt']} bijgewerkt) + {summary['rijen_quarantaine']} "
        f"in quarantaine + {summary['rijen_dubbel']} dubbel.", highlight=False)
    for note in summary["opmerkingen"]:
        out.print(inert(f"Opmerking: {note}", style="dim"))
    if not entries:
        out.print("Geen rijen in quarantaine.")
        return
    table = Table(title="Quarantaine", title_justify="left")
    for name in ("Rij", "Kolom", "Reden", "Melding"):
        table.add_column(name, justify="right" if name == "Rij" else "left")
    for e in entries:
        table.add_row("bestand" if e["rij"] is None else str(e["rij"]), inert(e["kolom"]),
                      e["reden"], inert(e["melding"]))
    out.print(table)
    partner = "" if summary["partner"] == "standaard" else f" --partner {summary['partner']}"
    out.print(
        "Herstel deze rijen in het originele bestand (of vraag de partner om een hersteld "
        f"bestand) en lever het opnieuw aan: vroeg ingest <bestand>{partner}. Al geladen rijen "
        "tellen dan als dubbel; de herstelde rijen worden geladen.", style="dim")
