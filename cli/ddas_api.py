"""`vroeg ddas-api serve` (the API CBS calls, docs/reporting.md) and `vroeg ddas-api test-pki`
(a complete self-signed test set)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from cli.common import AsJson, context_or_exit, err, fail, home, out, print_json

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): reporting
# (DuckDB, polars), uvicorn, cryptography and joserfc.

app = typer.Typer(help="De DDAS-API die CBS aanroept: POST /gegevens, ondertekend, gepagineerd, "
                       "met mTLS en access tokens.", no_args_is_help=True)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Adres om op te luisteren.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Poort.")] = 8443,
    config: Annotated[Path | None, typer.Option(
        "--config", help="Instellingenbestand (standaard VROEG_DDAS_API_CONFIG of "
        "$VROEG_HOME/config/ddas-api.yaml).", dir_okay=False, show_default=False)] = None,
) -> None:
    """Start de DDAS-API (POST /gegevens) voor elke gemeente van deze installatie."""
    from reporting.ddas_api import settings as api_settings
    from reporting.ddas_api.app import Served
    from reporting.ddas_api.server import serve as run
    from reporting.ddas_export import DEFAULT_SUPPLIER
    from vroeg.config import ConfigError

    state = home()
    try:
        settings = api_settings.load(api_settings.config_path(state, config))
    except ConfigError as exc:
        fail(str(exc))
    codes = settings.gemeenten or state.municipalities()
    contexts = [context_or_exit(code) for code in codes]
    supplier = (settings.supplier or os.environ.get("VROEG_DDAS_LEVERANCIER")
                or DEFAULT_SUPPLIER)
    if settings.is_test:
        err.print("[bold yellow]Let op:[/] testinstellingen (environment: test): alleen voor "
                  "een test, nooit met echte gegevens naar CBS.", highlight=False)
    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.WARNING)
    names = ", ".join(f"{c.municipality.name} ({c.gemeente})" for c in contexts)
    out.print(f"DDAS-API voor {names} op https://{host}:{port}/gegevens — stoppen met Ctrl+C.",
              highlight=False)
    run(Served(settings, contexts, supplier, state.database_url), host, port)


@app.command("test-pki")
def test_pki(
    folder: Annotated[Path, typer.Argument(metavar="MAP", help="Map voor de testset (wordt "
                                           "aangemaakt, 0700).", file_okay=False)],
    as_json: AsJson = False,
) -> None:
    """Maak een complete testset met zelfondertekende certificaten, zoals de FSC-demogroep.

    Een CA, het TLS-certificaat van de server, het ondertekeningscertificaat van de gemeente,
    CBS' client- en ondertekeningscertificaat, een tokenuitgever en een token dat een uur geldig
    is; alles 0600. Productie-instellingen weigeren deze certificaten.
    """
    from reporting.ddas_api import testset

    made = testset.make(folder)
    if as_json:
        print_json(made.as_json())
        return
    out.print(f"Testset gemaakt in {made.folder} (alle bestanden 0600).", highlight=False)
    out.print(f"Start de API met: vroeg ddas-api serve {' '.join(made.serve_args)}",
              highlight=False)
    out.print("Het access token voor CBS staat in token.txt (een uur geldig).")
