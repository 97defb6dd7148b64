"""Authorisation of the portal, enforced on the server for every route and every role.

Table-driven over the application's own route list (tests/portal_support.RULES): a route the app
has and the table lacks fails here. Each route is requested by every kind of user (anonymous,
a coordinator of the team the data belongs to, a coordinator of another team, privacy officer,
data officer, administrator); forms are sent with and without their CSRF token; ids are guessed.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests import portal_support as ps

pytestmark = pytest.mark.prefect

USERS = [None, "coord-a", "coord-b", "privacy", "data", "admin"]




@pytest.fixture(scope="module")
def clients(app):
    """One signed-in client per account (signing in costs an argon2 verification)."""
    cache: dict[str | None, object] = {}

    def get(name: str | None, fresh: bool = False):
        if fresh:
            return ps.client_for(app, name)  # not kept: it is about to sign out
        if name not in cache:
            cache[name] = ps.client_for(app, name)
        return cache[name]

    return get


def test_every_route_has_an_access_rule_in_the_table(app):
    assert ps.app_routes(app) == set(ps.RULES), (
        "a route was added or removed: add it to tests/portal_support.RULES with who may use it")


def test_the_app_refuses_to_start_with_a_route_without_access_rule(data):
    from fastapi import Request

    from portal.routes import data as data_routes

    @data_routes.router.get("/data/vergeten")
    def forgotten(request: Request):  # no access dependency
        return "geheim"

    try:
        with pytest.raises(RuntimeError, match="/data/vergeten has no access rule"):
            ps.make_app(data)
    finally:
        data_routes.router.routes.pop()


def _expected(name: str | None, method: str, template: str) -> str:
    """'ok', 'refused' (403, logged), 'sign-in' (redirect to the sign-in page) or
    'anonymous-403'."""
    rule = ps.RULES[(method, template)]
    if rule == ps.PUBLIC:
        return "ok"
    if name is None:
        return "sign-in" if method == "GET" else "anonymous-403"
    if rule == ps.SIGNED_IN:
        return "ok"
    role = "coordinator" if name.startswith("coord") else name
    if role not in rule:
        return "refused"
    if name == "coord-b" and "{publication_id}" in template:
        return "refused"  # team A's list, household or file, requested by team B
    return "ok"


@pytest.mark.parametrize("name", USERS, ids=lambda n: n or "anoniem")
@pytest.mark.parametrize("method,template", sorted(ps.RULES))
def test_route_access(data, clients, name, method, template):
    # Signing out ends the shared session and signing in replaces it: those get their own.
    fresh = (method, template) in (("POST", "/uitloggen"), ("POST", "/inloggen"))
    client = clients(name, fresh=fresh)
    url = ps.concrete(data, method, template)
    before = len(ps.audit_lines(data, name="toegang-geweigerd"))
    if method == "GET":
        response = client.get(url, follow_redirects=False)
    else:
        csrf = ps.session_csrf(client) if name else None
        if template == "/inloggen":
            csrf = ps.csrf_of(client.get("/inloggen").text)
        response = client.post(url, data=ps.form_for(data, template, csrf), follow_redirects=False)
    expected = _expected(name, method, template)
    if expected == "ok":
        wanted = ps.ALLOWED_STATUS.get((method, template), 200)
        if template == "/inloggen" and method == "POST":
            wanted = 303
        assert response.status_code == wanted, (url, response.text[:500])
        assert "/inloggen?volgende" not in response.headers.get("location", "")
    elif expected == "refused":
        assert response.status_code == 403, (url, response.status_code)
        assert "geen toegang" in response.text
        new = ps.audit_lines(data, name="toegang-geweigerd")[before:]
        assert len(new) == 1, "one audit line per refusal"
        assert new[0].attributes["gebruiker"] == name and new[0].attributes["pad"] == url
        assert new[0].status_code == 2 and new[0].data_subject_id is None
    elif expected == "sign-in":
        assert response.status_code == 303
        assert response.headers["location"].startswith("/inloggen?volgende=")
    else:
        assert response.status_code == 403


POST_ROUTES = sorted(t for m, t in ps.RULES if m == "POST")


@pytest.mark.parametrize("template", POST_ROUTES)
@pytest.mark.parametrize("token", ["ontbreekt", "fout", "van-een-andere-sessie"])
def test_posts_without_the_right_csrf_token_are_refused_and_change_nothing(
        data, app, clients, template, token):
    from sqlalchemy import func, select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Case, ContactAttempt, PortalSession, PortalUser
    from vroeg.settings import Home

    rule = ps.RULES[("POST", template)]
    name = ("coord-a" if rule == frozenset({"coordinator"}) else
            next(iter(rule)) if isinstance(rule, frozenset) else "data")
    client = ps.client_for(app, None if template == "/inloggen" else name)
    other = clients("data" if name != "data" else "privacy")
    csrf = {"ontbreekt": None, "fout": "x" * 43, "van-een-andere-sessie": ps.session_csrf(other)
            }[token]
    if template == "/inloggen" and token == "van-een-andere-sessie":
        csrf = ps.csrf_of(ps.client_for(app, None).get("/inloggen").text)
    database_url = Home(data.root).database_url

    def counts():
        with db.session(database_url) as s:
            return [s.scalar(select(func.count()).select_from(t))
                    for t in (Case, ContactAttempt, PortalUser, PortalSession)]

    url = ps.concrete(data, "POST", template)
    before = counts()
    response = client.post(url, data=ps.form_for(data, template, csrf), follow_redirects=False)
    assert response.status_code == 403, (url, response.status_code)
    assert "formulier" in response.text.lower()
    assert counts() == before


def test_coordinator_of_another_team_is_refused_everything_of_that_team_and_it_is_logged(
        data, clients):
    """Team B's list, household, downloads, print view and forms, asked by team A's coordinator."""
    client = clients("coord-a")
    b = data.current(ps.TEAM_B)
    urls = [f"/lijsten/{b}", f"/lijsten/{b}/afdrukken", f"/lijsten/{b}/download/csv",
            f"/lijsten/{b}/download/xlsx", f"/lijsten/{b}/huishoudens/1"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Wijkteam Oost" not in response.text  # nothing of the other team is shown
    csrf = ps.session_csrf(client)
    household = "/lijsten/{publication_id}/huishoudens/{regel}"
    for action, form in (
            ("contactpogingen", ps.form_for(data, household + "/contactpogingen", csrf)),
            ("eindresultaat", ps.form_for(data, household + "/eindresultaat", csrf))):
        url = f"/lijsten/{b}/huishoudens/1/{action}"
        assert client.post(url, data=form).status_code == 403
        urls.append(url)
    refused = [entry for entry in ps.audit_lines(data, name="toegang-geweigerd")
               if entry.attributes["gebruiker"] == "coord-a"]
    logged = {entry.attributes["pad"] for entry in refused
              if entry.attributes.get("gevraagd_wijkteam") == ps.TEAM_B}
    assert set(urls) <= logged
    # No view of team B's households was logged for coord-a.
    views = [entry for entry in ps.audit_lines(data)
             if (entry.attributes or {}).get("gebruiker") == "coord-a"
             and (entry.attributes or {}).get("wijkteam") == ps.TEAM_B]
    assert views == []


def test_guessed_ids_do_not_help(data, clients):
    """Every publication id: only team A's open for team A's coordinator; others 403 or 404."""
    client = clients("coord-a")
    own = set(data.publications[ps.TEAM_A])
    every = sorted(i for ids in data.publications.values() for i in ids)
    for pid in every + [max(every) + 1, 0, -1]:
        status = client.get(f"/lijsten/{pid}/huishoudens/1").status_code
        if pid in own:
            assert status == 200, pid
        elif pid in every:
            assert status == 403, pid
        else:
            assert status == 404, pid
    a = data.current(ps.TEAM_A)
    lines = len(ps.list_households(data, a))
    assert client.get(f"/lijsten/{a}/huishoudens/{lines}").status_code == 200
    for regel in (lines + 1, 0, -3):
        assert client.get(f"/lijsten/{a}/huishoudens/{regel}").status_code == 404
    for bad in ("/lijsten/abc", "/lijsten/1e3/afdrukken", f"/lijsten/{a}/download/pdf",
                f"/lijsten/{a}/download/..%2F..%2Fvroeg.sqlite", "/data/leveringen/bestaat-niet"):
        response = client.get(bad)
        assert response.status_code in (403, 404), bad
        assert "Traceback" not in response.text and "detail" not in response.text


def test_session_cookie_is_secure_httponly_samesite_and_revoked_on_sign_out(data, app):
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    response = ps.login(client, "data")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("vroeg_sessie=")
    for flag in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert flag.lower() in cookie.lower(), flag
    token = client.cookies.get("vroeg_sessie")
    assert client.get("/data/runs").status_code == 200
    client.post("/uitloggen", data={"csrf": ps.session_csrf(client)})
    # The old cookie, replayed, no longer opens anything: the session row is gone.
    replay = TestClient(app, base_url="https://testserver", cookies={"vroeg_sessie": token})
    response = replay.get("/data/runs", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/inloggen")


def test_idle_sessions_expire(data, app):
    from sqlalchemy import update

    from portal.security import token_hash
    from vroeg.opsdb import db
    from vroeg.opsdb.models import PortalSession
    from vroeg.settings import Home

    client = ps.client_for(app, "privacy")
    digest = token_hash(client.cookies.get("vroeg_sessie"))
    with db.session(Home(data.root).database_url) as s:
        s.execute(update(PortalSession).where(PortalSession.token_hash == digest)
                  .values(last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    response = client.get("/privacy/logboek", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/inloggen")


def test_security_headers_on_every_kind_of_response(data, clients):
    client = clients("coord-a")
    for url in ("/inloggen", "/lijsten", f"/lijsten/{data.current(ps.TEAM_A)}",
                "/static/portal.css", "/privacy/logboek", "/bestaat-niet",
                f"/lijsten/{data.current(ps.TEAM_A)}/download/csv"):
        headers = client.get(url).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, url
        assert "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        if not url.startswith("/static/"):
            assert headers["cache-control"] == "no-store", url


def test_sign_in_redirects_only_within_the_site(data, app):
    from fastapi.testclient import TestClient

    for target, landing in (("//evil.example/", "/"), ("https://evil.example/", "/"),
                            ("/data/runs", "/data/runs")):
        client = TestClient(app, base_url="https://testserver")
        page = client.get("/inloggen", params={"volgende": target})
        response = client.post("/inloggen", data={
            "csrf": ps.csrf_of(page.text), "naam": "data", "wachtwoord": ps.PASSWORD,
            "volgende": target}, follow_redirects=False)
        assert response.headers["location"] == landing


def test_login_is_throttled_per_account_and_per_address_and_survives_a_restart(data):
    """Five wrong passwords lock the account (even the right one is refused), in the database;
    too many failures from one address lock that address; an administrator's reset lifts it."""
    from fastapi.testclient import TestClient

    from portal import accounts
    from vroeg.settings import Home

    database_url = Home(data.root).database_url
    known = ["wt-centrum"]
    accounts.add_user(database_url, "0080", "slot-proef", ps.PASSWORD, ["data"], [], known,
                      **ps.set_up_by(Home(data.root)))
    app = ps.make_app(data)
    client = TestClient(app, base_url="https://testserver", client=("10.0.0.1", 5000))
    for _ in range(5):
        assert ps.login(client, "slot-proef", "fout-wachtwoord-123").status_code == 401
    refused = ps.login(client, "slot-proef")
    assert refused.status_code == 429 and "Te veel mislukte pogingen" in refused.text
    # A restarted portal (a new application on the same database) still refuses.
    again = TestClient(ps.make_app(data), base_url="https://testserver", client=("10.0.0.2", 5000))
    assert ps.login(again, "slot-proef").status_code == 429
    # Other accounts are not affected from another address.
    assert ps.login(again, "data").status_code == 303
    # A reset by the administrator lifts the lock.
    accounts.set_password(database_url, "0080", "slot-proef", "Nieuw-wachtwoord-2026",
                          **ps.set_up_by(Home(data.root)))
    assert ps.login(again, "slot-proef", "Nieuw-wachtwoord-2026").status_code == 303

    # Per address: failures spread over many names from one address (the limit, 20 by default,
    # is set lower here to keep the test short; each attempt costs an argon2 verification).
    strict = ps.make_app(data, max_failures_ip=6)
    spray = TestClient(strict, base_url="https://testserver", client=("10.9.9.9", 5000))
    for i in range(6):
        assert ps.login(spray, f"bestaat-niet-{i}", "fout-wachtwoord-123").status_code == 401
    assert ps.login(spray, "data").status_code == 429
    other = TestClient(strict, base_url="https://testserver", client=("10.9.9.10", 5000))
    assert ps.login(other, "data").status_code == 303


def test_unknown_account_and_wrong_password_get_the_same_answer(data, app):
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver", client=("10.1.1.1", 5000))
    unknown = ps.login(client, "niemand-hier", "fout-wachtwoord-123")
    wrong = ps.login(client, "privacy", "fout-wachtwoord-123")
    assert unknown.status_code == wrong.status_code == 401
    assert "Onbekende gebruikersnaam of onjuist wachtwoord." in unknown.text
    assert "Onbekende gebruikersnaam of onjuist wachtwoord." in wrong.text
