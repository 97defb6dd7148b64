"""The `vroeg` command: what data officers, coordinators and privacy officers run.

One module per group of commands, each registering itself here, so the command line grows by
adding a module. Heavy imports (Prefect, Great Expectations, DuckDB) happen inside the commands,
after Prefect has been pointed at VROEG_HOME (see common.run_flow), so `vroeg --help` is quick.
"""

from __future__ import annotations

import sys

import typer

from cli import (
    algorithm,
    collect,
    ddas_api,
    exclusions,
    keys,
    partners,
    pipeline,
    privacy,
    quarantine,
    reporting,
    serve,
)
from cli import portal as portal_cli
from cli.common import check_database, print_error, stopped
from cli.dutch import run
from vroeg.errors import DatabaseMismatch
from vroeg.process import harden

app = typer.Typer(
    help="Vroegsignalering: partnerbestanden in, een geprioriteerde bezoeklijst per wijkteam uit.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _start(ctx: typer.Context) -> None:
    # Every command starts by checking the operational database (not for help texts, which
    # must answer at once).
    if ctx.resilient_parsing or {"--help", "-h"} & set(sys.argv[1:]):
        return
    check_database()


pipeline.register(app)
app.add_typer(keys.app, name="keys")
app.add_typer(partners.app, name="partners")
quarantine.register(app)
collect.register(app)
privacy.register(app)
portal_cli.register(app)
algorithm.register(app)
reporting.register(app)
serve.register(app)
app.add_typer(exclusions.app, name="exclusions")
app.add_typer(ddas_api.app, name="ddas-api")


def main() -> None:
    # Before anything is imported: no telemetry (vroeg/process.py).
    harden()
    try:
        # Typer's own messages (usage errors, help titles) in Dutch like the rest (cli/dutch.py).
        run(app)
    except DatabaseMismatch as exc:  # found later than at the start (e.g. a database switched)
        print_error(str(exc))
        sys.exit(1)
    except Exception as error:
        message = stopped(error)
        if message is None:
            raise
        # One sentence, exit code 1: a full disk or a missing table is not a defect, and its
        # traceback would only bury the cause (and could quote a statement or a path).
        print_error(message)
        sys.exit(1)
