"""The `vroeg` command: what data officers, coordinators and privacy officers run.

One module per group of commands, each registering itself here, so the command line grows by
adding a module. Heavy imports (Prefect, Great Expectations, DuckDB) happen inside the commands,
after Prefect has been pointed at VROEG_HOME (see common.run_flow), so `vroeg --help` is quick.
"""

from __future__ import annotations

import typer

from cli import (
    algorithm,
    collect,
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
from cli.common import fail, stopped
from vroeg.process import harden

app = typer.Typer(
    help="Vroegsignalering: partnerbestanden in, een geprioriteerde bezoeklijst per wijkteam uit.",
    no_args_is_help=True,
    add_completion=False,
)
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


def main() -> None:
    # Before anything is imported: no telemetry (vroeg/process.py).
    harden()
    try:
        app()
    except Exception as error:
        message = stopped(error)
        if message is None:
            raise
        # One sentence, exit code 1: a full disk or a missing table is not a defect, and its
        # traceback would only bury the cause (and could quote a statement or a path).
        try:
            fail(message, code=1)
        except typer.Exit as exit_:
            raise SystemExit(exit_.exit_code) from None
