"""`vroeg keys`: the municipality's secret key."""

from __future__ import annotations

import typer

from cli.common import AsJson, Gemeente, Verbose, fail, home, out, print_json, run_flow
from vroeg.settings import default_gemeente

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): privacy.keys
# (cryptography; `vroeg keys rotate` runs a flow).

app = typer.Typer(help="Sleutels voor pseudonimisering, kluis en archief.", no_args_is_help=True)


# The summaries below are one line each on purpose: the command list of `vroeg keys --help` keeps
# a line break in a docstring's first paragraph.
@app.command("init")
def keys_init(gemeente: Gemeente = None) -> None:
    """Maak een nieuwe geheime sleutel voor de gemeente (in $VROEG_HOME/keys, alleen voor u leesbaar)."""  # noqa: E501
    from privacy.keys import KeyProblem, init_keys

    state = home()
    code = gemeente or default_gemeente(state)
    try:
        path = init_keys(state, code)
    except KeyProblem as exc:
        fail(str(exc))
    out.print(f"Sleutel voor gemeente {code} aangemaakt: {path}")
    out.print("Maak een veilige reservekopie: zonder deze sleutel zijn pseudoniemen, kluis en "
              "archief onbruikbaar.")


@app.command("rotate")
def keys_rotate(as_json: AsJson = False, verbose: Verbose = False,
                gemeente: Gemeente = None) -> None:
    """Maak een nieuwe sleutelversie en hersleutel kluis, pakhuis en archief (hervat na een onderbreking).

    Tijdens de rotatie start niets anders voor deze gemeente. Oude sleutelversies blijven in het
    sleutelbestand: het logboek is ermee vastgelegd.
    """  # noqa: E501
    from privacy.keys import KeyProblem, load_keys

    state = home()
    code = gemeente or default_gemeente(state)
    try:
        load_keys(state, code, allow_pending=True)
    except KeyProblem as exc:
        fail(str(exc))
    result = run_flow("Sleutelrotatie", verbose, "flows.rotation:rotation_flow", gemeente=code)
    if as_json:
        print_json(result)
        return
    out.print(f"Sleutel van gemeente {code} geroteerd: versie {result['van_versie']} -> "
              f"{result['naar_versie']}.")
    for step in ("kluis", "pakhuis", "archief", "activeren"):
        counts = result.get(step) or {}
        if counts:
            out.print(f"  {step}: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
                      highlight=False)
    out.print("Maak een nieuwe reservekopie van het sleutelbestand.")
