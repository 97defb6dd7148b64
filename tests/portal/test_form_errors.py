"""Refused form input is shown at its field (WCAG 3.3.1, 1.3.1): the form again with what was
typed (never a password), the field marked invalid and pointing at its message, and an error
summary at the top linking to the field, for every form of every role."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from tests import portal_support as ps


class _Elements(HTMLParser):
    """Every start tag's attributes, and the text inside each element that has an id."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag not in ("input", "br", "meta", "link", "img"):
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text[attributes["id"]] = ""

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, text):
        for _, element_id in self._open:
            if element_id:
                self.text[element_id] += text

    def by_id(self, element_id: str) -> dict[str, str]:
        found = [a for _, a in self.tags if a.get("id") == element_id]
        assert len(found) == 1, (element_id, len(found))
        return found[0]


def assert_at_field(response, status: int, field: str, message: str) -> _Elements:
    """The refusal is tied to `field` (the id of the input) and to nothing else."""
    assert response.status_code == status, response.text[:500]
    page = _Elements(response.text)
    error_id = f"{field}-fout"
    control = page.by_id(field)
    assert control.get("aria-invalid") == "true", control
    assert control.get("aria-describedby") == error_id, control
    assert message in page.text[error_id]
    page.by_id(error_id)  # exactly one
    invalid = [a for _, a in page.tags if a.get("aria-invalid") == "true"]
    # Only this field (a group's other inputs carry the same message).
    assert {a.get("aria-describedby") for a in invalid} == {error_id}
    summary = re.search(r'<div class="error-summary".*?</div>', response.text, re.S)
    assert summary, "no error summary"
    links = re.findall(r'<a [^>]*href="([^"]*)">(.*?)</a>', summary.group(0), re.S)
    assert [(href, message in html.unescape(text)) for href, text in links] == [(f"#{field}",
                                                                                 True)]
    assert "autofocus" in summary.group(0)
    assert "<title>Fout: " in response.text
    # Passwords are never sent back.
    for tag, attributes in page.tags:
        if tag == "input" and attributes.get("type") == "password":
            assert not attributes.get("value"), attributes
    return page


def test_sign_in_refusal_is_at_the_password(app):
    client = ps.client_for(app, None)
    csrf = ps.csrf_of(client.get("/inloggen").text)
    response = client.post("/inloggen", data={"csrf": csrf, "naam": "Iemand.Anders",
                                              "wachtwoord": "fout-wachtwoord-123",
                                              "volgende": "/"})
    page = assert_at_field(response, 401, "wachtwoord", "onjuist wachtwoord")
    assert page.by_id("naam")["value"] == "iemand.anders"
    assert "autofocus" not in page.by_id("naam")  # the summary has the focus


def test_password_change_refusals_are_at_their_fields(app):
    client = ps.client_for(app, "data")
    csrf = ps.session_csrf(client)
    new = "Nieuw-geheim-2026-x"
    for form, field, message in (
            ({"huidig": "geraden-wachtwoord", "nieuw": new, "herhaling": new}, "huidig",
             "klopt niet"),
            ({"huidig": ps.PASSWORD, "nieuw": new, "herhaling": new + "y"}, "herhaling",
             "niet gelijk"),
            ({"huidig": ps.PASSWORD, "nieuw": "kort", "herhaling": "kort"}, "nieuw",
             "minstens 12 tekens")):
        response = client.post("/wachtwoord", data={"csrf": csrf, **form})
        assert_at_field(response, 400, field, message)


def test_user_form_refusals_are_at_their_fields_and_keep_the_values(app):
    admin = ps.client_for(app, "admin")
    csrf = ps.session_csrf(admin)
    form = {"csrf": csrf, "naam": "k.bakker", "rol": ["coordinator"], "team": [ps.TEAM_B],
            "wachtwoord": "Kees-wachtwoord-2026", "herhaling": "Kees-wachtwoord-2026"}
    for changed, field, message in (
            ({"naam": "K"}, "naam", "Een gebruikersnaam heeft"),
            ({"rol": []}, "rol", "minstens één rol"),
            ({"team": []}, "team", "minstens één wijkteam"),
            ({"wachtwoord": "kort", "herhaling": "kort"}, "wachtwoord", "minstens 12"),
            ({"herhaling": "anders"}, "herhaling", "niet gelijk")):
        response = admin.post("/beheer/gebruikers", data={**form, **changed})
        page = assert_at_field(response, 400, field, message)
        kept = {a["value"] for t, a in page.tags if t == "input" and "checked" in a}
        assert kept == set(changed.get("rol", form["rol"]) + changed.get("team", form["team"]))
        assert page.by_id("naam")["value"] == changed.get("naam", "k.bakker")  # as typed
    users = admin.get("/beheer/gebruikers").text
    user_id = re.findall(r'/beheer/gebruikers/(\d+)/wachtwoord', users)[-1]
    for pair, field, message in ((("Nieuw-wachtwoord-2026", "anders"), "herhaling",
                                  "niet gelijk"),
                                 (("kort", "kort"), "wachtwoord", "minstens 12")):
        response = admin.post(f"/beheer/gebruikers/{user_id}/wachtwoord", data={
            "csrf": csrf, "wachtwoord": pair[0], "herhaling": pair[1]})
        assert_at_field(response, 400, f"{field}-{user_id}", message)


