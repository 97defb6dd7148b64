"""Issue 19, point 9: every account change (portal and `vroeg users`) leaves an audit line naming
who did what to which account with which roles and teams, shown under "Wie zag wat"."""

from __future__ import annotations

import getpass
import re

from typer.testing import CliRunner

from cli import app as cli_app
from tests import portal_support as ps

NEW_SECRET = "Ander-wachtwoord-2026"


def _lines(home, prefix: str = "account-") -> list[dict]:
    from privacy.audit import Audit
    from privacy.keys import load_keys

    audit = Audit(home.database_url, load_keys(home, "0080"))
    return [line for line in audit.read() if line["naam"].startswith(prefix)]


def test_portal_account_changes_are_audited_and_shown_to_the_privacy_officer(home):
    ps.add_account(home, "beheer", ["admin"])
    ps.add_account(home, "privacy", ["privacy"])
    app = ps.app_for(home)
    admin = ps.client_for(app, "beheer")
    csrf = ps.session_csrf(admin)

    created = admin.post("/beheer/gebruikers", data={
        "csrf": csrf, "naam": "stille.lezer", "rol": "coordinator", "team": "wt-oost",
        "wachtwoord": ps.PASSWORD, "herhaling": ps.PASSWORD}, follow_redirects=False)
    assert created.status_code == 303, created.text
    page = admin.get("/beheer/gebruikers").text
    # Only the created account has forms; the two set-up accounts come first, so take the last.
    user_id = re.findall(r'/beheer/gebruikers/(\d+)/wachtwoord', page)[-1]
    reset = admin.post(f"/beheer/gebruikers/{user_id}/wachtwoord", data={
        "csrf": csrf, "wachtwoord": NEW_SECRET, "herhaling": NEW_SECRET},
        follow_redirects=False)
    assert reset.status_code == 303, reset.text
    # The account changes its own password (after the reset it signs in with the new one).
    own = ps.client_for(app, "stille.lezer", NEW_SECRET)
    changed = own.post("/wachtwoord", data={
        "csrf": ps.session_csrf(own), "huidig": NEW_SECRET, "nieuw": "Derde-wachtwoord-2026",
        "herhaling": "Derde-wachtwoord-2026"}, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    removed = admin.post(f"/beheer/gebruikers/{user_id}/verwijderen", data={"csrf": csrf},
                         follow_redirects=False)
    assert removed.status_code == 303, removed.text

    lines = [line for line in _lines(home) if line["attributen"]["account"] == "stille.lezer"]
    assert [(line["naam"], line["attributen"]["gebruiker"]) for line in lines] == [
        ("account-aangemaakt", "beheer"), ("account-wachtwoord-hersteld", "beheer"),
        ("account-wachtwoord-gewijzigd", "stille.lezer"), ("account-verwijderd", "beheer")]
    for line in lines:
        assert line["attributen"]["rollen"] == ["coordinator"]
        assert line["attributen"]["wijkteams"] == ["wt-oost"]
        assert line["attributen"]["via"] == "portal" and line["status"] == 1
        # No password, no hash: only who, what, which account, roles and teams.
        assert not any(s in str(line["attributen"]) for s in (NEW_SECRET, "argon2"))

    seen = ps.client_for(app, "privacy").get("/privacy/inzage").text
    for action in ("account aangemaakt", "wachtwoord vervangen door beheerder",
                   "eigen wachtwoord gewijzigd", "account verwijderd"):
        assert action in seen
    assert "account stille.lezer (coördinator wijkteam; wijkteams wt-oost), via portal" in seen


def test_cli_account_changes_are_audited(home):
    runner = CliRunner()
    add = runner.invoke(cli_app, ["users", "add", "j.devries", "--role", "coordinator",
                                  "--team", "wt-centrum"], input=ps.PASSWORD + "\n")
    assert add.exit_code == 0, add.output
    reset = runner.invoke(cli_app, ["users", "reset", "j.devries"], input=NEW_SECRET + "\n")
    assert reset.exit_code == 0, reset.output
    removed = runner.invoke(cli_app, ["users", "remove", "j.devries"])
    assert removed.exit_code == 0, removed.output
    failed = runner.invoke(cli_app, ["users", "remove", "j.devries"])
    assert failed.exit_code == 2

    lines = _lines(home)
    assert [(line["naam"], line["status"]) for line in lines] == [
        ("account-aangemaakt", 1), ("account-wachtwoord-hersteld", 1),
        ("account-verwijderd", 1), ("account-verwijderd", 2)]  # the refused removal: status error
    for line in lines[:3]:
        a = line["attributen"]
        assert a["gebruiker"] == getpass.getuser() and a["via"] == "cli"
        assert a["account"] == "j.devries"
        assert a["rollen"] == ["coordinator"] and a["wijkteams"] == ["wt-centrum"]
