"""What each kind of user sees and does in the portal, on data from a real pipeline run.

Coordinators: the list as published, downloads byte for byte (formula injection neutralised),
contact attempts and end results keyed by pseudonym, every view logged per household.
Privacy officers: the audit trail and who saw what, without residents' identities, and the one
explicit, logged re-identification. Data officers: deliveries, runs, charts without personal data.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import portal_support as ps

pytestmark = pytest.mark.prefect




@pytest.fixture(scope="module")
def coord(app):
    return ps.client_for(app, "coord-a")


@pytest.fixture(scope="module")
def officer(app):
    return ps.client_for(app, "privacy")


@pytest.fixture(scope="module")
def data_officer(app):
    return ps.client_for(app, "data")


def _db(data):
    from vroeg.opsdb import db
    from vroeg.settings import Home

    return db.session(Home(data.root).database_url)


def _publication(data, pid):
    from vroeg.opsdb.models import Publication

    with _db(data) as s:
        return s.get(Publication, pid)


def _rows(data, pid) -> list[dict]:
    return ps.published_rows(data, pid)


def _identities(data, team) -> set[str]:
    """Names, streets and phone numbers of a team's current list (values of 5+ characters)."""
    values = set()
    for r in _rows(data, data.current(team)):
        for column in ("naam", "straatnaam", "telefoon"):
            values.update(v.strip() for v in r[column].split(" / ") if len(v.strip()) >= 5)
    return values


def _subjects(data, audit, **where) -> list[str]:
    return [audit.decrypt_subject(entry.data_subject_id)
            for entry in ps.audit_lines(data, **where) if entry.data_subject_id]


# ----------------------------------------------------------------------------------------------
# Coordinators
# ----------------------------------------------------------------------------------------------


def test_overview_shows_the_own_teams_lists_only(data, coord):
    page = coord.get("/lijsten")
    assert page.status_code == 200
    assert "Wijkteam Centrum" in page.text and "Wijkteam Oost" not in page.text
    for pid in data.publications[ps.TEAM_A]:
        assert f'href="/lijsten/{pid}"' in page.text
    assert "huidig" in page.text


