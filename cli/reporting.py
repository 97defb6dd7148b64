"""Reporting commands: `vroeg export-ddas` (CBS), `vroeg feedback` (signal partners),
`vroeg monitor` (the monitor figures)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import AsJson, Gemeente, context_or_exit, err, fail, inert, out, print_json
from vroeg.formats import date_nl, number_nl, parse_day

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): reporting
# and scoring (DuckDB, polars), vroeg.config (pydantic, YAML).

Van = Annotated[str, typer.Option("--from", help="Eerste dag (JJJJ-MM-DD).", show_default=False)]
Tot = Annotated[str, typer.Option("--to", help="Laatste dag, inbegrepen (JJJJ-MM-DD).",
                                  show_default=False)]


def register(app: typer.Typer) -> None:
    app.command(name="export-ddas")(export_ddas)
    app.command(name="feedback")(feedback)
    app.command(name="monitor")(monitor)


def _date(text: str, option: str) -> dt.date:
    try:
        return parse_day(text)
    except ValueError:
        fail(f"{option} '{text}' is geen datum in de vorm JJJJ-MM-DD.")


def _window(van: str, tot: str) -> tuple[dt.date, dt.date]:
    first, last = _date(van, "--from"), _date(tot, "--to")
    if last < first:
        fail("--to ligt vóór --from.")
    return first, last


def export_ddas(
    van: Van,
    tot: Tot,
    out_file: Annotated[Path, typer.Option("--out", help="Het uitwisselbestand (JSON) dat "
                        "naar CBS gaat.", dir_okay=False, show_default=False)],
    gemeenten: Annotated[list[str] | None, typer.Option(
        "--gemeente", "-g", help="CBS-gemeentecode; herhaal voor meer gemeenten in één bestand "
        "(standaard: de standaardgemeente).", show_default=False)] = None,
    as_json: AsJson = False,
) -> None:
    """Schrijf de DDAS-levering (Uitwisselmodel v1.2) voor CBS: signalen en vroegsignaalzaken.

    Het bestand wordt tegen het schema gecontroleerd voordat het wordt geschreven; een ongeldige
    export wordt geweigerd en laat geen bestand achter. Het bevat BSN's of adressen: elke
    betrokkene wordt in het logboek vastgelegd, het bestand krijgt rechten 0600.
    """
    from reporting.ddas_export import DEFAULT_SUPPLIER, export
    from reporting.validate import InvalidExport

    first, last = _window(van, tot)
    codes = list(dict.fromkeys(gemeenten or [None]))
    contexts = [context_or_exit(code) for code in codes]
    supplier = os.environ.get("VROEG_DDAS_LEVERANCIER", DEFAULT_SUPPLIER)
    try:
        result = export(contexts, first, last, out_file, supplier=supplier)
    except InvalidExport as exc:
        err.print("De DDAS-export voldoet niet aan het schema (pad in het bestand: regel):",
                  highlight=False)
        for problem in exc.problems[:20]:
            # A schema violation may quote a value of the export, which came from a delivery.
            err.print(inert(f"  {problem}"), highlight=False, soft_wrap=True)
        more = len(exc.problems) - 20
        if more > 0:
            err.print(f"  … en nog {more}", highlight=False)
        fail(f"{len(exc.problems)} schending(en) van het schema; er is geen bestand geschreven.")
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json({"bestand": str(result.path), "sha256": result.sha256,
                    "gemeenten": result.per_gemeente})
        return
    for code, counts in result.per_gemeente.items():
        out.print(f"Gemeente {code}: {counts['signalen']} signalen, {counts['zaken']} zaken, "
                  f"{counts['huishoudens']} huishoudens (elk vastgelegd in het logboek).")
    out.print(f"Geschreven en gevalideerd tegen DDAS v1.2: {result.path}", highlight=False)


def feedback(
    partner: Annotated[str, typer.Option("--partner", help="Partner-id (config/<gemeente>/"
                       "partners/<id>.yaml).", show_default=False)],
    van: Van,
    tot: Tot,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Schrijf de terugkoppeling voor één signaalpartner: per signaal-id alleen 'opgepakt' of
    'niet opgepakt', in de outbox van de partner (vastgelegd in het logboek)."""
    from reporting.feedback import feedback as write_feedback
    from vroeg.config import ConfigError

    first, last = _window(van, tot)
    ctx = context_or_exit(gemeente)
    try:
        result = write_feedback(ctx, partner, first, last)
    except ConfigError as exc:
        fail(str(exc))
    if as_json:
        print_json({"bestand": str(result.path), "opgepakt": result.opgepakt,
                    "niet_opgepakt": result.niet_opgepakt})
        return
    out.print(f"Terugkoppeling voor {partner}: {result.opgepakt} opgepakt, "
              f"{result.niet_opgepakt} niet opgepakt.")
    out.print(f"  {result.path}", highlight=False)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{number_nl(100 * value, 1)} %"


