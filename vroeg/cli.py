"""The `vroeg` command: what data officers, coordinators and privacy officers run.

Heavy imports (Prefect, Great Expectations, DuckDB) happen inside the commands, after Prefect has
been pointed at VROEG_HOME, so `vroeg --help` is quick and Prefect never writes to ~/.prefect.
Human output goes to the terminal in Dutch; `--json` prints one machine-readable document on
standard output and nothing else there (progress goes to standard error).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

app = typer.Typer(
    help="Vroegsignalering: partnerbestanden in, een geprioriteerde bezoeklijst per wijkteam uit.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(help="Sleutels voor pseudonimisering, kluis en archief.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

# Without a terminal (a pipe, CI, a log file) rich would wrap tables at 80 columns.
_WIDTH = None if sys.stdout.isatty() else 160
out = Console(width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)

Gemeente = Annotated[
    str | None,
    typer.Option("--gemeente", "-g", help="CBS-gemeentecode (standaard: VROEG_GEMEENTE, of de "
                 "enige geconfigureerde gemeente, of 0080).", show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print een machineleesbare samenvatting.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Toon ook Prefect's eigen logregels.")]


# ----------------------------------------------------------------------------------------------
# Plumbing
# ----------------------------------------------------------------------------------------------


def _home():
    from vroeg.settings import Home

    return Home.from_env().ensure()


def _prepare_prefect(verbose: bool) -> None:
    from flows.prefect_env import configure

    configure(_home())
    if not verbose:
        # Prefect's task-state lines stay in its own log (and UI); the terminal shows progress.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "ERROR")


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        from flows.progress import MARKER

        if getattr(record, MARKER, False):
            style = "yellow" if record.levelno >= logging.WARNING else "dim"
            err.print(f"  {record.getMessage()}", style=style, highlight=False, markup=False)


def _run_flow(label: str, verbose: bool, flow_path: str, /, **kwargs):
    """Run a flow ("module:function") with a spinner and progress lines on standard error.

    Prefect is imported here, after its environment is set: it reads its settings and configures
    logging once, at import.
    """
    import importlib

    _prepare_prefect(verbose)
    module, name = flow_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    handler = _ProgressHandler(level=logging.INFO)
    loggers = [logging.getLogger("prefect.flow_runs"), logging.getLogger("prefect.task_runs")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with err.status(f"{label} (Prefect start de eerste keer ~15 s)…"):
            return fn(**kwargs)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]Fout:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _context(gemeente: str | None):
    from privacy.keys import KeyProblem
    from vroeg.config import ConfigError
    from vroeg.context import context

    try:
        ctx = context(gemeente)
        ctx.keys  # noqa: B018 - fail early and clearly when the key is missing or unsafe
        return ctx
    except (ConfigError, KeyProblem) as exc:
        _fail(str(exc))


def _print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def _deliveries_table(rows: list[dict]) -> Table:
    table = Table(title="Leveringen", title_justify="left")
    for name in ("Bestand", "Partner", "Status", "Gelezen", "Geladen", "Quarantaine", "Dubbel"):
        table.add_column(name, justify="right" if name[0] in "GQD" and name != "Status" else "left")
    for r in rows:
        style = {"geladen": "green", "dubbel": "cyan"}.get(r["status"], "red")
        table.add_row(r["bestand"], r.get("partner") or "", f"[{style}]{r['status']}[/]",
                      str(r["rijen_gelezen"]), str(r["rijen_geladen"]),
                      str(r["rijen_quarantaine"]), str(r["rijen_dubbel"]))
    return table


def _ingest_totals(rows: list[dict]) -> dict:
    keys = ("rijen_gelezen", "rijen_geladen", "rijen_quarantaine", "rijen_dubbel")
    totals = {k: sum(r[k] for r in rows) for k in keys}
    totals["leveringen"] = len(rows)
    totals["klopt"] = all(r["klopt"] for r in rows)
    return totals


def _lists_table(run: dict) -> Table:
    outbox = Path(run["lijsten"][0]["csv"]).parent.parent if run["lijsten"] else ""
    table = Table(title=f"Bezoeklijsten {run['periode']} (run {run['run']}) in {outbox}",
                  title_justify="left")
    for name in ("Wijkteam", "Huishoudens", "Crisis", "Bestand (.csv en .xlsx)"):
        table.add_column(name, justify="right" if name in ("Huishoudens", "Crisis") else "left")
    for item in run["lijsten"]:
        csv_path = Path(item["csv"])
        table.add_row(item["wijkteam"], str(item["huishoudens"]), str(item["crisis"]),
                      f"{csv_path.parent.name}/{csv_path.stem}")
    return table


def _warn_messages(rows: list[dict]) -> None:
    for r in rows:
        if r["status"] in ("afgekeurd", "onleesbaar", "geweigerd", "mislukt") and r.get("melding"):
            err.print(f"[yellow]•[/] {r['melding']}", highlight=False)


# ----------------------------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------------------------


@keys_app.command("init")
def keys_init(gemeente: Gemeente = None) -> None:
    """Maak een nieuwe geheime sleutel voor de gemeente (in $VROEG_HOME/keys, alleen voor u leesbaar)."""
    from privacy.keys import KeyProblem, init_keys
    from vroeg.settings import default_gemeente

    home = _home()
    code = gemeente or default_gemeente(home)
    try:
        path = init_keys(home, code)
    except KeyProblem as exc:
        _fail(str(exc))
    out.print(f"Sleutel voor gemeente {code} aangemaakt: {path}")
    out.print("Maak een veilige reservekopie: zonder deze sleutel zijn pseudoniemen, kluis en "
              "archief onbruikbaar.")


@app.command()
def generate(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Map voor de bestanden "
                       "(standaard $VROEG_HOME/demo/<gemeente>).")] = None,
    seed: Annotated[int, typer.Option(help="Zelfde seed, zelfde bestanden.")] = 80,
    end: Annotated[str | None, typer.Option(help="Laatste maand JJJJ-MM (standaard de laatste "
                                            "volledige maand).")] = None,
    months: Annotated[int, typer.Option(min=1, max=36, help="Aantal maanden.")] = 6,
    signals_per_month: Annotated[int | None, typer.Option(help="Standaard 4,4 per 1000 inwoners.")] = None,
    bad_share: Annotated[float, typer.Option(min=0, max=1, help="Aandeel rijen met een fout.")] = 0.005,
    gemeente: Gemeente = None,
) -> None:
    """Schrijf synthetische leveringen van alle partners van de voorbeeldgemeente."""
    from scoring.score import Period
    from synthetic.generator import GeneratorError
    from synthetic.generator import generate as run_generator
    from vroeg.config import ConfigError, load_municipality
    from vroeg.settings import default_gemeente

    home = _home()
    code = gemeente or default_gemeente(home)
    try:
        municipality = load_municipality(home, code)
        last = end or str(Period.last_complete(municipality.timezone))
        Period.parse(last)
        report = run_generator(municipality, out_dir or home.root / "demo" / code, seed=seed,
                               end=last, months=months, signals_per_month=signals_per_month,
                               bad_row_share=bad_share)
    except (ConfigError, GeneratorError, ValueError) as exc:
        _fail(str(exc))
    out.print(report.summary())


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Bestanden om in te lezen.", exists=True,
                                                  dir_okay=False, readable=True)],
    partner: Annotated[str | None, typer.Option("--partner", "-p", help="Partner-id uit de "
                       "configuratie; zonder deze optie wordt het standaardformaat gelezen.")] = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
    gemeente: Gemeente = None,
) -> None:
    """Lees leveringen in: archiveren, valideren, pseudonimiseren en laden.

    Afsluitcode 0 als alle bestanden zijn verwerkt (ook met rijen in quarantaine), 1 als een
    bestand is afgekeurd of onleesbaar was.
    """
    ctx = _context(gemeente)
    if partner:
        from vroeg.config import ConfigError

        try:
            ctx.municipality.partner(partner)
        except ConfigError as exc:
            _fail(str(exc))
    rows = _run_flow("Leveringen inlezen", verbose, "flows.ingest:ingest_flow", gemeente=ctx.gemeente,
                     paths=[str(p.resolve()) for p in paths], partner_id=partner)
    totals = _ingest_totals(rows)
    if as_json:
        _print_json({"gemeente": ctx.gemeente, "leveringen": rows, "totaal": totals})
    else:
        out.print(_deliveries_table(rows))
        _warn_messages(rows)
        out.print(f"Totaal: {totals['rijen_gelezen']} gelezen = {totals['rijen_geladen']} geladen"
                  f" + {totals['rijen_quarantaine']} in quarantaine + {totals['rijen_dubbel']} dubbel.")
    if any(r["status"] in ("afgekeurd", "onleesbaar", "geweigerd", "mislukt") for r in rows):
        raise typer.Exit(1)


@app.command()
def run(
    period: Annotated[str | None, typer.Option("--period", help="Periode JJJJ-MM (standaard de "
                                               "laatste volledige maand).")] = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
    gemeente: Gemeente = None,
) -> None:
    """Match, scoor en publiceer de bezoeklijsten van een periode."""
    from scoring.score import Period

    ctx = _context(gemeente)
    if period:
        try:
            Period.parse(period)
        except ValueError as exc:
            _fail(str(exc))
    result = _run_flow("Matchen, scoren en publiceren", verbose, "flows.run:run_flow", gemeente=ctx.gemeente,
                       period=period)
    if as_json:
        _print_json(result)
    else:
        out.print(_lists_table(result))
        out.print(f"{result['huishoudens']} huishoudens gematcht, {result['op_lijst']} op een lijst, "
                  f"{result['crisis']} met een crisissignaal. Regelversie {result['regelversie']}.")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Seed voor de synthetische gegevens.")] = 80,
    months: Annotated[int, typer.Option(min=1, max=24, help="Aantal maanden gegevens.")] = 6,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """Genereer, lees in en publiceer voor de voorbeeldgemeente (0080), in één keer."""
    from privacy.keys import KeyProblem, init_keys, load_keys
    from vroeg.settings import DEFAULT_GEMEENTE

    home = _home()
    try:
        load_keys(home, DEFAULT_GEMEENTE)
    except KeyProblem:
        if home.key_file(DEFAULT_GEMEENTE).exists():
            raise
        path = init_keys(home, DEFAULT_GEMEENTE, development=True)
        err.print(Panel(
            f"Er was geen sleutel; er is een ONTWIKKELSLEUTEL aangemaakt in {path}.\n"
            "Alleen voor de demo met synthetische gegevens. Gebruik voor echte gegevens een "
            "nieuwe VROEG_HOME met 'vroeg keys init' en bewaar die sleutel veilig.",
            title="WAARSCHUWING", border_style="bold red"))
    result = _run_flow("Demo: genereren, inlezen, publiceren", verbose, "flows.demo:demo_flow",
                       gemeente=DEFAULT_GEMEENTE, seed=seed, months=months)
    if as_json:
        _print_json(result)
        return
    rows, run_result = result["leveringen"], result["run"]
    totals = _ingest_totals(rows)
    out.print(_deliveries_table(rows))
    _warn_messages(rows)
    out.print(_lists_table(run_result))
    summary = Table(title="Samenvatting", title_justify="left", show_header=False)
    summary.add_column(justify="left")
    summary.add_column(justify="right")
    for label, value in (
        ("Leveringen", totals["leveringen"]),
        ("Rijen gelezen", totals["rijen_gelezen"]),
        ("  geladen", totals["rijen_geladen"]),
        ("  in quarantaine", totals["rijen_quarantaine"]),
        ("  dubbel (al eerder geleverd)", totals["rijen_dubbel"]),
        (f"Huishoudens met signalen in {run_result['periode']}", run_result["huishoudens"]),
        ("  op een bezoeklijst", run_result["op_lijst"]),
        ("  met een crisissignaal", run_result["crisis"]),
        ("Bezoeklijsten geschreven", len(run_result["lijsten"])),
    ):
        summary.add_row(label, str(value))
    out.print(summary)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