def test_reidentification_refusals_are_at_their_fields(data, app):
    officer = ps.client_for(app, "privacy")
    household = ps.list_households(data, data.current(ps.TEAM_A))[0]
    form = {"csrf": ps.session_csrf(officer), "huishouden": household, "reden": "klacht",
            "bevestig": "ja"}
    before = len(ps.audit_lines(data))
    for changed, field, message in (({"huishouden": "Jansen"}, "huishouden", "k1_"),
                                    ({"reden": "nieuwsgierig"}, "reden", "Kies een reden"),
                                    ({"bevestig": ""}, "bevestig", "Bevestig")):
        response = officer.post("/privacy/heridentificatie", data={**form, **changed})
        page = assert_at_field(response, 400, field, message)
        assert page.by_id("huishouden")["value"] == changed.get("huishouden", household)
        if field != "reden":
            assert '<option value="klacht" selected>' in response.text
    assert len(ps.audit_lines(data)) == before  # nothing decrypted, nothing logged


def test_household_form_refusals_are_at_their_fields(data, app):
    import datetime as dt

    coord = ps.client_for(app, "coord-a")
    pid = data.current(ps.TEAM_A)
    url = f"/lijsten/{pid}/huishoudens/2"
    csrf = ps.csrf_of(coord.get(url).text)
    today = dt.date.today().isoformat()
    form = {"csrf": csrf, "soort": "Brief", "bereikt": "nee", "datum": today,
            "dagdeel": "Avond"}
    for changed, field, message in (({"soort": "Duif"}, "soort", "soort contact"),
                                    ({"bereikt": ""}, "bereikt", "bereikt"),
                                    ({"datum": "gisteren"}, "datum", "geldige datum"),
                                    ({"datum": "2001-01-01"}, "datum", "vóór de periode"),
                                    ({"dagdeel": "Nacht"}, "dagdeel", "dagdeel")):
        response = coord.post(url + "/contactpogingen", data={**form, **changed})
        page = assert_at_field(response, 400, field, message)
        if field != "bereikt":
            assert "checked" in page.by_id("bereikt-nee")  # what was chosen is kept
    response = coord.post(url + "/eindresultaat", data={"csrf": csrf, "eindresultaat": "Weg"})
    assert_at_field(response, 400, "eindresultaat-keuze", "eindresultaat")


@pytest.mark.parametrize("page", ["/privacy/logboek", "/privacy/inzage"])
def test_audit_filter_refusals_are_at_their_fields(app, page):
    officer = ps.client_for(app, "privacy")
    cases = [({"van": "31-02-2026"}, "van", "Vul een datum in"),
             ({"van": "2026-03-01", "tot": "2026-02-01"}, "tot", "ligt vóór")]
    if page.endswith("logboek"):
        cases.append(({"huishouden": "Jansen"}, "huishouden", "k1_"))
    for query, field, message in cases:
        response = officer.get(page, params={"gebruiker": "coord-a", **query})
        found = assert_at_field(response, 400, field, message)
        assert found.by_id(field)  # the form again, with what was typed
        assert 'value="coord-a"' in response.text
        assert "<table" not in response.text  # no rows of a search not asked for
    if page.endswith("logboek"):
        kept = officer.get(page, params={"huishouden": "Jansen"}).text
        assert 'value="Jansen"' in kept



@pytest.mark.prefect
def test_refused_forms_in_a_browser_focus_the_summary_and_pass_axe(data, server, browser):
    """In Chromium: after a refused submission the focus is on the error summary (so a screen
    reader reads it first), its link moves the focus to the field, and the page with its error
    still passes axe-core at both sizes."""
    from tests.portal.test_accessibility import DESKTOP, PHONE, axe_violations, overflow, sign_in

    problems: list[str] = []
    context = browser.new_context(locale="nl-NL", viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()

    def check(field: str) -> None:
        focused = page.evaluate("() => document.activeElement.className")
        assert focused == "error-summary", (page.url, focused)
        for size, viewport in (("desktop", DESKTOP), ("390px", PHONE)):
            page.set_viewport_size(viewport)
            problems.extend(f"{page.url} {size}: {v}" for v in axe_violations(page))
            if size == "390px" and (wider := overflow(page)) > 0:
                problems.append(f"{page.url}: {wider} px wider than 390 px")
        page.set_viewport_size(DESKTOP)
        page.click(f".error-summary a[href='#{field}']")
        assert page.evaluate("() => document.activeElement.id") == field

    page.goto(server + "/inloggen")
    page.fill("#naam", "coord-a")
    page.fill("#wachtwoord", "fout-wachtwoord-123")
    page.click("button:has-text('Inloggen')")
    page.wait_for_load_state()
    check("wachtwoord")

    sign_in(page, server, "coord-a")
    page.goto(f"{server}/lijsten/{data.current(ps.TEAM_A)}/huishoudens/1")
    page.select_option("#soort", "Brief")
    page.check("#bereikt")
    page.fill("#datum", "2001-01-01")  # before the list's period: refused by the server
    page.click("button:has-text('Contactpoging opslaan')")
    page.wait_for_load_state()
    check("datum")
    context.close()
    assert not problems, "\n".join(problems)
