"""`vroeg exclusions`: load the exclusion lists a municipality supplies, and see what is loaded.

A list holds personal data (BSNs, names, addresses). It is pseudonymised on load and only the
pseudonyms are kept in the warehouse; `--remove` deletes the clear file after a good load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import AsJson, Gemeente, context_or_exit, fail, out, print_json
from vroeg.formats import moment_nl

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): scoring
# (DuckDB), privacy.audit (polars, SQLAlchemy).

app = typer.Typer(help="Uitsluitingslijsten (overleden, verhuisd, schuldhulp, veiligheid, "
                       "hoeft geen hulp): laden als pseudoniemen en bekijken.",
                  no_args_is_help=True)


@app.command()
def load(
    lijst: Annotated[str, typer.Argument(
        metavar="LIJST", help="Code van de lijst uit gemeente.yaml "
        "(exclusions), bijv. overleden.")],
    path: Annotated[Path, typer.Argument(
        metavar="BESTAND", help="Het bestand (CSV met kopregel).", exists=True,
        dir_okay=False, readable=True)],
    remove: Annotated[bool, typer.Option("--remove", help="Verwijder het bestand na een "
                                         "geslaagde lading.")] = False,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Laad een uitsluitingslijst: vervangt de vorige versie; bewaart alleen pseudoniemen."""
    from privacy.audit import new_trace_id
    from scoring import exclusions, warehouse

    ctx = context_or_exit(gemeente)
    config = {x.code: x for x in ctx.municipality.exclusions}
    if lijst not in config:
        fail(f"Onbekende lijst '{lijst}'; geconfigureerd: {', '.join(config) or 'geen'}.")
    if config[lijst].from_cases:
        fail(f"Lijst '{lijst}' komt uit de casussen in het portaal en wordt bij elke run "
             "bijgewerkt; er is geen bestand te laden.")
    try:
        with ctx.audit.operation("uitsluitingslijst-laden", new_trace_id(), lijst=lijst) as op:
            with warehouse.connect(ctx.warehouse_path, write=True) as con:
                loaded = exclusions.load_file(con, path, config[lijst], ctx.keys)
            op.attributes.update(bestand_mac=loaded.mac, personen=loaded.persons,
                                 adressen=loaded.addresses)
    except exclusions.ExclusionListError as exc:
        fail(exc.message, code=1)
    if remove:
        path.unlink()
    result = {"lijst": lijst, "bestand": loaded.filename, "bestand_mac": loaded.mac,
              "personen": loaded.persons, "adressen": loaded.addresses, "verwijderd": remove}
    if as_json:
        print_json(result)
    else:
        out.print(f"Lijst {lijst} geladen: {loaded.persons} personen en {loaded.addresses} "
                  f"adressen, als pseudoniemen."
                  + ("" if remove else " Verwijder het bestand als u het niet meer nodig heeft "
                                       "(of gebruik --remove)."))


@app.command()
def status(as_json: AsJson = False, gemeente: Gemeente = None) -> None:
    """Toon per geconfigureerde lijst wanneer en met hoeveel regels ze is geladen."""
    from scoring import exclusions, warehouse

    ctx = context_or_exit(gemeente)
    with warehouse.connect(ctx.warehouse_path) as con:
        loaded = exclusions.loaded_lists(con)
    rows = []
    for x in ctx.municipality.exclusions:
        item = loaded.get(x.code)
        rows.append({"lijst": x.code, "naam": x.name, "verplicht": x.required,
                     "geladen_op": (item["geladen_op"].isoformat(timespec="seconds") if item
                                    else None),
                     "personen": item["personen"] if item else 0,
                     "adressen": item["adressen"] if item else 0})
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"Uitsluitingslijsten gemeente {ctx.gemeente}", title_justify="left")
    for name in ("Lijst", "Wat", "Verplicht", "Geladen op", "Personen", "Adressen"):
        table.add_column(name, justify="right" if name in ("Personen", "Adressen") else "left")
    for r in rows:
        table.add_row(r["lijst"], r["naam"], "ja" if r["verplicht"] else "nee",
                      moment_nl(r["geladen_op"], ctx.municipality.timezone) or "[red]nooit[/]",
                      str(r["personen"]), str(r["adressen"]))
    out.print(table)
