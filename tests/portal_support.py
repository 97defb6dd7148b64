"""Shared set-up of the portal tests: real pipeline data, accounts, a client per role.

The data comes from the real pipeline (not hand-written list files): the session's demo
installation with extras (tests/demo_home.py: the demo flow, one standard-format delivery with a
name that tries formula injection, then a second run of the period, so that the team of that
delivery (wt-centrum) has a current list and the version it replaced; the other teams keep their
one list, as their inputs did not change). Each portal test module gets its own copy, with an
account per role.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flows.prefect_env import free_port

PASSWORD = "Proef-wachtwoord-2026"
TEAM_A, TEAM_B = "wt-centrum", "wt-oost"

#: name -> (roles, teams). Every role once, a coordinator for each of two teams.
ACCOUNTS = {
    "coord-a": (["coordinator"], [TEAM_A]),
    "coord-b": (["coordinator"], [TEAM_B]),
    "privacy": (["privacy"], []),
    "data": (["data"], []),
    "admin": (["admin"], []),
}
#: The role each account stands for in the route table (coord-b stands for "another team").
ROLE_OF = {"coord-a": "coordinator", "privacy": "privacy", "data": "data", "admin": "admin"}

#: A resident whose name tries to become a spreadsheet formula (synthetic).
FORMULA_NAME = {"voornamen": "=HYPERLINK(\"http://x.example\";\"klik\")", "tussenvoegsel": "",
                "achternaam": "Formulier"}

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass(frozen=True)
class PortalData:
    root: Path
    period: str
    #: wijkteam -> publication ids, newest first
    publications: dict[str, list[int]]
    prefect_api_url: str

    def current(self, team: str) -> int:
        return self.publications[team][0]


def build(tmp_path_factory) -> PortalData:
    """A copy of the session's demo installation with extras for one test module, with the
    accounts of ACCOUNTS (needs the prefect_server: the demo is built on it the first time)."""
    from prefect.settings import PREFECT_API_URL
    from sqlalchemy import select

    from portal import accounts
    from tests.demo_home import copy_installation, with_extras
    from vroeg.config import load_municipality
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication
    from vroeg.settings import Home

    source, result = with_extras()
    root = tmp_path_factory.mktemp("portal") / "home"
    copy_installation(source, root)
    home = Home(root)
    known = [t.code for t in load_municipality(home, "0080").wijkteams]
    for name, (roles, teams) in ACCOUNTS.items():
        accounts.add_user(home.database_url, "0080", name, PASSWORD, roles, teams, known,
                          **set_up_by(home))
    with db.session(home.database_url) as s:
        pubs = s.scalars(select(Publication).order_by(Publication.id.desc())).all()
    by_team: dict[str, list[int]] = {}
    for p in pubs:
        by_team.setdefault(p.wijkteam, []).append(p.id)
    return PortalData(root, result["periode"], by_team, PREFECT_API_URL.value())


def make_app(data: PortalData, **overrides):
    """The portal application on the test home, in this process (for TestClient)."""
    from vroeg.settings import Home

    return app_for(Home(data.root), **{"prefect_api_url": data.prefect_api_url, **overrides})


def app_for(home, gemeente: str = "0080", **overrides):
    """The portal application on any home (e.g. a copy of the demo installation)."""
    from portal.app import create_app
    from portal.settings import PortalSettings
    from privacy.context import Context
    from vroeg.config import load_municipality

    ctx = Context(home=home, municipality=load_municipality(home, gemeente))
    values = {"prefect_api_url": None}
    values.update(overrides)
    return create_app(PortalSettings(gemeente=gemeente, database_url=home.database_url,
                                     **values), ctx)


def add_account(home, name: str, roles: list[str], teams: list[str] = (),
                gemeente: str = "0080") -> None:
    """An account on any home, with the test password."""
    from portal import accounts
    from vroeg.config import load_municipality

    known = [t.code for t in load_municipality(home, gemeente).wijkteams]
    accounts.add_user(home.database_url, gemeente, name, PASSWORD, roles, list(teams), known,
                      **set_up_by(home, gemeente))


def set_up_by(home, gemeente: str = "0080", database_url: str | None = None) -> dict:
    """The audit arguments of an account change made by the test set-up itself."""
    from privacy.audit import Audit
    from privacy.keys import load_keys

    return {"audit": Audit(database_url or home.database_url, load_keys(home, gemeente)),
            "by": "test-opzet"}


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, name: str, password: str = PASSWORD):
    """Sign in through the form, as a browser would; returns the response of the POST."""
    page = client.get("/inloggen")
    return client.post("/inloggen", data={"csrf": csrf_of(page.text), "naam": name,
                                          "wachtwoord": password, "volgende": "/"},
                       follow_redirects=False)


def client_for(app, name: str | None, password: str = PASSWORD):
    """A TestClient over https (Secure cookies are kept), signed in as `name` unless None."""
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    if name is not None:
        response = login(client, name, password)
        assert response.status_code == 303, response.text
    return client


def session_csrf(client) -> str:
    """The CSRF token of the client's session (every signed-in page carries it)."""
    return csrf_of(client.get("/wachtwoord").text)


