"""Shared plumbing of the `vroeg` command: consoles, options, running a flow, tables.

Heavy imports happen inside the commands, in every module of this package: Prefect only after it
has been pointed at VROEG_HOME (`prepare_prefect`), so it never writes to ~/.prefect; and the
modules built on Great Expectations, DuckDB, polars, SQLAlchemy or pydantic (vroeg.config, the
privacy machinery, the portal), so that `vroeg --help` stays quick. Light modules are imported at
the top.
Human output goes to the terminal in Dutch; `--json` prints one machine-readable document on
standard output and nothing else there (progress goes to standard error).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.prefect_env import configure
from vroeg.opsdb.statuses import PROBLEMS, DeliveryStatus, NotReceived
from vroeg.settings import Home

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
Verbose = Annotated[bool, typer.Option("--verbose", "-v",
                                       help="Toon ook Prefect's eigen logregels.")]


# ----------------------------------------------------------------------------------------------
# Plumbing
# ----------------------------------------------------------------------------------------------


def home():
    return Home.from_env().ensure()


def prepare_prefect(verbose: bool) -> None:
    configure(home())
    if not verbose:
        # Prefect's task-state lines stay in its own log (and UI); the terminal shows progress.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "ERROR")


class ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        from flows.progress import MARKER  # imports Prefect: only once prepare_prefect has run

        if getattr(record, MARKER, False):
            style = "yellow" if record.levelno >= logging.WARNING else "dim"
            err.print(f"  {record.getMessage()}", style=style, highlight=False, markup=False)


def run_flow(label: str, verbose: bool, flow_path: str, /, **kwargs):
    """Run a flow ("module:function") with a spinner and progress lines on standard error.

    Prefect is imported here, after its environment is set: it reads its settings and configures
    logging once, at import.
    """
    prepare_prefect(verbose)
    module, name = flow_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    handler = ProgressHandler(level=logging.INFO)
    loggers = [logging.getLogger("prefect.flow_runs"), logging.getLogger("prefect.task_runs")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with err.status(f"{label} (Prefect start de eerste keer ~15 s)…"):
            return fn(**kwargs)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]Fout:[/] {message}", highlight=False)
    raise typer.Exit(code)


def context_or_exit(gemeente: str | None):
    from privacy.context import context
    from privacy.keys import KeyProblem
    from vroeg.config import ConfigError

    try:
        ctx = context(gemeente)
        ctx.keys  # noqa: B018 - fail early and clearly when the key is missing or unsafe
        return ctx
    except (ConfigError, KeyProblem) as exc:
        fail(str(exc))


def print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def deliveries_table(rows: list[dict]) -> Table:
    table = Table(title="Leveringen", title_justify="left")
    for name in ("Bestand", "Partner", "Status", "Gelezen", "Geladen", "Quarantaine", "Dubbel"):
        table.add_column(name, justify="right" if name[0] in "GQD" and name != "Status" else "left")
    for r in rows:
        style = {DeliveryStatus.GELADEN: "green", DeliveryStatus.DUBBEL: "cyan",
                 NotReceived.LEEG: "dim"}.get(r["status"], "red")
        table.add_row(r["bestand"], r.get("partner") or "", f"[{style}]{r['status']}[/]",
                      str(r["rijen_gelezen"]), str(r["rijen_geladen"]),
                      str(r["rijen_quarantaine"]), str(r["rijen_dubbel"]))
    return table


def ingest_totals(rows: list[dict]) -> dict:
    keys = ("rijen_gelezen", "rijen_geladen", "rijen_quarantaine", "rijen_dubbel")
    totals = {k: sum(r[k] for r in rows) for k in keys}
    totals["leveringen"] = len(rows)
    totals["klopt"] = all(r["klopt"] for r in rows)
    return totals


def lists_table(run: dict) -> Table:
    outbox = Path(run["lijsten"][0]["csv"]).parent.parent if run["lijsten"] else ""
    table = Table(title=f"Bezoeklijsten {run['periode']} (run {run['run']}) in {outbox}",
                  title_justify="left")
    for name in ("Wijkteam", "Huishoudens", "Crisis", "Wachtlijst", "Versie",
                 "Bestand (.csv en .xlsx)"):
        table.add_column(name, justify="left" if name[0] in "WBV" and name != "Wachtlijst"
                         else "right")
    for item in run["lijsten"]:
        csv_path = Path(item["csv"])
        # "2 (nieuw)": this run replaced the month's list; "1 (ongewijzigd)": it left it as it was.
        state = {"ongewijzigd": "ongewijzigd", "nieuwe versie": "nieuw"}.get(item.get("status"))
        version = f"{item.get('versie', 1)}" + (f" ({state})" if state else "")
        table.add_row(item["wijkteam"], str(item["huishoudens"]), str(item["crisis"]),
                      str(item.get("wachtlijst", 0)), version,
                      f"{csv_path.parent.name}/{csv_path.stem}")
    return table


def warn_messages(rows: list[dict]) -> None:
    for r in rows:
        if r["status"] in PROBLEMS and r.get("melding"):
            err.print(f"[yellow]•[/] {r['melding']}", highlight=False)