def test_list_page_shows_the_published_list_and_logs_every_household(data, coord):
    pid = data.current(ps.TEAM_A)
    rows = _rows(data, pid)
    audit = ps.audit(data)
    before = len(ps.audit_lines(data))
    page = coord.get(f"/lijsten/{pid}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for r in rows:
        assert r["naam"] in text and r["redenen"] in text
    assert text.count('class="nl-data-badge crisis"') == sum(r["crisis"] == "ja" for r in rows)
    # One bulk line, and under it one line per household, subject = encrypted pseudonym.
    new = ps.audit_lines(data)[before:]
    bulk = [entry for entry in new if entry.name == "inzage-lijst"]
    assert len(bulk) == 1 and bulk[0].attributes["huishoudens"] == len(rows)
    lines = [entry for entry in new if entry.name == "inzage"]
    assert {entry.parent_operation_id for entry in lines} == {bulk[0].operation_id}
    assert sorted(audit.decrypt_subject(entry.data_subject_id) for entry in lines) == sorted(
        ps.list_households(data, pid))
    for line in lines:
        assert line.attributes["gebruiker"] == "coord-a"
        assert line.attributes["wijkteam"] == ps.TEAM_A and line.attributes["publicatie"] == pid
    # The encrypted subject is not the pseudonym in clear.
    assert not any(entry.data_subject_id.startswith("k1_") for entry in lines)


def test_downloads_are_the_published_files_and_formulas_stay_text(data, coord):
    import openpyxl

    pid = data.current(ps.TEAM_A)
    publication = _publication(data, pid)
    audit = ps.audit(data)
    households = ps.list_households(data, pid)
    before = len(ps.audit_lines(data))

    response = coord.get(f"/lijsten/{pid}/download/csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.content == Path(publication.csv_path).read_bytes()
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    formula = next(r for r in rows if "Formulier" in r["naam"])
    assert formula["naam"].startswith("'=HYPERLINK")  # neutralised by publishing.visit_list

    response = coord.get(f"/lijsten/{pid}/download/xlsx")
    assert response.status_code == 200
    assert response.content == Path(publication.xlsx_path).read_bytes()
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    # Both sections of the list (the resident may be on the wachtlijst).
    cells = [c for name in ("Bezoeklijst", "Wachtlijst") for row in workbook[name].iter_rows()
             for c in row]
    assert not [c for c in cells if c.data_type == "f"], "no formula may come out of the list"
    name_cell = next(c for c in cells if isinstance(c.value, str) and "Formulier" in c.value)
    assert name_cell.data_type == "s" and name_cell.number_format == "@"

    new = ps.audit_lines(data)[before:]
    for formaat in ("csv", "xlsx"):
        bulk = [entry for entry in new
                if entry.name == "download-lijst" and entry.attributes["formaat"] == formaat]
        assert len(bulk) == 1
        subjects = [audit.decrypt_subject(entry.data_subject_id) for entry in new
                    if entry.name == "download"
                    and entry.parent_operation_id == bulk[0].operation_id]
        assert sorted(subjects) == sorted(households)


def test_print_view_is_logged_and_uses_no_inline_script(data, coord):
    pid = data.current(ps.TEAM_A)
    before = len(ps.audit_lines(data))
    page = coord.get(f"/lijsten/{pid}/afdrukken")
    assert page.status_code == 200
    assert '<script src="/static/print.js"' in page.text
    assert "<script>" not in page.text and " style=" not in page.text and "onclick" not in page.text
    names = [entry.name for entry in ps.audit_lines(data)[before:]]
    assert names.count("afdrukken-lijst") == 1
    assert names.count("inzage") == len(ps.list_households(data, pid))


def test_contact_attempts_and_end_result_are_recorded_by_pseudonym(data, coord):
    from vroeg.opsdb import cases
    from vroeg.opsdb.models import Case, ContactAttempt

    pid = data.current(ps.TEAM_A)
    regel = 3
    pseudonym = ps.list_households(data, pid)[regel - 1]
    name = _rows(data, pid)[regel - 1]["naam"]
    url = f"/lijsten/{pid}/huishoudens/{regel}"
    page = coord.get(url)
    assert page.status_code == 200 and html.escape(name) in page.text
    csrf = ps.csrf_of(page.text)
    today = dt.date.today()

    def attempts() -> int:
        with _db(data) as s:
            return s.scalar(select(func.count()).select_from(ContactAttempt))

    count = attempts()
    for bad, message in (
            ({"soort": "Duif", "datum": today.isoformat()}, "soort contact"),
            ({"soort": "Brief", "datum": (today + dt.timedelta(days=2)).isoformat()}, "toekomst"),
            ({"soort": "Brief", "datum": "2001-01-01"}, "vóór de periode"),
            ({"soort": "Brief", "datum": "gisteren"}, "geldige datum"),
            ({"soort": "Brief", "datum": today.isoformat(), "dagdeel": "Nacht"}, "dagdeel")):
        form = {"csrf": csrf, "bereikt": "ja", "dagdeel": "Avond", **bad}
        response = coord.post(url + "/contactpogingen", data=form)
        assert response.status_code == 400, bad
        assert message in html.unescape(response.text)
    assert attempts() == count

    before = len(ps.audit_lines(data))
    response = coord.post(url + "/contactpogingen", data={
        "csrf": csrf, "soort": "Huisbezoek", "bereikt": "ja", "datum": today.isoformat(),
        "dagdeel": "Middag"}, follow_redirects=False)
    assert response.status_code == 303
    assert ps.audit(data).decrypt_subject(
        [entry for entry in ps.audit_lines(data)[before:]
         if entry.name == "registratie"][0].data_subject_id
    ) == pseudonym
    response = coord.post(url + "/eindresultaat", data={
        "csrf": csrf, "eindresultaat": cases.NO_HELP_NEEDED}, follow_redirects=False)
    assert response.status_code == 303
    page = coord.get(response.headers["location"])
    assert "Het eindresultaat is vastgelegd." in page.text and "Huisbezoek" in page.text

    with _db(data) as s:
        case = s.scalars(select(Case).where(Case.publication_id == pid,
                                            Case.huishouden_pseudoniem == pseudonym)).one()
        assert case.rang == regel and case.wijkteam == ps.TEAM_A and case.period == data.period
        assert case.opgepakt_op == today and case.eindresultaat == cases.NO_HELP_NEEDED
        assert [(a.soort, a.bereikt, a.dagdeel) for a in case.contact_attempts] == [
            ("Huisbezoek", True, "Middag")]
        # Keyed by pseudonym: the resident's name is nowhere in the case.
        assert name not in repr([getattr(case, c.key) for c in Case.__table__.columns])

    # What matching (exclusions) and the DDAS export read.
    from vroeg.settings import Home

    database_url = Home(data.root).database_url
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    assert pseudonym in cases.no_help_needed(database_url, "0080", since=since)
    closed = cases.closed_cases(database_url, "0080", results=[cases.NO_HELP_NEEDED])
    assert pseudonym in {c.huishouden_pseudoniem for c in closed}
    exported = [c for c in cases.cases_between(database_url, "0080", data.period, data.period)
                if c.huishouden_pseudoniem == pseudonym]
    assert exported and exported[0].contactpogingen[0].soort == "Huisbezoek"
    assert exported[0].run_id and exported[0].eindresultaat in cases.END_RESULTS
    with pytest.raises(ValueError):
        cases.closed_cases(database_url, "0080", results=["geen DDAS-waarde"])


# ----------------------------------------------------------------------------------------------
# Privacy officers
# ----------------------------------------------------------------------------------------------


def test_privacy_pages_show_who_saw_what_but_no_resident_identity(data, coord, officer):
    pid = data.current(ps.TEAM_A)
    coord.get(f"/lijsten/{pid}")
    coord.get(f"/lijsten/{pid}/download/xlsx")
    identities = _identities(data, ps.TEAM_A)
    assert len(identities) > 20
    household = ps.list_households(data, pid)[0]
    pages = {}
    for url in ("/privacy/logboek", "/privacy/inzage", "/privacy/register",
                "/privacy/bewaartermijnen", f"/privacy/logboek?huishouden={household}",
                "/privacy/logboek?stap=toegang-geweigerd", "/privacy/logboek?gebruiker=coord-a",
                f"/privacy/inzage?wijkteam={ps.TEAM_A}",
                f"/privacy/heridentificatie?huishouden={household}"):
        response = officer.get(url)
        assert response.status_code == 200, url
        pages[url] = html.unescape(response.text)
        leaked = sorted(v for v in identities if v in pages[url])
        assert not leaked, f"{url} shows {len(leaked)} identity values"
    assert "k1_" in pages["/privacy/logboek"]
    who = pages["/privacy/inzage"]
    assert "coord-a" in who and "lijst gedownload" in who and "lijst bekeken" in who
    # Filtering on one household shows only its lines (and links to re-identification).
    filtered = pages[f"/privacy/logboek?huishouden={household}"]
    assert filtered.count(f'title="{household}"') >= 2
    assert "/privacy/heridentificatie?huishouden=" in filtered


def test_register_and_retention_pages_show_the_privacy_modules_content(data, officer, app):
    """The register is privacy.register.build's document; retention status comes from
    governance.retention.status (the stores' own finders): terms, what is due now, the oldest
    item."""
    from governance import register as art30
    from governance.retention import LABELS, status
    from privacy.context import Context
    from vroeg.config import load_municipality
    from vroeg.settings import Home

    home = Home(data.root)
    municipality = load_municipality(home, "0080")
    document = art30.build(municipality)
    register = html.unescape(officer.get("/privacy/register").text)
    for expected in (document["naam"], document["grondslag"], document["doel"],
                     "Wijkteam Centrum (sociaal wijkteam)", "zaken en contactpogingen",
                     document["beveiligingsmaatregelen"]["technisch"][0],
                     *document["signaalpartners"]):
        assert expected in register, expected
    assert "Nog niet beschikbaar" not in register

    page = html.unescape(officer.get("/privacy/bewaartermijnen").text)
    assert "Nog niet beschikbaar" not in page
    expected = status(Context(home=home, municipality=municipality))
    assert [s.opslag for s in expected] == list(LABELS)
    for store in expected:
        assert store.naam in page
        assert (store.te_vernietigen is None) == (store.opslag == "signals")
    by_store = {s.opslag: s for s in expected}
    # Fresh lists and signals: nothing due, the oldest list is in the outbox, and the vault's
    # oldest record is shown although the portal never opens the warehouse.
    assert by_store["lists"].te_vernietigen["lijstbestanden"] == 0
    assert by_store["lists"].oudste is not None and by_store["signals"].oudste is not None
    assert "lijstbestanden: 0" in page and "niet te tellen vanuit de portal" in page
    # Only privacy officers: every other role is refused (and the refusal logged), no content.
    for name in ("coord-a", "data", "admin"):
        client = ps.client_for(app, name)
        for url in ("/privacy/register", "/privacy/bewaartermijnen"):
            response = client.get(url)
            assert response.status_code == 403, (name, url)
            assert document["grondslag"] not in html.unescape(response.text)
            assert "Oudste" not in response.text


def test_reidentification_is_explicit_and_logged_before_anything_is_shown(data, officer):
    pid = data.current(ps.TEAM_A)
    household = ps.list_households(data, pid)[1]
    name = _rows(data, pid)[1]["naam"].split(" / ")[0]
    csrf = ps.session_csrf(officer)
    before = len(ps.audit_lines(data))
    form = {"csrf": csrf, "huishouden": household, "reden": "klacht"}
    page = officer.get(f"/privacy/heridentificatie?huishouden={household}").text
    # The reasons are privacy.purposes' list, shown with their Dutch labels.
    from privacy.purposes import REIDENTIFY_REASONS

    for code, label in REIDENTIFY_REASONS.items():
        assert f'<option value="{code}">{html.escape(label)}</option>' in page
    assert officer.post("/privacy/heridentificatie", data=form).status_code == 400  # not confirmed
    assert officer.post("/privacy/heridentificatie",
                        data={**form, "bevestig": "ja", "reden": "nieuwsgierig"}
                        ).status_code == 400
    assert len(ps.audit_lines(data)) == before
    response = officer.post("/privacy/heridentificatie", data={**form, "bevestig": "ja"})
    assert response.status_code == 200
    assert html.escape(name) in response.text
    new = ps.audit_lines(data)[before:]
    # As `vroeg reidentify` logs it.
    bulk = [entry for entry in new if entry.name == "heridentificatie-handmatig"]
    assert len(bulk) == 1 and bulk[0].attributes["gebruiker"] == "privacy"
    assert bulk[0].attributes["reden"] == "klacht"
    assert "Klacht van de betrokkene" in html.unescape(response.text)
    subject = [entry for entry in new if entry.name == "heridentificatie"]
    assert len(subject) == 1 and subject[0].parent_operation_id == bulk[0].operation_id
    assert ps.audit(data).decrypt_subject(subject[0].data_subject_id) == household
    assert subject[0].attributes["doel"] == "handmatig: klacht"


# ----------------------------------------------------------------------------------------------
# Data officers
# ----------------------------------------------------------------------------------------------


def test_deliveries_page_lists_every_delivery_with_counts_and_quarantine_reasons(data,
                                                                                 data_officer):
    from vroeg.opsdb.models import Delivery

    with _db(data) as s:
        deliveries = s.scalars(select(Delivery)).all()
        records = {d.id: list(d.quarantine) for d in deliveries}
    page = html.unescape(data_officer.get("/data/leveringen").text)
    for d in deliveries:
        assert d.filename in page and f"/data/leveringen/{d.id}" in page
    quarantined = [d for d in deliveries if d.rows_quarantined]
    assert quarantined, "the demo plants bad rows"
    detail = data_officer.get(f"/data/leveringen/{quarantined[0].id}")
    assert detail.status_code == 200
    for q in records[quarantined[0].id]:
        assert q.reason in detail.text and html.escape(q.message) in detail.text
    only_loaded = data_officer.get("/data/leveringen?status=afgekeurd").text
    assert quarantined[0].filename not in only_loaded


def test_runs_page_shows_the_runs_and_prefects_flow_runs(data, data_officer, app, tmp_path,
                                                        monkeypatch):
    from flows.ingest import ingest_flow
    from flows.run import run_flow
    from privacy.keys import init_keys
    from vroeg.opsdb.models import Run
    from vroeg.settings import Home

    # Flow runs of 0080 on the session's Prefect server, from a home of their own (the demo is
    # built without Prefect): an ingestion with nothing to do, and a refused month.
    with monkeypatch.context() as mp:
        mp.setenv("VROEG_HOME", str(tmp_path / "elders"))
        init_keys(Home(tmp_path / "elders").ensure(), "0080")
        ingest_flow(gemeente="0080", receipts=[])
        with pytest.raises(ValueError):
            run_flow(gemeente="0080", period="2001-01")
    with _db(data) as s:
        runs = s.scalars(select(Run)).all()
    page = data_officer.get("/data/runs").text
    # The demo's run and the extras' re-run, and the crisis lane's run of the canary's crisis.
    assert sorted(r.kind for r in runs) == ["crisis", "maand", "maand"]
    assert all(r.id in page for r in runs)
    assert ("Recent (Prefect)" in page and "matchen-en-publiceren" in page
            and "inlezen-leveringen" in page)
    # Without Prefect, or with Prefect unreachable, the page still answers.
    for url in (None, "http://127.0.0.1:9/api"):
        client = ps.client_for(ps.make_app(data, prefect_api_url=url), "data")
        response = client.get("/data/runs")
        assert response.status_code == 200 and runs[0].id in response.text
        assert ("niet bereikbaar" in response.text) == (url is not None)


def test_charts_are_svg_with_counts_only(data, data_officer):
    from vroeg.opsdb.models import Publication, SignalMonthCount

    with _db(data) as s:
        counts = s.scalars(select(SignalMonthCount)).all()
        current = {}
        for p in s.scalars(select(Publication).order_by(Publication.id)).all():
            current[p.wijkteam] = p.households
    assert counts and sum(c.signalen for c in counts) > 100
    identities = set().union(*(_identities(data, t) for t in (ps.TEAM_A, ps.TEAM_B)))
    svg_ns = "{http://www.w3.org/2000/svg}"
    signals = data_officer.get("/data/grafieken/signalen.svg")
    assert signals.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(signals.text)
    bars = [r for r in root.iter(f"{svg_ns}rect") if r.find(f"{svg_ns}title") is not None]
    assert len(bars) == len(counts)
    assert sorted(int(b.find(f"{svg_ns}title").text.rsplit(": ", 1)[1]) for b in bars) == sorted(
        c.signalen for c in counts)
    sizes = ET.fromstring(data_officer.get("/data/grafieken/lijstgrootte.svg").text)
    bars = {r.find(f"{svg_ns}title").text for r in sizes.iter(f"{svg_ns}rect")}
    assert f"Wijkteam Centrum: {current[ps.TEAM_A]} huishoudens" in bars
    page = data_officer.get("/data/grafieken").text
    for text in (signals.text, ET.tostring(sizes, encoding="unicode"), page):
        assert "<script" not in text
        assert not [v for v in identities if v in html.unescape(text)]


def test_signal_counts_in_the_operational_database_match_the_warehouse(data):
    import duckdb

    from vroeg.opsdb.models import SignalMonthCount
    from vroeg.settings import Home

    con = duckdb.connect(str(Home(data.root).warehouse_path("0080")), read_only=True)
    try:
        warehouse = sorted(con.execute(
            "SELECT strftime(signaaldatum, '%Y-%m'), partner_type, count(*) FROM signals "
            "GROUP BY ALL").fetchall())
    finally:
        con.close()
    with _db(data) as s:
        ops = sorted((c.maand, c.partner_type, c.signalen)
                     for c in s.scalars(select(SignalMonthCount)).all())
    assert ops == warehouse


# ----------------------------------------------------------------------------------------------
# Administrators and every user
# ----------------------------------------------------------------------------------------------


def test_administrator_adds_resets_and_removes_accounts(data, app):
    admin = ps.client_for(app, "admin")
    csrf = ps.session_csrf(admin)
    form = {"csrf": csrf, "naam": "k.bakker", "rol": ["coordinator"], "team": [ps.TEAM_B],
            "wachtwoord": "Kees-wachtwoord-2026", "herhaling": "Kees-wachtwoord-2026"}
    bad = admin.post("/beheer/gebruikers", data={**form, "team": []})
    assert bad.status_code == 400 and "minstens één wijkteam" in html.unescape(bad.text)
    assert admin.post("/beheer/gebruikers", data={**form, "herhaling": "anders"}).status_code == 400
    assert admin.post("/beheer/gebruikers", data=form).status_code == 200  # followed redirect
    kees = ps.client_for(app, "k.bakker", "Kees-wachtwoord-2026")
    assert "Wijkteam Oost" in kees.get("/lijsten").text
    from portal import accounts
    from vroeg.settings import Home

    account = next(a for a in accounts.list_users(Home(data.root).database_url, "0080")
                   if a.name == "k.bakker")
    reset = admin.post(f"/beheer/gebruikers/{account.id}/wachtwoord", data={
        "csrf": csrf, "wachtwoord": "Nieuw-voor-kees-1", "herhaling": "Nieuw-voor-kees-1"})
    assert reset.status_code == 200 and "vervangen" in reset.text
    assert kees.get("/lijsten", follow_redirects=False).status_code == 303  # signed out
    assert admin.post(f"/beheer/gebruikers/{account.id}/verwijderen",
                      data={"csrf": csrf}).status_code == 200
    assert ps.login(ps.client_for(app, None), "k.bakker", "Nieuw-voor-kees-1").status_code == 401
    me = next(a for a in accounts.list_users(Home(data.root).database_url, "0080")
              if a.name == "admin")
    refused = admin.post(f"/beheer/gebruikers/{me.id}/verwijderen", data={"csrf": csrf})
    assert refused.status_code == 400 and "eigen account" in refused.text


def test_a_user_changes_their_own_password_and_is_signed_out_everywhere(data, app):
    from portal import accounts
    from vroeg.settings import Home

    database_url = Home(data.root).database_url
    accounts.add_user(database_url, "0080", "wissel", ps.PASSWORD, ["data"], [], [],
                      **ps.set_up_by(Home(data.root)))
    first, second = ps.client_for(app, "wissel"), ps.client_for(app, "wissel")
    response = first.post("/wachtwoord", data={
        "csrf": ps.session_csrf(first), "huidig": ps.PASSWORD, "nieuw": "Ander-geheim-2026",
        "herhaling": "Ander-geheim-2026"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inloggen?gewijzigd=1"
    assert second.get("/data/runs", follow_redirects=False).status_code == 303
    assert ps.login(ps.client_for(app, None), "wissel").status_code == 401
    assert ps.login(ps.client_for(app, None), "wissel", "Ander-geheim-2026").status_code == 303


# ----------------------------------------------------------------------------------------------
# The list reader on its own
# ----------------------------------------------------------------------------------------------


def _copy(data, tmp_path, change=None):
    """A team folder in a scratch outbox with a copy of a real published CSV (optionally changed)
    and a Publication describing it."""
    import hashlib

    from vroeg.opsdb.models import Publication

    source = _publication(data, data.current(ps.TEAM_A))
    folder = tmp_path / "outbox" / ps.TEAM_A
    folder.mkdir(parents=True)
    raw = Path(source.csv_path).read_bytes()
    if change:
        raw = change(raw)
    target = folder / Path(source.csv_path).name
    target.write_bytes(raw)
    publication = Publication(id=source.id, run_id=source.run_id, gemeente="0080",
                              wijkteam=ps.TEAM_A, period=source.period,
                              households=source.households, csv_path=str(target),
                              xlsx_path=str(folder / "x.xlsx"),
                              csv_sha256=hashlib.sha256(raw).hexdigest())
    return tmp_path / "outbox", publication


def test_a_list_is_parsed_once_per_version_of_its_file(data, tmp_path, monkeypatch):
    """Twenty coordinators on one list parse it once (issue 19, point 19). It is parsed again
    when the file changes with its recorded digest (an erasure), or when its pseudonyms do (a
    key rotation re-keys them and leaves the file); a file changed behind the publication's
    back is refused even when parsed before."""
    import hashlib

    from sqlalchemy import delete, update

    from portal import lists
    from vroeg.opsdb.models import PublicationHousehold

    parsed = []
    real = lists.households

    def households(s, publication_id):
        parsed.append(publication_id)
        return real(s, publication_id)

    monkeypatch.setattr(lists, "households", households)
    pid = data.current(ps.TEAM_A)
    outbox, publication = _copy(data, tmp_path)
    # One transaction that is never committed: the test home stays as it was for other tests.
    with _db(data) as s:
        first = lists.open_list(outbox, publication, s)
        again = lists.open_list(outbox, publication, s)
        assert len(parsed) == 1 and again.lines == first.lines
        assert [line.pseudonym for line in again.lines] == ps.list_households(data, pid)

        # As a key rotation does: every pseudonym re-keyed, the file unchanged.
        rows = PublicationHousehold.__table__
        s.execute(update(rows).where(rows.c.publication_id == pid).values(
            huishouden_pseudoniem="k9_" + rows.c.huishouden_pseudoniem))
        rekeyed = lists.open_list(outbox, publication, s)
        assert len(parsed) == 2
        assert all(p.startswith("k9_") for p in rekeyed.pseudonyms)

        # As an erasure does: the last household's row out of the file and its pseudonym out of
        # publication_households, the new digest recorded.
        last = rekeyed.lines[-1]
        s.execute(delete(rows).where(rows.c.publication_id == pid, rows.c.regel == last.regel))
        path = Path(publication.csv_path)
        path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:-1]))
        publication.csv_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        erased = lists.open_list(outbox, publication, s)
        assert len(parsed) == 3 and len(erased.lines) == len(first.lines) - 1
        assert last.pseudonym not in erased.pseudonyms
        assert [key for key in lists._parsed if key == (str(path), publication.id)] == [
            (str(path), publication.id)]

        path.write_bytes(path.read_bytes() + b"\n")  # changed, digest not recorded
        with pytest.raises(lists.ListUnavailable, match="gewijzigd"):
            lists.open_list(outbox, publication, s)
        s.rollback()


def test_list_reader_refuses_changed_misplaced_or_unpaired_lists(data, tmp_path):
    from portal import lists
    from vroeg.opsdb.models import PublicationHousehold

    pid = data.current(ps.TEAM_A)
    with _db(data) as s:
        pairs = lists.households(s, pid)
    outbox, publication = _copy(data, tmp_path)
    loaded = lists.load(outbox, publication, pairs)
    assert [line.pseudonym for line in loaded.lines] == ps.list_households(data, pid)
    # The columns the matching work added after the first model's (publishing.visit_list).
    from publishing.visit_list import COLUMNS, LIST_COLUMNS

    assert loaded.extra_columns == COLUMNS[len(LIST_COLUMNS):]

    publication.csv_sha256 = "0" * 64
    with pytest.raises(lists.ListUnavailable, match="gewijzigd"):
        lists.load(outbox, publication, pairs)
    outbox, fresh = _copy(data, tmp_path / "b")
    with pytest.raises(lists.ListUnavailable, match="ontbreekt de registratie"):
        lists.load(outbox, fresh, pairs[:-1])
    shifted = [PublicationHousehold(publication_id=pid, regel=p.regel, rang=p.rang + 1,
                                    huishouden_pseudoniem=p.huishouden_pseudoniem) for p in pairs]
    with pytest.raises(lists.ListUnavailable, match="ontbreekt de registratie"):
        lists.load(outbox, fresh, shifted)
    # A file in the team's folder that leads elsewhere is not served.
    (outbox / ps.TEAM_A / "elders.csv").symlink_to(Path(data.root) / "vroeg.sqlite")
    fresh.csv_path = str(outbox / ps.TEAM_A / "elders.csv")
    with pytest.raises(lists.ListUnavailable, match="niet in de map"):
        lists.load(outbox, fresh, pairs)
    fresh.csv_path = str(outbox / ps.TEAM_A / "weg.csv")
    with pytest.raises(lists.ListUnavailable, match="niet meer beschikbaar"):
        lists.load(outbox, fresh, pairs)
    # The recorded path is where the home was at publication: a restored or copied home
    # finds the list by name in its own outbox.
    outbox, moved = _copy(data, tmp_path / "c")
    moved.csv_path = "/ergens/anders/" + Path(moved.csv_path).name
    assert len(lists.load(outbox, moved, pairs).lines) == len(pairs)


def test_columns_added_to_lists_later_are_shown_by_name(data, tmp_path):
    """The matching work added columns (advice term, section, points per rule); they, and any
    added later, are read by header."""
    from portal import lists
    from publishing.visit_list import POINT_COLUMNS

    def add_columns(raw: bytes) -> bytes:
        lines = raw.decode("utf-8-sig").split("\r\n")
        lines[0] += ";later_kolom;punten_later"
        lines[1:] = [line + ";iets nieuws;3" if line else line for line in lines[1:]]
        return ("\ufeff" + "\r\n".join(lines)).encode()

    with _db(data) as s:
        pairs = lists.households(s, data.current(ps.TEAM_A))
    outbox, publication = _copy(data, tmp_path, add_columns)
    loaded = lists.load(outbox, publication, pairs)
    assert loaded.extra_columns == ("advies", "schuldeisers", "sectie", *POINT_COLUMNS,
                                    "later_kolom", "punten_later")
    # Points per rule stay on the household page; advice, creditors and section have a place
    # of their own on the list page; the rest is shown in the list table by name.
    assert loaded.table_extras == ("later_kolom",)
    assert loaded.lines[0].get("advies") in ("binnen 3 werkdagen", "binnen 4 weken")
    assert loaded.lines[0].get("later_kolom") == "iets nieuws"


def test_amounts_are_shown_the_dutch_way():
    from portal.lists import euro

    assert euro("1234,56") == "€ 1.234,56"
    assert euro("-5,00") == "€ -5,00"
    assert euro("75") == "€ 75,00"
    assert euro("onbekend") == "onbekend"


# ----------------------------------------------------------------------------------------------
# The small things (issue 18, point 5)
# ----------------------------------------------------------------------------------------------


def test_head_is_answered_wherever_get_is(data, app, coord, officer):
    anonymous = ps.client_for(app, None)
    pid = data.current(ps.TEAM_A)
    for client, url in ((anonymous, "/status"), (anonymous, "/inloggen"), (coord, "/"),
                        (coord, f"/lijsten/{pid}"), (officer, "/privacy/logboek")):
        got = client.get(url, follow_redirects=False)
        head = client.head(url, follow_redirects=False)
        assert head.status_code == got.status_code != 405, url
        assert head.content == b"", url
        for name in ("content-type", "location", "content-security-policy", "cache-control"):
            assert head.headers.get(name) == got.headers.get(name), (url, name)
    # The same access rules as GET: a HEAD is not a way around them.
    assert anonymous.head(f"/lijsten/{pid}", follow_redirects=False).status_code == 303
    assert officer.head(f"/lijsten/{pid}", follow_redirects=False).status_code == 403
    # A route that only takes POST still says so.
    assert coord.head("/uitloggen").status_code == 405


def test_every_page_has_a_favicon(app):
    anonymous = ps.client_for(app, None)
    page = anonymous.get("/inloggen").text
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    response = anonymous.get("/favicon.ico", follow_redirects=False)
    assert response.status_code == 301 and response.headers["location"] == "/static/favicon.svg"
    icon = anonymous.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert ET.fromstring(icon.text).tag == "{http://www.w3.org/2000/svg}svg"


def test_reidentification_is_in_the_privacy_officers_menu(officer, coord):
    menu = officer.get("/privacy/logboek").text.split('aria-label="Hoofdmenu"')[1]
    menu = menu.split("</nav>")[0]
    assert '<a href="/privacy/heridentificatie"' in menu and "Heridentificatie" in menu
    assert "/privacy/heridentificatie" not in coord.get("/lijsten").text


def test_charts_page_lets_the_charts_fill_their_card(data_officer):
    page = data_officer.get("/data/grafieken").text
    assert page.count('<img src="/data/grafieken/') == 2
    css = data_officer.get("/static/portal.css").text
    rule = next(line for line in css.splitlines() if line.startswith("figure img"))
    assert "width: 100%" in rule.replace("max-width: 100%", "")


# ----------------------------------------------------------------------------------------------
# Lists that work (issue 18, point 3)
# ----------------------------------------------------------------------------------------------


def test_list_shows_the_bezoeklijst_and_the_wachtlijst_as_sections_with_counts(data, coord):
    pid = data.current(ps.TEAM_A)
    rows = _rows(data, pid)
    visits = sum(r["sectie"] == "bezoeklijst" for r in rows)
    waiting = sum(r["sectie"] == "wachtlijst" for r in rows)
    assert visits and waiting, "the demo list has both sections"
    assert _publication(data, pid).households == visits
    text = html.unescape(coord.get(f"/lijsten/{pid}").text)
    head_visits = ('id="sectie-bezoeklijst">Bezoeklijst '
                   f'<span class="count">({visits} huishoudens)')
    head_waiting = ('id="sectie-wachtlijst">Wachtlijst '
                    f'<span class="count">({waiting} huishoudens)')
    assert text.count(head_visits) == 1 and text.count(head_waiting) == 1
    bezoek, wacht = text.split(head_waiting)
    for r in rows:
        assert r["naam"] in (bezoek if r["sectie"] == "bezoeklijst" else wacht), r["rang"]
    # One number per concept: the overview names the same bezoeklijst and wachtlijst figures.
    overview = coord.get("/lijsten").text
    assert f"{visits} huishoudens op de bezoeklijst en {waiting} op de wachtlijst" in overview
    link = f'<a class="nl-link" href="/lijsten/{pid}">'  # the table's, not the button above it
    row = next(r for r in overview.split("<tr>") if link in r)
    assert re.findall(r'class="num">(\d+)<', row)[:2] == [str(visits), str(waiting)]


def test_list_names_the_creditors_of_each_household_from_the_partner_registry(data, coord):
    import duckdb

    from vroeg.config import load_municipality
    from vroeg.settings import Home

    name_of = {p.id: p.name for p in load_municipality(Home(data.root), "0080").partners.values()}
    pid = data.current(ps.TEAM_A)
    publication = _publication(data, pid)
    # The partners whose counted signals put each household on the list (pseudonyms only).
    with duckdb.connect(str(Home(data.root).warehouse_path("0080")), read_only=True) as con:
        sent = dict(con.execute(
            "SELECT h.huishouden_pseudoniem, list(DISTINCT s.partner_id) FROM household_scores h "
            "CROSS JOIN unnest(h.signaal_pseudoniemen) AS u(sp) "
            "JOIN signals s ON s.signaal_pseudoniem = u.sp "
            "WHERE h.run_id = ? AND h.wijkteam = ? GROUP BY 1",
            [publication.run_id, publication.wijkteam]).fetchall())
    rows = _rows(data, pid)
    text = html.unescape(coord.get(f"/lijsten/{pid}").text)
    for r, pseudonym in zip(rows, ps.list_households(data, pid), strict=True):
        names = r["schuldeisers"].split(", ")
        assert sorted(names) == sorted(name_of[p] for p in sent[pseudonym]), r["rang"]
        assert f'<span class="creditors">{r["schuldeisers"]}</span>' in text
    page = html.unescape(coord.get(f"/lijsten/{pid}/huishoudens/1").text)
    assert f"<dt>Schuldeisers</dt><dd>{rows[0]['schuldeisers']}</dd>" in page


def _earlier_case(data, pid: int, regel: int, period: str, attempts: list[tuple]) -> None:
    """A case of an earlier month with these (kind, reached, day) attempts, as the portal
    records them."""
    import secrets

    from vroeg.opsdb.models import Case, ContactAttempt

    publication = _publication(data, pid)
    with _db(data) as s:
        case = Case(id=secrets.token_hex(16), gemeente="0080", publication_id=None,
                    run_id=publication.run_id, wijkteam=publication.wijkteam, period=period,
                    regel=regel, rang=regel,
                    huishouden_pseudoniem=ps.list_households(data, pid)[regel - 1],
                    created_by="coord-a")
        case.contact_attempts = [
            ContactAttempt(soort=kind, bereikt=reached, datum=day, dagdeel="Middag",
                           recorded_by="coord-a") for kind, reached, day in attempts]
        s.add(case)


def test_after_unanswered_visits_the_list_advises_another_kind_with_the_reason(data, coord):
    pid = data.current(ps.TEAM_A)
    regel = 6
    url = f"/lijsten/{pid}/huishoudens/{regel}"
    start = dt.date.fromisoformat(data.period + "-01")
    earlier = (start - dt.timedelta(days=1)).strftime("%Y-%m")
    _earlier_case(data, pid, regel, earlier, [
        ("Huisbezoek", False, start - dt.timedelta(days=20)),
        ("Huisbezoek", False, start - dt.timedelta(days=10))])

    def row_of(page: str) -> str:
        return page.split(f'href="{url}"')[1].split("</tr>")[0]

    # Two closed doors (last month): no other advice yet. The earlier month is on the page.
    page = html.unescape(coord.get(url).text)
    assert 'level-2">Eerdere contactpogingen</h2>' in page and earlier in page
    assert page.count("<td>Huisbezoek</td><td>nee</td>") == 2
    assert "Nu:" not in row_of(html.unescape(coord.get(f"/lijsten/{pid}").text))

    # A third one this month, recorded in the portal.
    day = max(start, dt.date.today() - dt.timedelta(days=1))
    response = coord.post(url + "/contactpogingen", data={
        "csrf": ps.csrf_of(coord.get(url).text), "soort": "Huisbezoek", "bereikt": "nee",
        "datum": day.isoformat(), "dagdeel": "Avond"}, follow_redirects=False)
    assert response.status_code == 303
    advice = ("probeer brief: 3 keer huisbezoek zonder contact (laatste poging "
              f"{day.strftime('%d-%m-%Y')})")
    assert f"<strong>Nu:</strong> {advice}" in row_of(
        html.unescape(coord.get(f"/lijsten/{pid}").text))
    page = html.unescape(coord.get(url).text)
    assert f"<dt>Advies nu</dt><dd><strong>{advice}</strong></dd>" in page

    # Reached by phone: the count starts again, the advice goes back to the published one.
    coord.post(url + "/contactpogingen", data={
        "csrf": ps.csrf_of(page), "soort": "Telefoon", "bereikt": "ja",
        "datum": day.isoformat(), "dagdeel": "Avond"})
    assert "Nu:" not in row_of(html.unescape(coord.get(f"/lijsten/{pid}").text))