def audit_lines(data: PortalData, **where):
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine
    from vroeg.settings import Home

    query = select(AuditLine).order_by(AuditLine.id)
    for column, value in where.items():
        query = query.where(getattr(AuditLine, column) == value)
    with db.session(Home(data.root).database_url) as s:
        return list(s.scalars(query).all())


def audit(data: PortalData):
    from privacy.audit import Audit
    from privacy.keys import load_keys
    from vroeg.settings import Home

    home = Home(data.root)
    return Audit(home.database_url, load_keys(home, "0080"))


def published_rows(data: PortalData, publication_id: int) -> list[dict[str, str]]:
    """The published list's lines as its CSV has them (machine column names), in list order."""
    import csv
    import io

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Publication
    from vroeg.settings import Home

    with db.session(Home(data.root).database_url) as s:
        raw = Path(s.get(Publication, publication_id).csv_path).read_bytes()
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def list_households(data: PortalData, publication_id: int) -> list[str]:
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import PublicationHousehold
    from vroeg.settings import Home

    with db.session(Home(data.root).database_url) as s:
        return list(s.scalars(select(PublicationHousehold.huishouden_pseudoniem)
                              .where(PublicationHousehold.publication_id == publication_id)
                              .order_by(PublicationHousehold.regel)).all())


# ----------------------------------------------------------------------------------------------
# Who may use which route. A route the app has and this table lacks fails the tests, so a new
# page cannot ship without a decision (and a test) about who may open it.
# ----------------------------------------------------------------------------------------------

