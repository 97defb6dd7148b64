"""`vroeg serve`: register the scheduled flows with Prefect and run them until stopped."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.table import Table

from cli.common import ProgressHandler, context_or_exit, err, home, out, prepare_prefect
from flows.prefect_env import start_temporary_server


def register(app: typer.Typer) -> None:
    app.command()(serve)


def serve(
    gemeenten: Annotated[list[str] | None, typer.Option(
        "--gemeente", "-g", help="CBS-gemeentecode (herhaalbaar; standaard: elke gemeente in "
        "$VROEG_HOME/config, of de voorbeeldgemeente).", show_default=False)] = None,
    limit: Annotated[int | None, typer.Option(help="Hoogstens zoveel runs tegelijk.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Toon Prefect's eigen "
                                          "logregels.")] = False,
) -> None:
    """Plan de flows volgens de configuratie en voer ze uit tot u stopt (Ctrl-C).

    Per gemeente: leveringen ophalen (inbox en databases), de run (matchen en publiceren; zo vaak
    als operations.cadence zegt) en de bewaartermijnen. Daarnaast kijkt serve elke minuut
    (operations.inbox_poll_seconds) in de inboxmappen en haalt een nieuw bestand meteen op. Met
    PREFECT_API_URL naar een Prefect-server ziet u de flows in de UI en met 'prefect deployment
    ls'; 'prefect deployment run matchen-en-publiceren/0080' start een run met de hand.
    """
    codes = gemeenten or home().municipalities()
    contexts = [context_or_exit(code) for code in codes]  # refuse without a usable key
    prepare_prefect(verbose)
    with err.status("Prefect start (~15 s)…"):
        # Without PREFECT_API_URL: a temporary server that stops with this command, also when
        # it is killed outright (flows/temporary_server.py).
        start_temporary_server()
    # Prefect reads its settings at import: only now that prepare_prefect has set them.
    from flows.serve import SCHEDULED, flow_of
    from flows.serve import serve as run_serve

    table = Table(title="Geplande flows", title_justify="left")
    for name in ("Deployment", "Schema (cron)", "Tijdzone"):
        table.add_column(name, justify="left")
    for ctx in contexts:
        for path, field in SCHEDULED:
            table.add_row(f"{flow_of(path).name}/{ctx.gemeente}",
                          ctx.municipality.operations.cron(field), ctx.municipality.timezone)
    out.print(table)
    err.print("Bezig; stop met Ctrl-C. Gestopt worden de schema's gepauzeerd.", style="dim")
    # The inbox watcher's lines (a file picked up, a file left behind) on the terminal.
    watcher_log = logging.getLogger("vroeg")
    watcher_log.addHandler(ProgressHandler(level=logging.INFO))
    if watcher_log.getEffectiveLevel() > logging.INFO:
        watcher_log.setLevel(logging.INFO)
    run_serve([ctx.municipality for ctx in contexts], limit=limit, home=contexts[0].home)
