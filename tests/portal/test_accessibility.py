"""WCAG 2.1 A and AA on every page of every role, on a desktop and on a phone (390x844).

One Chromium (Debian's package, driven by Playwright) signs in as each role in turn and opens
every page that role may open (the route table of tests/portal_support), plus the pages anyone
may open. On each page axe-core (the npm package, vendored in tests/vendor/axe-core) runs with
the WCAG 2.0/2.1 A and AA rules; then the same page at 390x844 must be no wider than the screen
(no sideways scrolling) and pass axe-core again. Screenshots of the coordinator's list at both
sizes are kept in tests/artifacts/ (the ones in docs/ are copies of them).

The same browser then uses the list page and a household's page with the keyboard alone (skip
link, Tab order against the screen, visible focus, no trap, the contact form sent by keys), and
prints the list's print view and a household's page to PDF with Chromium's print media: read
back with pypdf, the paper has every household, no menu or buttons, nothing past the right edge.
"""

from __future__ import annotations

import html
import io

import pytest

from tests import REPO_ROOT
from tests import portal_support as ps

pytestmark = pytest.mark.prefect

AXE = REPO_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: A4 paper in CSS pixels (96 per inch): what Chromium lays a page out on when it prints.
A4 = {"width": 794, "height": 1123}
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
                 "alleen met de Tab-, pijl-, spatie- en Enter-toets", "niemand raakt vast",
                 "door Chromium afgedrukt", "NL Design System",
                 "Leeuwarden"):
        assert part in page.text, part
    assert 'href="/toegankelijkheid"' in client.get("/inloggen").text


# ----------------------------------------------------------------------------------------------
# Keyboard only: the skip link, the order of the Tab key, a visible focus, no trap, a form.
# ----------------------------------------------------------------------------------------------

#: Installed in the page: every element that gets the focus is recorded with where it is on the
#: page and how its focus is drawn (read while it has the focus).
RECORD_FOCUS = """() => {
  window.__focused = [];
  document.addEventListener('focusin', event => {
    const e = event.target, r = e.getBoundingClientRect(), s = getComputedStyle(e);
    window.__focused.push({
      what: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
            + ' ' + (e.getAttribute('href') || e.textContent.trim().slice(0, 30)),
      index: Array.prototype.indexOf.call(document.querySelectorAll('*'), e),
      top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left + scrollX,
      right: r.right + scrollX, width: r.width, height: r.height,
      outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
      shadow: s.boxShadow !== 'none',
      inView: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
    });
  });
}"""

#: What the Tab key should reach, in the order of the document (no positive tabindex is used).
TABBABLE = """() => Array.from(document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex="0"]'))
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden'
          && !(e.type === 'radio' && !e.checked
               && document.querySelector(`input[type=radio][name="${e.name}"]:checked`))
          && !(e.type === 'radio' && !e.checked && e !== document.querySelector(
               `input[type=radio][name="${e.name}"]`)))
  .map(e => Array.prototype.indexOf.call(document.querySelectorAll('*'), e))"""


def tab_through(page, limit: int) -> list[dict]:
    """Press Tab from the top of the page until the focus is back at the first element (the
    skip link): what got the focus, in order. Fails when it never comes back (a trap)."""
    page.evaluate(RECORD_FOCUS)
    stops = len(page.evaluate(TABBABLE))
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if presses <= stops:  # cannot be back yet: no need to ask the page
            continue
        focused = page.evaluate("() => window.__focused")
        if len(focused) > 1 and focused[-1]["index"] == focused[0]["index"]:
            return focused[:-1]
    last = [f["what"] for f in page.evaluate("() => window.__focused")][-5:]
    raise AssertionError(f"after {limit} presses of Tab the focus never came back: {last}")


