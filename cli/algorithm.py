"""`vroeg algorithm-card`: the current priority model, described for the Algoritmeregister."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import AsJson, Gemeente, err, fail, home, out, print_json
from vroeg.settings import default_gemeente

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): scoring.card
# (DuckDB), vroeg.config (pydantic, YAML).


def register(app: typer.Typer) -> None:
    app.command(name="algorithm-card")(algorithm_card)


def algorithm_card(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Map voor de kaart (standaard "
                       "$VROEG_HOME/algoritmekaart/<gemeente>).", file_okay=False)] = None,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Schrijf de algoritmekaart (Markdown en JSON) van het huidige model.

    Doel, grondslag, gegevens, elke regel en elk gewicht, uitsluitingen, menselijke
    tussenkomst, versie en hash (dezelfde versie staat op elke gepubliceerde lijst).
    """
    from scoring.card import card, write_card
    from vroeg.config import ConfigError, load_municipality

    state = home()
    code = gemeente or default_gemeente(state)
    try:
        municipality = load_municipality(state, code)
    except ConfigError as exc:
        fail(str(exc))
    folder = out_dir or state.root / "algoritmekaart" / code
    md_path, json_path = write_card(municipality, folder)
    if as_json:
        print_json({**card(municipality), "bestanden": {"md": str(md_path),
                                                         "json": str(json_path)}})
        return
    data = card(municipality)
    out.print(f"Algoritmekaart versie [bold]{data['versie']}[/] ({data['hash']})")
    out.print(f"  {md_path}\n  {json_path}", highlight=False)
    err.print("Elke gepubliceerde lijst noemt op het blad Toelichting de regelversie; die is "
              "gelijk aan deze versie zolang de configuratie niet verandert.", style="dim")
