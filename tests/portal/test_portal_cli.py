"""`vroeg users` and `vroeg portal` on the command line: passwords from standard input only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"
SECRET = "Een-lang-geheim-2026"


@pytest.mark.parametrize("command", [["portal"], ["users"], ["users", "add"], ["users", "remove"],
                                     ["users", "reset"], ["users", "list"]])
def test_every_portal_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_portal_command_has_host_and_port_defaults():
    import inspect

    from cli.portal import portal

    parameters = inspect.signature(portal).parameters
    assert parameters["host"].default == "127.0.0.1" and parameters["port"].default == 8080


def test_users_add_reads_the_password_from_standard_input_in_a_real_process(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VROEG_")}
    env["VROEG_HOME"] = str(home.root)
    result = subprocess.run([VROEG, "users", "add", "j.devries", "--role", "coordinator",
                             "--team", "wt-centrum", "--team", "wt-oost"], input=SECRET + "\n",
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Account j.devries aangemaakt" in result.stdout
    assert SECRET not in result.stdout + result.stderr

    from vroeg.opsdb import db
    from vroeg.opsdb.models import PortalUser

    with db.session(home.database_url) as s:
        user = s.scalars(select(PortalUser).where(PortalUser.name == "j.devries")).one()
        assert user.password_hash.startswith("$argon2id$")
        assert SECRET not in user.password_hash
        assert [t.wijkteam for t in user.teams] == ["wt-centrum", "wt-oost"]
        assert [r.role for r in user.roles] == ["coordinator"]


def test_users_add_list_reset_remove(home):
    from portal import accounts, security
    from portal.settings import PortalSettings

    add = runner.invoke(app, ["users", "add", "P.Officer", "--role", "privacy"],
                        input=SECRET + "\n")
    assert add.exit_code == 0, add.output
    listed = runner.invoke(app, ["users", "list"])
    assert "p.officer" in listed.output and "privacy" in listed.output

    settings = PortalSettings(gemeente="0080", database_url=home.database_url)
    assert security.attempt_login(settings, "p.officer", SECRET, "127.0.0.1").user_id
    user_id = security.attempt_login(settings, "p.officer", SECRET, "127.0.0.1").user_id
    token = security.open_session(settings, user_id, "127.0.0.1")
    assert security.principal_for(settings, token).name == "p.officer"

    reset = runner.invoke(app, ["users", "reset", "p.officer"], input="Nog-een-geheim-2027\n")
    assert reset.exit_code == 0, reset.output
    assert security.principal_for(settings, token) is None  # signed out by the reset
    assert security.attempt_login(settings, "p.officer", SECRET, "1.2.3.4").user_id is None
    assert security.attempt_login(settings, "p.officer", "Nog-een-geheim-2027", "1.2.3.4").user_id

    removed = runner.invoke(app, ["users", "remove", "p.officer"])
    assert removed.exit_code == 0, removed.output
    assert accounts.list_users(home.database_url, "0080") == []
    again = runner.invoke(app, ["users", "remove", "p.officer"])
    assert again.exit_code == 2 and "bestaat niet" in again.output


@pytest.mark.parametrize("args,stdin,message", [
    (["x.y", "--role", "data"], "kort\n", "minstens 12 tekens"),
    (["x.y", "--role", "data"], "", "Geen wachtwoord op standaardinvoer"),
    (["x.y", "--role", "coordinator"], SECRET + "\n", "minstens één wijkteam"),
    (["x.y", "--role", "data", "--team", "wt-centrum"], SECRET + "\n", "Alleen een coördinator"),
    (["x.y", "--role", "coordinator", "--team", "wt-nergens"], SECRET + "\n", "Onbekend wijkteam"),
    (["x.y", "--role", "baas"], SECRET + "\n", "Onbekende rol"),
    (["X Y!", "--role", "data"], SECRET + "\n", "gebruikersnaam"),
    (["secretaris", "--role", "data"], "secretaris-12345\n", "gebruikersnaam niet bevatten"),
])
def test_users_add_refuses_bad_input_with_a_clear_message(home, args, stdin, message):
    result = runner.invoke(app, ["users", "add", *args], input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    from portal import accounts

    assert accounts.list_users(home.database_url, "0080") == []


def test_users_add_refuses_a_duplicate(home):
    assert runner.invoke(app, ["users", "add", "a.b", "--role", "admin"],
                         input=SECRET + "\n").exit_code == 0
    again = runner.invoke(app, ["users", "add", "A.B", "--role", "admin"], input=SECRET + "\n")
    assert again.exit_code == 2 and "bestaat al" in again.output


def test_passwords_are_never_options(home):
    """No command takes a password as an argument or option (it would be in shell history)."""
    import click
    import typer.main

    command = typer.main.get_command(app)
    users = command.commands["users"]
    for name, sub in [("portal", command.commands["portal"]), *users.commands.items()]:
        for param in sub.params:
            assert "password" not in param.name and "wachtwoord" not in param.name, (name, param)
            assert not isinstance(param, click.Option) or not param.hide_input