PUBLIC, SIGNED_IN = "public", "signed in"
RULES: dict[tuple[str, str], str | frozenset[str]] = {
    ("GET", "/status"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/inloggen"): PUBLIC,
    ("POST", "/inloggen"): PUBLIC,
    ("GET", "/toegankelijkheid"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/"): SIGNED_IN,
    ("POST", "/uitloggen"): SIGNED_IN,
    ("GET", "/wachtwoord"): SIGNED_IN,
    ("POST", "/wachtwoord"): SIGNED_IN,
    ("GET", "/lijsten"): frozenset({"coordinator"}),
    ("GET", "/lijsten/{publication_id}"): frozenset({"coordinator"}),
    ("GET", "/lijsten/{publication_id}/afdrukken"): frozenset({"coordinator"}),
    ("GET", "/lijsten/{publication_id}/download/{formaat}"): frozenset({"coordinator"}),
    ("GET", "/lijsten/{publication_id}/huishoudens/{regel}"): frozenset({"coordinator"}),
    ("POST", "/lijsten/{publication_id}/huishoudens/{regel}/contactpogingen"):
        frozenset({"coordinator"}),
    ("POST", "/lijsten/{publication_id}/huishoudens/{regel}/eindresultaat"):
        frozenset({"coordinator"}),
    ("GET", "/privacy/logboek"): frozenset({"privacy"}),
    ("GET", "/privacy/inzage"): frozenset({"privacy"}),
    ("GET", "/privacy/register"): frozenset({"privacy"}),
    ("GET", "/privacy/bewaartermijnen"): frozenset({"privacy"}),
    ("GET", "/privacy/heridentificatie"): frozenset({"privacy"}),
    ("POST", "/privacy/heridentificatie"): frozenset({"privacy"}),
    ("GET", "/data/leveringen"): frozenset({"data"}),
    ("GET", "/data/leveringen/{delivery_id}"): frozenset({"data"}),
    ("GET", "/data/runs"): frozenset({"data"}),
    ("GET", "/data/meldingen"): frozenset({"data"}),
    ("GET", "/data/grafieken"): frozenset({"data"}),
    ("GET", "/data/grafieken/signalen.svg"): frozenset({"data"}),
    ("GET", "/data/grafieken/lijstgrootte.svg"): frozenset({"data"}),
    ("GET", "/beheer/gebruikers"): frozenset({"admin"}),
    ("POST", "/beheer/gebruikers"): frozenset({"admin"}),
    ("POST", "/beheer/gebruikers/{user_id}/verwijderen"): frozenset({"admin"}),
    ("POST", "/beheer/gebruikers/{user_id}/wachtwoord"): frozenset({"admin"}),
}

#: Status of an allowed request when it is not a plain 200 page.
ALLOWED_STATUS = {
    ("GET", "/"): 303,
    ("GET", "/favicon.ico"): 301,
    ("POST", "/uitloggen"): 303,
    ("POST", "/wachtwoord"): 400,  # sent with a wrong current password: allowed, not changed
    ("POST", "/lijsten/{publication_id}/huishoudens/{regel}/contactpogingen"): 303,
    ("POST", "/lijsten/{publication_id}/huishoudens/{regel}/eindresultaat"): 303,
    ("POST", "/beheer/gebruikers"): 303,
    ("POST", "/beheer/gebruikers/{user_id}/verwijderen"): 303,
    ("POST", "/beheer/gebruikers/{user_id}/wachtwoord"): 303,
}


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route of the application, the static mount as GET /static."""
    from fastapi.routing import APIRoute
    from starlette.routing import Mount

    found = set()
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.update((m, route.path) for m in route.methods)
        elif isinstance(route, Mount):
            found.add(("GET", route.path))
        else:
            raise AssertionError(f"unexpected route {route!r}")
    return found


_victims = iter(range(1, 10_000))


def concrete(data: PortalData, method: str, template: str, team: str = TEAM_A) -> str:
    """A real URL for a route template, pointing at `team`'s data."""
    from sqlalchemy import select

    from portal import accounts
    from vroeg.opsdb import db
    from vroeg.opsdb.models import Delivery
    from vroeg.settings import Home

    url = template
    if template == "/static":
        return "/static/portal.css"
    if "{publication_id}" in url:
        url = url.replace("{publication_id}", str(data.current(team)))
    url = url.replace("{regel}", "1").replace("{formaat}", "xlsx")
    database_url = Home(data.root).database_url
    if "{delivery_id}" in url:
        with db.session(database_url) as s:
            first = s.scalars(select(Delivery.id).order_by(Delivery.received_at)).first()
        url = url.replace("{delivery_id}", first)
    if "{user_id}" in url:
        victim = accounts.add_user(database_url, "0080", f"doel-{next(_victims)}", PASSWORD,
                                   ["data"], [], [], **set_up_by(Home(data.root)))
        url = url.replace("{user_id}", str(victim.id))
    return url


def form_for(data: PortalData, template: str, csrf: str | None) -> dict:
    """A complete, valid form for a POST route (what a browser would send)."""
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    forms = {
        "/inloggen": {"naam": "coord-a", "wachtwoord": PASSWORD, "volgende": "/"},
        "/uitloggen": {},
        "/wachtwoord": {"huidig": "niet-het-goede-wachtwoord", "nieuw": "Nieuw-wachtwoord-123",
                        "herhaling": "Nieuw-wachtwoord-123"},
        "/lijsten/{publication_id}/huishoudens/{regel}/contactpogingen": {
            "soort": "Telefoon", "bereikt": "nee", "datum": today, "dagdeel": "Ochtend"},
        "/lijsten/{publication_id}/huishoudens/{regel}/eindresultaat": {
            "eindresultaat": "Geen reactie na eerder contact"},
        "/privacy/heridentificatie": {
            "huishouden": list_households(data, data.current(TEAM_A))[0],
            "reden": "controle", "bevestig": "ja"},
        "/beheer/gebruikers": {"naam": f"nieuw-{next(_victims)}", "rol": "data",
                               "wachtwoord": PASSWORD, "herhaling": PASSWORD},
        "/beheer/gebruikers/{user_id}/verwijderen": {},
        "/beheer/gebruikers/{user_id}/wachtwoord": {"wachtwoord": "Ander-wachtwoord-2026",
                                                   "herhaling": "Ander-wachtwoord-2026"},
    }
    form = dict(forms[template])
    if csrf is not None:
        form["csrf"] = csrf
    return form


#: The installed `vroeg` command of this environment.
VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"


@contextmanager
def portal_process(data, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`vroeg portal --port N` on the test home as a process of its own, until the block ends:
    (base URL, process). `env` adds settings (VROEG_PORTAL_LOCK_WAIT, ...)."""
    import httpx
    import pytest

    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VROEG_")}
    environment.update(VROEG_HOME=str(data.root), PREFECT_API_URL=data.prefect_api_url, **env)
    process = subprocess.Popen([VROEG, "portal", "--port", str(port)], env=environment,
                               cwd=data.root.parent, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/status", timeout=2).text == "ok":
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"vroeg portal did not start:\n{process.stdout.read()}")
        time.sleep(0.3)
    try:
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
