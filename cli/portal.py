"""`vroeg portal` starts the web portal; `vroeg users` manages its accounts.

Passwords are read from standard input (asked twice, hidden, at a terminal; the first line when
piped), never from arguments: arguments end up in shell history and process lists.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from cli.common import Gemeente, context_or_exit, err, fail, home, out
from vroeg.formats import moment_nl
from vroeg.settings import default_gemeente

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): the portal
# (FastAPI, uvicorn, SQLAlchemy), vroeg.config (pydantic, YAML).

users_app = typer.Typer(help="Accounts van de portal: toevoegen, verwijderen, wachtwoord "
                             "vervangen.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("portal")(portal)
    app.add_typer(users_app, name="users")


def portal(
    host: Annotated[str, typer.Option(help="Adres om op te luisteren.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Poort.")] = 8080,
    gemeente: Gemeente = None,
    insecure_cookies: Annotated[bool, typer.Option(
        "--insecure-cookies", help="Cookies ook over gewoon HTTP (alleen om te testen op een "
        "andere host dan localhost; nooit in productie).")] = False,
    trusted_proxy: Annotated[list[str] | None, typer.Option(
        "--trusted-proxy", help="Adres van een TLS-proxy ervoor (herhaalbaar): dan tellen "
        "X-Forwarded-For/-Proto voor het IP-adres en https.")] = None,
) -> None:
    """Start de portal voor coördinatoren, privacyfunctionarissen en data-officers."""
    import uvicorn

    from portal import accounts
    from portal.app import create_app
    from portal.settings import PortalSettings
    from vroeg.opsdb import db

    ctx = context_or_exit(gemeente)
    overrides = {"secure_cookies": False} if insecure_cookies else {}
    settings = PortalSettings.from_env(ctx.gemeente, ctx.database_url, **overrides)
    db.set_lock_wait(settings.lock_wait_s)  # before the portal's first connection
    app = create_app(settings, ctx)
    if not accounts.list_users(ctx.database_url, ctx.gemeente):
        err.print("[yellow]Er is nog geen account.[/] Maak er een met bijvoorbeeld:\n"
                  f"  vroeg users add beheer --role admin --gemeente {ctx.gemeente}",
                  highlight=False)
    out.print(f"Portal voor {ctx.municipality.name} ({ctx.gemeente}) op http://{host}:{port}/ "
              "— stoppen met Ctrl+C.", highlight=False)
    uvicorn.run(app, host=host, port=port, server_header=False, date_header=False,
                proxy_headers=bool(trusted_proxy),
                forwarded_allow_ips=",".join(trusted_proxy) if trusted_proxy else None,
                log_level="warning")


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        second = getpass.getpass("Nogmaals: ")
        if first != second:
            fail("De twee wachtwoorden zijn niet gelijk.")
        return first
    line = sys.stdin.readline()
    if not line:
        fail("Geen wachtwoord op standaardinvoer. Bijvoorbeeld: "
             "printf '%s\\n' \"$WACHTWOORD\" | vroeg users add ...")
    return line.rstrip("\r\n")


def _setup(gemeente: str | None):
    from vroeg.config import ConfigError, load_municipality

    state = home()
    code = gemeente or default_gemeente(state)
    try:
        return state, load_municipality(state, code)
    except ConfigError as exc:
        fail(str(exc))


def _system_user() -> str:
    """Who runs `vroeg users`, for the audit line of an account change: the login name of the
    system account (there is no portal account behind a shell)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): the uid still says who
        return f"uid-{os.getuid()}"


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(
        metavar="NAAM", help="Gebruikersnaam, bijvoorbeeld j.devries.")],
    role: Annotated[list[str], typer.Option("--role", "-r", help="coordinator, privacy, data of "
                                            "admin (herhaalbaar).")],
    team: Annotated[list[str] | None, typer.Option("--team", "-t", help="Wijkteamcode, voor een "
                                                   "coördinator (herhaalbaar).")] = None,
    gemeente: Gemeente = None,
) -> None:
    """Maak een account; het wachtwoord komt van standaardinvoer."""
    from portal import accounts

    ctx = context_or_exit(gemeente)  # the audit key: the change is written to the audit trail
    municipality = ctx.municipality
    password = _read_password(f"Wachtwoord voor {name}")
    try:
        account = accounts.add_user(ctx.database_url, municipality.code, name, password, role,
                                    team or [], [t.code for t in municipality.wijkteams],
                                    audit=ctx.audit, by=_system_user(), via="cli")
    except accounts.AccountError as exc:
        fail(str(exc))
    teams = f", wijkteams {', '.join(account.teams)}" if account.teams else ""
    out.print(f"Account {account.name} aangemaakt voor {municipality.name}: "
              f"{', '.join(accounts.ROLES[r] for r in account.roles)}{teams}.", highlight=False)


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(
        metavar="NAAM", help="Gebruikersnaam.")],
                 gemeente: Gemeente = None) -> None:
    """Verwijder een account; open sessies worden direct beëindigd."""
    from portal import accounts

    ctx = context_or_exit(gemeente)
    try:
        accounts.remove_user(ctx.database_url, ctx.gemeente, name, audit=ctx.audit,
                             by=_system_user(), via="cli")
    except accounts.AccountError as exc:
        fail(str(exc))
    out.print(f"Account {accounts.normalise_name(name)} verwijderd.", highlight=False)


@users_app.command("reset")
def users_reset(name: Annotated[str, typer.Argument(
        metavar="NAAM", help="Gebruikersnaam.")],
                gemeente: Gemeente = None) -> None:
    """Vervang het wachtwoord (van standaardinvoer); beëindigt sessies en heft een blokkade op."""
    from portal import accounts

    ctx = context_or_exit(gemeente)
    password = _read_password(f"Nieuw wachtwoord voor {name}")
    try:
        accounts.set_password(ctx.database_url, ctx.gemeente, name, password, audit=ctx.audit,
                              by=_system_user(), via="cli")
    except accounts.AccountError as exc:
        fail(str(exc))
    out.print(f"Wachtwoord van {accounts.normalise_name(name)} vervangen; open sessies zijn "
              "beëindigd.", highlight=False)


@users_app.command("list")
def users_list(gemeente: Gemeente = None) -> None:
    """Toon de accounts met hun rollen en wijkteams."""
    from portal import accounts

    state, municipality = _setup(gemeente)
    table = Table(title=f"Accounts van de portal ({municipality.name})", title_justify="left")
    for column in ("Naam", "Rollen", "Wijkteams", "Wachtwoord gewijzigd"):
        table.add_column(column)
    for a in accounts.list_users(state.database_url, municipality.code):
        table.add_row(a.name, ", ".join(a.roles), ", ".join(a.teams),
                      moment_nl(a.password_changed_at, municipality.timezone))
    out.print(table)
