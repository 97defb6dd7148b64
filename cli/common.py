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
import unicodedata
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.prompt import Confirm, InvalidResponse
from rich.table import Table
from rich.text import Text

from flows.prefect_env import configure
from flows.runner import MARKER
from vroeg.errors import RunInProgress
from vroeg.opsdb.statuses import PROBLEMS, DeliveryStatus, NotReceived
from vroeg.safety import StepFailed, fault_of
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
# Text from deliveries
# ----------------------------------------------------------------------------------------------

#: Unicode categories never printed as they are: control characters (ESC starts sequences that
#: clear the screen, set the window title or hide text), format characters (bidirectional
#: overrides that reorder what is shown) and line and paragraph separators.
_UNPRINTABLE = {"Cc", "Cf", "Zl", "Zp"}


def inert(value: object, style: str = "") -> Text:
    """Text that came from outside (a delivery: names, addresses, headers, file names, and any
    message that may quote them), made harmless for the terminal.

    Rich markup in it is not interpreted (a resident named `[/]` would otherwise crash the
    print, `[link=...]` would become a link), and every control or format character is shown
    escaped (`\\x1b`, `\\u202e`) instead of being sent to the terminal. Use it for every value
    of a delivery the CLI prints; the CLI's own words may keep their markup around it.
    """
    text = "" if value is None else str(value)
    if any(unicodedata.category(c) in _UNPRINTABLE for c in text):
        text = "".join(c.encode("unicode_escape").decode("ascii")
                       if unicodedata.category(c) in _UNPRINTABLE else c for c in text)
    return Text(text, style=style)


def inert_lines(text: str) -> Text:
    """A multi-line text (a report) made inert line by line, its line breaks kept."""
    return Text("\n").join(inert(line) for line in text.split("\n"))


# ----------------------------------------------------------------------------------------------
# Plumbing
# ----------------------------------------------------------------------------------------------


def home():
    return Home.from_env().ensure()


def prepare_prefect(verbose: bool) -> None:
    configure(home())
    if not verbose:
        # Prefect's task-state lines stay in its own log (and UI); the terminal shows progress.
        # Its failure lines too (each with a traceback): the command ends with one sentence
        # saying what failed (`stopped`).
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


class ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, MARKER, False):
            style = "yellow" if record.levelno >= logging.WARNING else "dim"
            err.print(inert(f"  {record.getMessage()}"), style=style, highlight=False)


def run_flow(label: str, verbose: bool, flow_path: str, /, **kwargs):
    """Run a flow ("module:function"), or a function that starts one, with a spinner and
    progress lines on standard error.

    With a Prefect server configured (PREFECT_API_URL) the flow runs through it and appears in
    its UI; without one it runs directly in this process and Prefect is not even imported
    (flows.runner; docs/design.md says why). Either way Prefect's settings are set first: it
    reads them once, at import.
    """
    prepare_prefect(verbose)
    module, name = flow_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    handler = ProgressHandler(level=logging.INFO)
    # Prefect's run loggers inside a Prefect run; the `vroeg` logger in a direct run.
    loggers = [logging.getLogger(n) for n in ("prefect.flow_runs", "prefect.task_runs", "vroeg")]
    vroeg_logger = loggers[-1]
    level = vroeg_logger.level
    if vroeg_logger.getEffectiveLevel() > logging.INFO:
        vroeg_logger.setLevel(logging.INFO)
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with err.status(f"{label}…"):
            return fn(**kwargs)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        vroeg_logger.setLevel(level)


def stopped(error: BaseException) -> str | None:
    """What to tell the user when a command stops on `error`: a run of the month still working,
    a step that failed (its message
    is scrubbed of data, vroeg.safety) or a store's fault (a full or read-only disk, a missing
    table: the cause and the store in words). None for anything else, a defect, whose
    traceback is then shown."""
    if isinstance(error, StepFailed | RunInProgress):
        return str(error)
    fault = fault_of(error)
    return fault.sentence() if fault is not None else None


def print_error(message: str) -> None:
    # The message may quote a file name or header from a delivery: printed inert.
    err.print(Text.assemble(("Fout:", "bold red"), " ", inert(message)), highlight=False)


def fail(message: str, code: int = 2) -> None:
    print_error(message)
    raise typer.Exit(code)


class _JaNee(Confirm):
    """rich's yes/no question in Dutch: "[j/n]", answered j, ja, n or nee (y and yes count as
    ja, no as nee: a hand used to English should not have to answer twice)."""

    choices = ["j", "n"]
    validate_error_message = "[prompt.invalid]Antwoord j (ja) of n (nee)."

    def process_response(self, value: str) -> bool:
        answer = value.strip().lower()
        if answer in ("j", "ja", "y", "yes"):
            return True
        if answer in ("n", "nee", "no"):
            return False
        raise InvalidResponse(self.validate_error_message)


def confirm_or_abort(question: str) -> None:
    """Ask on the terminal before something that cannot be undone; anything but yes (also an
    empty answer or no input at all) stops the command with "Afgebroken." and exit code 1."""
    try:
        agreed = _JaNee.ask(inert(question), console=err, default=False)
    except EOFError:
        agreed = False
    if not agreed:
        raise typer.Abort()


def check_database() -> None:
    """Before a command does anything: is the operational database one this version can use
    (vroeg.opsdb.schema_check)? If not, say so in Dutch with what to do, and exit 1, before
    Prefect or the portal start and fail with a traceback."""
    from vroeg.errors import DatabaseMismatch
    from vroeg.opsdb.schema_check import check

    try:
        check(Home.from_env().database_url)
    except DatabaseMismatch as exc:
        fail(str(exc), code=1)


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
        table.add_row(inert(r["bestand"]), inert(r.get("partner")), inert(r["status"], style),
                      str(r["rijen_gelezen"]), str(r["rijen_geladen"]),
                      str(r["rijen_quarantaine"]), str(r["rijen_dubbel"]))
    return table


def ingest_totals(rows: list[dict]) -> dict:
    keys = ("rijen_gelezen", "rijen_geladen", "rijen_quarantaine", "rijen_dubbel")
    totals = {k: sum(r[k] for r in rows) for k in keys}
    totals["leveringen"] = len(rows)
    totals["klopt"] = all(r["klopt"] for r in rows)
    # The crisis lane (flows.crisis): households published in the same command.
    totals["crisishuishoudens"] = sum(r.get("crisis", {}).get("toegevoegd", 0) for r in rows)
    return totals


def crisis_lines(rows: list[dict]) -> list[str]:
    """What the crisis lane did with these deliveries, one sentence per list (Dutch)."""
    lines = []
    for r in rows:
        crisis = r.get("crisis")
        if not crisis:
            continue
        for item in crisis["lijsten"]:
            lines.append(f"Crisisroute: {item['toegevoegd']} crisishuishouden(s) toegevoegd aan "
                         f"de bezoeklijst van {item['wijkteam']} ({item['periode']}, versie "
                         f"{item['versie']}); de coördinatoren zijn gewaarschuwd.")
        if crisis.get("melding"):
            lines.append(f"Crisisroute: nog niet gepubliceerd: {crisis['melding']}")
        elif not crisis["lijsten"]:
            lines.append(f"Crisisroute: geen nieuwe crisishuishoudens voor "
                         f"{', '.join(crisis['perioden'])} (al op de lijst, uitgesloten of "
                         "herhaling).")
    return lines


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
            err.print(Text.assemble(("•", "yellow"), " ", inert(r["melding"])), highlight=False)