def tab_to(page, element_id: str, limit: int) -> None:
    """Press Tab until the element with this id has the focus, at most `limit` times."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == element_id:
            return
    raise AssertionError(f"{limit} presses of Tab did not reach #{element_id}: the focus is on "
                         + page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))


def reading_order_problems(focused: list[dict]) -> list[str]:
    """Pairs of elements where the focus moves back up the page or to the left on one line:
    the next element must be below the previous one or to its right (left-to-right, top-down;
    a column to the right starts higher than where the left one ended)."""
    problems = []
    for a, b in zip(focused, focused[1:], strict=False):
        below = b["top"] >= a["bottom"] - 2
        right = b["left"] >= a["right"] - 2
        if not (below or right):
            problems.append(f"{a['what']} -> {b['what']}")
    return problems


def check_keyboard_page(page, limit: int) -> list[dict]:
    """Tab through the whole page: every element the keyboard can reach is reached once, in the
    document's order, which is the order on the screen, each with a visible focus ring."""
    focused = tab_through(page, limit)
    expected = page.evaluate(TABBABLE)
    assert [f["index"] for f in focused] == expected, (
        "Tab does not follow the document", [f["what"] for f in focused])
    # The skip link comes first and is drawn over the top of the page while it has the focus.
    assert not reading_order_problems(focused[1:]), reading_order_problems(focused[1:])
    unringed = [f["what"] for f in focused if not (f["outline"] or f["shadow"])]
    assert not unringed, f"no visible focus on {unringed}"
    hidden = [f["what"] for f in focused if not f["inView"] or not f["width"]]
    assert not hidden, f"focused but not on the screen: {hidden}"
    return focused


def test_keyboard_only_list_and_household_page(data, server, browser):
    """With the keyboard alone: the first Tab reaches the skip link and Enter puts the focus on
    the main content; on the coordinator's list page and on a household's page Tab visits every
    link, button and field once, in the order they are on the screen, each with a visible focus
    ring, and after the last one comes back to the start (no trap); the contact form is filled
    in and sent with keys only."""
    context = browser.new_context(locale="nl-NL", viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, server, "coord-a")
    pid = data.current(ps.TEAM_A)
    page.goto(f"{server}/lijsten/{pid}")
    # The skip link: first Tab, visible, Enter moves the focus to <main>; the next Tab goes on
    # from there (the first link in the content, not the menu).
    page.keyboard.press("Tab")
    skip = page.evaluate("() => { const e = document.activeElement, r = e.getBoundingClientRect();"
                         " return [e.textContent.trim(), e.getAttribute('href'),"
                         " r.top >= 0 && r.bottom <= innerHeight && r.width > 0] }")
    assert skip == ["Naar de inhoud", "#inhoud", True]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "inhoud"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")

    page.goto(f"{server}/lijsten/{pid}")
    households = len(ps.published_rows(data, pid))
    focused = check_keyboard_page(page, limit=8 * households + 40)
    assert focused[0]["what"] == "a #inhoud"
    names = [f for f in focused if f["what"].startswith(f"a /lijsten/{pid}/huishoudens/")]
    assert len(names) == 2 * households  # the name and "Vastleggen" of every household

    # A household's page, then its contact form by keyboard: Tab to the first field, choose with
    # the arrow keys and the space bar, send with Enter.
    page.goto(f"{server}/lijsten/{pid}/huishoudens/1")
    check_keyboard_page(page, limit=200)
    page.goto(f"{server}/lijsten/{pid}/huishoudens/1")
    tab_to(page, "soort", limit=200)
    page.keyboard.press("ArrowDown")  # the first kind of contact after "— kies —"
    chosen = page.evaluate("() => document.activeElement.value")
    assert chosen
    tab_to(page, "bereikt", limit=1)  # the next stop: the radio buttons, "ja" first
    page.keyboard.press("Space")
    # Date and part of the day are filled in already (today, the first part); a date field
    # takes a Tab per part (day, month, year, and the calendar button where there is one).
    tab_to(page, "datum", limit=1)
    tab_to(page, "dagdeel", limit=5)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Contactpoging opslaan"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("[role=status]").inner_text() == "De contactpoging is vastgelegd."
    attempts = page.locator("#contactpoging").locator("xpath=preceding::table[1]//tbody/tr")
    assert attempts.count() >= 1 and chosen in attempts.last.inner_text()
    context.close()


# ----------------------------------------------------------------------------------------------
# Printing: what the browser prints of the list and of a household.
# ----------------------------------------------------------------------------------------------

#: Shown on screen, never on paper: the menu, the skip link, buttons and the forms.
NOT_ON_PAPER = "header.top, nav, footer, .nl-skip-link, button, .nl-button, form.card"