def _num(value: float | None, decimals: int = 1) -> str:
    return "–" if value is None else number_nl(float(value), decimals)


def monitor(
    out_dir: Annotated[Path, typer.Option("--out", help="Map voor de CSV en de grafieken (SVG).",
                       file_okay=False, show_default=False)],
    van: Annotated[str | None, typer.Option("--from", help="Eerste dag (standaard: twaalf "
                   "maanden terug).", show_default=False)] = None,
    tot: Annotated[str | None, typer.Option("--to", help="Laatste dag (standaard: einde van de "
                   "laatste volledige maand).", show_default=False)] = None,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Toon en schrijf de monitorcijfers per wijkteam en voor de gemeente: signalen per 1.000
    inwoners per maand, partnertypes, meervoudig en opeenvolgend, zaken, bereik, eindresultaten
    en dagen van signaal tot eerste contact."""
    from reporting import monitor_output
    from scoring.score import Period

    ctx = context_or_exit(gemeente)
    last_month = Period.last_complete(ctx.municipality.timezone)
    last = _date(tot, "--to") if tot else last_month.end - dt.timedelta(days=1)
    if van:
        first = _date(van, "--from")
    else:
        index = last.year * 12 + last.month - 1 - 11
        first = dt.date(index // 12, index % 12 + 1, 1)
    if last < first:
        fail("--to ligt vóór --from.")
    figures = monitor_output.compute(ctx, first, last)
    written = monitor_output.write(figures, out_dir, ctx.gemeente, first, last)
    if as_json:
        print_json({"van": first, "tot": last, "bestanden": [str(p) for p in written],
                    "cijfers": [asdict(f) for f in figures]})
        return
    table = Table(title=f"Monitor vroegsignalering {ctx.municipality.name}, {date_nl(first)} t/m "
                        f"{date_nl(last)}")
    for column in ("eenheid", "signalen", "per 1.000 inw./mnd*", "meervoudig", "opeenvolgend",
                   "zaak geworden", "zaken", "bereik", "open", "dagen tot contact (mediaan)"):
        table.add_column(column, justify="left" if column == "eenheid" else "right")
    for f in figures:
        table.add_row(f.scope, str(f.signals), _num(f.per_1000_month_average, 2),
                      _pct(f.meervoudig), _pct(f.opeenvolgend), _pct(f.became_case),
                      str(f.cases), _pct(f.reached), str(f.open_cases),
                      _num(f.days_to_contact_median))
    out.print(table)
    municipality = figures[0]
    data_months = municipality.months_with_data
    out.print(f"* Gemiddeld over de {len(data_months)} maand(en) met gegevens in de periode"
              + (f" ({', '.join(data_months)})" if data_months else "")
              + "; maanden zonder signalen tellen niet mee.", highlight=False)
    _table_or_sentence("Aandeel per partnertype (gemeente)", ("partnertype", "aandeel"),
                       [(name, _pct(share)) for name, share in municipality.partner_types.items()],
                       "Geen signalen in deze periode: geen aandeel per partnertype.")
    _table_or_sentence("Eindresultaten (gemeente)", ("eindresultaat", "zaken"),
                       [(name, str(count)) for name, count in municipality.outcomes.items()],
                       "Nog geen zaken met een eindresultaat in deze periode.")
    out.print("Geschreven:", highlight=False)
    for path in written:
        out.print(f"  {path}", highlight=False)


def _table_or_sentence(title: str, columns: tuple[str, str], rows: list[tuple[str, str]],
                       empty: str) -> None:
    """A two-column table, or the sentence `empty` when it has no rows: a table without rows
    says nothing a sentence cannot say better."""
    if not rows:
        out.print(empty)
        return
    table = Table(title=title)
    table.add_column(columns[0])
    table.add_column(columns[1], justify="right")
    for row in rows:
        table.add_row(*row)
    out.print(table)
