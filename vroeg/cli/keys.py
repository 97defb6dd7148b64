"""`vroeg keys`: the municipality's secret key."""

from __future__ import annotations

import typer

from vroeg.cli.common import Gemeente, fail, home, out

app = typer.Typer(help="Sleutels voor pseudonimisering, kluis en archief.", no_args_is_help=True)


@app.command("init")
def keys_init(gemeente: Gemeente = None) -> None:
    """Maak een nieuwe geheime sleutel voor de gemeente (in $VROEG_HOME/keys, alleen voor u leesbaar)."""
    from privacy.keys import KeyProblem, init_keys
    from vroeg.settings import default_gemeente

    state = home()
    code = gemeente or default_gemeente(state)
    try:
        path = init_keys(state, code)
    except KeyProblem as exc:
        fail(str(exc))
    out.print(f"Sleutel voor gemeente {code} aangemaakt: {path}")
    out.print("Maak een veilige reservekopie: zonder deze sleutel zijn pseudoniemen, kluis en "
              "archief onbruikbaar.")