def printed(page, url: str, name: str) -> tuple[list[str], list[float], float]:
    """`url` printed by Chromium on A4 (its print media, as the browser's Print does): the
    text per page, how far right any text starts (points) and the paper's width. The PDF is
    kept as tests/artifacts/portal-afdruk-`name`.pdf to look at."""
    from pypdf import PdfReader

    page.goto(url)
    page.emulate_media(media="print")
    # Laid out as wide as A4 paper (794 CSS pixels) in print media, nothing is wider than it.
    page.set_viewport_size(A4)
    wider = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert wider <= 0, f"{url} is {wider} px wider than the paper"
    on_paper = page.evaluate(
        "sel => Array.from(document.querySelectorAll(sel)).filter(e => e.getClientRects().length)"
        ".map(e => e.tagName + '.' + e.className)", NOT_ON_PAPER)
    assert not on_paper, f"{url} prints {on_paper}"
    pdf = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"portal-afdruk-{name}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    texts, starts = [], []

    def where(text, cm, tm, font, size):
        if text.strip():
            starts.append(cm[0] * tm[4] + cm[2] * tm[5] + cm[4])

    for sheet in reader.pages:
        texts.append(sheet.extract_text(visitor_text=where))
    page.emulate_media(media="screen")
    page.set_viewport_size(DESKTOP)
    return texts, starts, float(reader.pages[0].mediabox.width)


def squeezed(text: str) -> str:
    """Text without white space: a name or address wrapped in a narrow cell is still found."""
    return "".join(text.split())


def test_printing_the_whole_list_and_a_household(data, server, browser):
    """The print view of the coordinator's list, printed by Chromium: no menu, skip link or
    buttons; every household of the list, also beyond the list page's first page; nothing
    wider than the paper, no text beyond its right edge. The list page itself prints the same
    way; the household page prints its facts without its forms."""
    context = browser.new_context(locale="nl-NL", viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, server, "coord-a")
    pid = data.current(ps.TEAM_A)
    rows = ps.published_rows(data, pid)
    texts, starts, width = printed(page, f"{server}/lijsten/{pid}/afdrukken", "lijst")
    paper = squeezed(" ".join(texts))
    missing = [r["rang"] for r in rows
               if squeezed(r["naam"]) not in paper or squeezed(r["straatnaam"]) not in paper]
    assert not missing, f"households missing on paper (rank): {missing}"
    assert squeezed("VERTROUWELIJK") in paper and "CRISIS" in paper
    assert max(starts) < width - 20, (max(starts), width)
    assert len(texts) >= 2  # a list of this size takes more than one sheet

    # The list page printed from the screen: the same, for the households on its page.
    texts, starts, width = printed(page, f"{server}/lijsten/{pid}", "lijstpagina")
    assert squeezed(rows[0]["naam"]) in squeezed(" ".join(texts))
    assert max(starts) < width - 20, (max(starts), width)

    household = rows[0]
    texts, starts, width = printed(page, f"{server}/lijsten/{pid}/huishoudens/1",
                                   "huishouden")
    paper = squeezed(" ".join(texts))
    assert squeezed(household["naam"]) in paper and squeezed("Gegevens van de lijst") in paper
    assert squeezed("Contactpoging vastleggen") not in paper
    assert max(starts) < width - 20, (max(starts), width)
    context.close()


def test_the_print_view_has_every_household_where_the_list_page_has_one_page(data, monkeypatch):
    """The list page shows the list in pages (lists.PAGE_SIZE lines); printing it from the print
    view gives every household, whatever the page size."""
    from portal import lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 5)
    pid = data.current(ps.TEAM_A)
    rows = ps.published_rows(data, pid)
    assert len(rows) > 2 * lists.PAGE_SIZE
    client = ps.client_for(ps.make_app(data), "coord-a")
    on_screen = html.unescape(client.get(f"/lijsten/{pid}").text)
    on_paper = html.unescape(client.get(f"/lijsten/{pid}/afdrukken").text)
    assert sum(r["naam"] in on_screen for r in rows) == lists.PAGE_SIZE
    # Printed from the screen, the list page says on paper that it is one page of the list.
    assert f"alleen huishoudens 1–5 van {len(rows)}" in on_screen
    assert all(r["naam"] in on_paper for r in rows)
