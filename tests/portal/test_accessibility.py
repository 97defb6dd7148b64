"""WCAG 2.1 A and AA on every page of every role, on a desktop and on a phone (390x844).

One Chromium (Debian's package, driven by Playwright) signs in as each role in turn and opens
every page that role may open (the route table of tests/portal_support), plus the pages anyone
may open. On each page axe-core (the npm package, vendored in tests/vendor/axe-core) runs with
the WCAG 2.0/2.1 A and AA rules; then the same page at 390x844 must be no wider than the screen
(no sideways scrolling) and pass axe-core again. Screenshots of the coordinator's list at both
sizes are kept in tests/artifacts/ (the ones in docs/ are copies of them).
"""

from __future__ import annotations

import pytest

from tests import REPO_ROOT
from tests import portal_support as ps

pytestmark = pytest.mark.prefect

AXE = REPO_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: The rules of WCAG 2.0 and 2.1, levels A and AA (what EN 301 549 asks of web pages).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Routes that answer with something other than an HTML page (a picture, a file, a redirect).
NOT_PAGES = ("/", "/static", "/status")
#: Pages anyone may open, signed in or not.
PUBLIC_PAGES = ["/inloggen", "/toegankelijkheid"]




def pages_of(data: ps.PortalData, role: str) -> list[str]:
    """Every HTML page `role` may open (GET routes of the access table), as concrete URLs."""
    urls = []
    for (method, template), rule in sorted(ps.RULES.items()):
        allowed = rule == ps.SIGNED_IN or (isinstance(rule, frozenset) and role in rule)
        if (method != "GET" or not allowed or template in NOT_PAGES
                or template.endswith(".svg") or "/download/" in template):
            continue
        urls.append(ps.concrete(data, method, template))
    return urls


def axe_violations(page) -> list[str]:
    """axe-core's WCAG A/AA violations on the page, one readable line per rule."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                           " resultTypes: ['violations']})", WCAG_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']}: "
            + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in result["violations"]]


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth")


def sign_in(page, server: str, account: str) -> None:
    page.goto(server + "/inloggen")
    page.fill("#naam", account)
    page.fill("#wachtwoord", ps.PASSWORD)
    page.click("button:has-text('Inloggen')")
    page.wait_for_load_state()
    assert "/inloggen" not in page.url, account


def test_every_page_of_every_role_passes_axe_and_fits_a_phone(capsys, data, server, browser):
    problems: list[str] = []
    checked = 0
    # The portal's CSP refuses scripts it did not serve; axe-core is the test's own script.
    visits = [(None, PUBLIC_PAGES)] + [(account, pages_of(data, role))
                                       for account, role in ps.ROLE_OF.items()]
    for account, urls in visits:
        context = browser.new_context(locale="nl-NL", viewport=DESKTOP, bypass_csp=True)
        page = context.new_page()
        if account is not None:
            sign_in(page, server, account)
        for url in urls:
            for size, viewport in (("desktop", DESKTOP), ("390px", PHONE)):
                page.set_viewport_size(viewport)
                response = page.goto(server + url)
                assert response.status == 200, (account, url, response.status)
                problems += [f"{account or 'anoniem'} {url} {size}: {v}"
                             for v in axe_violations(page)]
                if size == "390px" and (wider := overflow(page)) > 0:
                    problems.append(f"{account or 'anoniem'} {url}: {wider} px wider than 390 px")
                checked += 1
        context.close()
    assert checked >= 2 * 20
    assert not problems, "\n".join(problems)


def test_coordinators_list_at_both_sizes_and_the_keyboard(capsys, data, server, browser):
    """Screenshots of the list on a desktop and a phone; the first Tab reaches the skip link,
    which leads to the main content; the focused element is visibly outlined; the look comes
    from the NL Design System's tokens."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="nl-NL", viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, server, "coord-a")
    url = f"{server}/lijsten/{data.current(ps.TEAM_A)}"
    shots = []
    for name, viewport in (("desktop", DESKTOP), ("telefoon", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(url)
        shot = ARTIFACTS / f"portal-bezoeklijst-{name}.png"
        page.screenshot(path=str(shot))
        shots.append(shot)
    # On the phone a household is a card: its phone number can be called with one tap.
    phone_links = page.locator("a[href^='tel:']")
    assert phone_links.count() > 0
    assert phone_links.first.is_visible()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.textContent.trim(),"
                            " document.activeElement.getAttribute('href'),"
                            " getComputedStyle(document.activeElement).outlineStyle]")
    assert focused[:2] == ["Naar de inhoud", "#inhoud"]
    assert focused[2] != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#inhoud"
    assert page.locator("main#inhoud").count() == 1
    # The NL Design System's tokens are loaded (from the portal itself) and give the header its
    # colour.
    accent, header = page.evaluate(
        "() => [getComputedStyle(document.body).getPropertyValue("
        "'--basis-color-accent-1-color-default').trim(),"
        " getComputedStyle(document.querySelector('header.top')).backgroundColor]")
    assert accent == "#5115ef" and header == "rgb(81, 21, 239)", (accent, header)
    context.close()
    with capsys.disabled():
        print("\n  screenshots of the list page: " + ", ".join(str(s) for s in shots))


def test_the_accessibility_statement_is_public_and_has_the_parts_of_the_model(data):
    """The parts digitoegankelijk.nl's model statement asks for, without signing in, linked
    from every page, naming the axe-core version the test above really runs."""
    client = ps.client_for(ps.make_app(data), None)
    page = client.get("/toegankelijkheid")
    assert page.status_code == 200
    from portal.routes.statement import AXE_CORE_VERSION

    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{AXE_CORE_VERSION}\n")
    for part in ("Toegankelijkheidsverklaring", "Waarop deze verklaring van toepassing is",
                 "Nalevingsstatus", "Wat nog niet voldoet", "Contact en meldingen",
                 "Handhavingsprocedure", "WCAG 2.1", f"axe-core {AXE_CORE_VERSION}",
                 "Leeuwarden"):
        assert part in page.text, part
    assert 'href="/toegankelijkheid"' in client.get("/inloggen").text
