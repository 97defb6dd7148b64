"""The portal as users run it: `vroeg portal` in a subprocess, on a free port.

- A coordinator's whole visit in a real headless Chromium (Debian's chromium package, driven by
  Playwright's Python driver): sign in, open the list, download the Excel file, record a contact
  attempt, sign out. A screenshot of the list page is kept in tests/artifacts/.
- Every page, for every role, answers while another process holds a write connection (and an
  open write transaction) on the warehouse: the portal never opens the DuckDB file.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests import REPO_ROOT
from tests import portal_support as ps

pytestmark = pytest.mark.prefect

VROEG = ps.VROEG
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"




def test_coordinator_signs_in_opens_the_list_downloads_records_a_contact_and_signs_out(
        capsys, data, server, browser):
    import openpyxl
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import Case, ContactAttempt
    from vroeg.settings import Home

    context = browser.new_context(accept_downloads=True, locale="nl-NL",
                                  viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console",
            lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # Sign in: an unauthenticated visit lands on the sign-in page.
    page.goto(server + "/lijsten")
    assert "/inloggen" in page.url
    page.fill("#naam", "coord-a")
    page.fill("#wachtwoord", ps.PASSWORD)
    page.click("button:has-text('Inloggen')")
    page.wait_for_url(server + "/lijsten")
    cookie = next(c for c in context.cookies() if c["name"] == "vroeg_sessie")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"

    # Open the current list of the team.
    page.click("text=Open de lijst")
    pid = data.current(ps.TEAM_A)
    page.wait_for_url(f"{server}/lijsten/{pid}")
    assert "Bezoeklijst Wijkteam Centrum" in page.inner_text("h1")
    households = len(ps.list_households(data, pid))
    assert page.locator("table.visit-list tbody tr").count() == households
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "portal-bezoeklijst.png"
    page.screenshot(path=str(shot))
    with capsys.disabled():
        print(f"\n  screenshot of the list page: {shot}")

    # Download the Excel file.
    with page.expect_download() as info:
        page.click("text=Download Excel")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    # The page shows the whole list; the workbook splits it into bezoeklijst and wachtlijst.
    assert ((workbook["Bezoeklijst"].max_row - 1) + (workbook["Wachtlijst"].max_row - 1)
            == households)

    # The print view loads its script from the site itself (CSP) without errors.
    page.goto(f"{server}/lijsten/{pid}/afdrukken")
    assert page.locator("#print-now").is_visible()

    # Record a contact attempt for the household ranked first.
    page.goto(f"{server}/lijsten/{pid}")
    page.click("table.visit-list tbody tr:first-child th[scope=row] a")
    page.wait_for_url(re.compile(rf".*/lijsten/{pid}/huishoudens/1$"))
    page.select_option("#soort", "Huisbezoek")
    page.check("input[name=bereikt][value=nee]")
    page.select_option("#dagdeel", "Avond")
    page.click("button:has-text('Contactpoging opslaan')")
    page.wait_for_url(re.compile(r".*melding=contact$"))
    assert "De contactpoging is vastgelegd." in page.inner_text("main")
    assert "Huisbezoek" in page.inner_text("main table")
    pseudonym = ps.list_households(data, pid)[0]
    with db.session(Home(data.root).database_url) as s:
        case = s.scalars(select(Case).where(Case.publication_id == pid,
                                            Case.huishouden_pseudoniem == pseudonym)).one()
        attempts = s.scalars(select(ContactAttempt).where(ContactAttempt.case_id == case.id)).all()
    assert [(a.soort, a.bereikt, a.dagdeel, a.recorded_by) for a in attempts][-1] == (
        "Huisbezoek", False, "Avond", "coord-a")

    # Sign out: the session is gone, the list is out of reach.
    page.click("button:has-text('Uitloggen')")
    page.wait_for_url(re.compile(r".*/inloggen\?uitgelogd=1$"))
    page.goto(f"{server}/lijsten/{pid}")
    assert "/inloggen" in page.url
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    context.close()


def _sign_in(base: str, name: str) -> dict[str, str]:
    """Sign in over plain HTTP; returns the Cookie header (httpx keeps Secure cookies for https)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/inloggen")
        response = client.post("/inloggen", data={
            "csrf": ps.csrf_of(page.text), "naam": name, "wachtwoord": ps.PASSWORD,
            "volgende": "/"},
            headers={"Cookie": f"vroeg_inlogformulier={page.cookies['vroeg_inlogformulier']}"})
        assert response.status_code == 303, response.text
        return {"Cookie": f"vroeg_sessie={response.cookies['vroeg_sessie']}"}


HOLD_WAREHOUSE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])  # read-write: the one writer DuckDB allows
con.execute("BEGIN TRANSACTION")
con.execute("UPDATE signals SET versie = versie + 1")  # an open write transaction
print("vast", flush=True)
sys.stdin.read()  # until the test closes our standard input
con.execute("ROLLBACK")
con.close()
"""


def test_every_page_answers_while_a_flow_holds_the_warehouse(data, server):
    import duckdb

    from vroeg.settings import Home

    warehouse = Home(data.root).warehouse_path("0080")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WAREHOUSE, str(warehouse)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "vast"
        # The lock is real: nobody else can open the file now, not even read-only.
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(warehouse), read_only=True)
        requested = 0
        for account, role in ps.ROLE_OF.items():
            headers = _sign_in(server, account)
            for (method, template), rule in sorted(ps.RULES.items()):
                if method != "GET" or not (rule == ps.SIGNED_IN or (
                        isinstance(rule, frozenset) and role in rule)):
                    continue
                url = ps.concrete(data, method, template)
                started = time.monotonic()
                response = httpx.get(server + url, headers=headers, timeout=30)
                assert response.status_code == ps.ALLOWED_STATUS.get((method, template), 200), (
                    account, url, response.text[:300])
                assert "IOException" not in response.text and "lock on file" not in response.text
                assert time.monotonic() - started < 10, url
                requested += 1
        assert requested >= 20
        assert holder.poll() is None, "the writer was still holding the warehouse"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_the_portal_does_not_even_import_duckdb():
    code = "import sys, portal.app, cli.portal; print('duckdb' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "False", result.stderr
