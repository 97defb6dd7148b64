"""No leaks: personal data stays in the vault and the published list, nowhere else.

The canary test runs the demo and the month's run as a data officer does, with the `vroeg`
command in processes of their own (each with its own Prefect ephemeral server, Prefect's home
inside VROEG_HOME, TMPDIR and HOME pointed into the test folder), with one extra delivery about a
canary household whose surname, BSN, phone number, e-mail and street occur nowhere else. Then it
searches every file the run left behind (Prefect's database and logs, result storage, the
warehouse, the operational database with the audit trail and validation results, the vault, the
archive, temporary files, the commands' own output) for each canary value, in clear text, UTF-16,
base64, hex and URL encoding, inside zip/xlsx, gzip, bz2 and xz, and in every column of every
DuckDB table. Only the visit list published for the canary's wijkteam may contain them.

Issue 19 adds hostile deliveries that carry the canary's surname where no value should come from:
a file without a header row (its first signal becomes the header), a workbook without the
configured sheet (its sheets are named after the canary), and files whose NAMES hold the surname,
one given on the command line and one dropped in an inbox. A partner's file name may be shown to
the data officer (their terminal, the delivery registry in the operational database, checked per
table); it must not reach Prefect (flow parameters, task runs, logs) or a notification.

That the search finds what it looks for is proven twice: on planted files in every encoding, and by
a flow that deliberately logs a canary name through Prefect, which the search must report.
"""

from __future__ import annotations

import base64
import bz2
import datetime as dt
import gzip
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests import REPO_ROOT
from tests.builders import row, standard_file
from tests.ingesting import add_partner, inbox_partner
from tests.leakscan import Finding, scan_bytes, scan_sqlite, scan_tree
from vroeg.bsn import first_valid

REPO = REPO_ROOT
VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"


_valid_bsn = first_valid


#: Values that occur nowhere in the synthetic data (or anywhere else).
CANARIES = {
    "achternaam": "Qwvkanarievogel",
    "bsn": _valid_bsn("9999961"),
    "telefoon": "0687654219",
    "email": "qwv.kanarie@example.net",
    "straatnaam": "Qwvkanariestraat",
}
SURNAME = CANARIES["achternaam"]

#: What only the BRP stand-in knows: a child living with the canary, whom no partner mentions,
#: and the address object's id. The run with the BRP link on receives them in the BRP's answers
#: (the child's name and age, the id); they must end nowhere, not even on the visit list.
BRP_ONLY = {
    "voornamen": "Qwvbrpkindje",
    "achternaam": "Qwvbrpkanarie",
    "bsn": _valid_bsn("9999962"),
    "adresobject": "0080010000987654",
}

#: Files whose names a partner chose, holding the canary's surname (issue 19, point 7).
NAMED_FILE = f"huurachterstand {SURNAME}.csv"
NAMED_INBOX_FILE = f"{SURNAME} oktober.csv"

INBOX_PARTNER = inbox_partner("inbox-kanarie", "Inbox Kanarie")

#: The commands given a file named after the canary: their output (the data officer's terminal)
#: may show that name.
NAMING_COMMANDS = {"bestandsnaam", "inbox"}
#: The tables of the operational database that may hold a partner's file name: the delivery
#: registry and its quarantine, which the data officer's pages and `vroeg quarantine` show.
#: Notifications may not (their subject and body name the delivery by id).
OPS_DB_FILE_NAMES = {"deliveries", "quarantine"}


def _canary_row(period, **overrides: str) -> dict:
    return row(**{
        "signaal_id": "KAN-1", "partner_type": "Energie", "partner_naam": "Energie Fryslân",
        "signaaldatum": (period.start + dt.timedelta(days=9)).isoformat(),
        "ontstaansdatum": (period.start - dt.timedelta(days=30)).isoformat(),
        "bedrag": "1234,56", "crisis": "ja", "bsn": CANARIES["bsn"], "voornamen": "Kwik",
        "tussenvoegsel": "", "achternaam": SURNAME, "straatnaam": CANARIES["straatnaam"],
        "postcode": "8911 QW", "huisnummer": "3", "huisnummertoevoeging": "",
        "telefoon": CANARIES["telefoon"], "email": CANARIES["email"], **overrides})


def _brp_residents(today: dt.date) -> list:
    """The canary and the child only the BRP knows, registered at the canary's address."""
    from synthetic.brp_standin import Resident

    home = {"gemeente": "0080", "postcode": "8911QW", "huisnummer": 3,
            "woonplaats": "Leeuwarden", "adresseerbaar_object": BRP_ONLY["adresobject"],
            "nummeraanduiding": "0080200000987654", "sinds": "20200101"}
    return [Resident(bsn=CANARIES["bsn"], voornamen="Kwik", geslachtsnaam=SURNAME,
                     geboortedatum="19840302", **home),
            Resident(bsn=BRP_ONLY["bsn"], voornamen=BRP_ONLY["voornamen"],
                     geslachtsnaam=BRP_ONLY["achternaam"],
                     geboortedatum=f"{today.year - 8}0101", **home)]


def _deliveries(folder: Path, period) -> dict[str, Path]:
    """The canary delivery, and issue 19's hostile ones."""
    files = {name: folder / name for name in ("kanarie.csv", "zonder-kopregel.csv",
                                              "wonen.xlsx", NAMED_FILE)}
    files["kanarie.csv"].write_bytes(standard_file([_canary_row(period)]))
    # No header row: the first signal is taken for the header, and its surname is repeated (also
    # the street), which makes a duplicate column name out of a resident's name.
    headerless = standard_file([_canary_row(period, signaal_id="KAN-H1", straatnaam=SURNAME),
                                _canary_row(period, signaal_id="KAN-H2")])
    files["zonder-kopregel.csv"].write_bytes(headerless.split(b"\r\n", 1)[1])
    # For wonen-fryslan, whose configuration names the sheet "Huurachterstanden": sheets named
    # after the canary instead.
    workbook = openpyxl.Workbook()
    workbook.active.title = SURNAME
    workbook.create_sheet(f"{SURNAME} 2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    files["wonen.xlsx"].write_bytes(buffer.getvalue())
    # A file named after the canary, refused whole (a required column is missing), so that it is
    # logged as refused and notified. Its content holds no canary value.
    columns = tuple(c for c in row() if c != "bedrag")
    files[NAMED_FILE].write_bytes(standard_file([row(signaal_id="NAAM-1")], columns=columns))
    return files


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory):
    """The demo, the canary delivery, the hostile ones and the month's run, through `vroeg`."""
    from bench import prefect_server
    from scoring.score import Period
    from synthetic.brp_standin import BrpStandIn
    from vroeg.config import brp_url_variable
    from vroeg.settings import Home

    base = tmp_path_factory.mktemp("kanarie")
    folders = {name: base / name for name in ("home", "tmp", "gebruiker", "werkmap", "uitvoer",
                                              "invoer")}
    for folder in folders.values():
        folder.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VROEG_", "PREFECT_", "GX_"))}
    env.update(VROEG_HOME=str(folders["home"]), TMPDIR=str(folders["tmp"]),
               HOME=str(folders["gebruiker"]), PYTHONPATH=str(REPO))

    # Through a Prefect server whose database is in the home, so that Prefect's database, its
    # flow parameters and its logs are searched too. (Without a server, commands run their flows
    # directly and write nothing of Prefect's: tests/flows/test_direct_runs.py.)
    server = prefect_server.start(folders["uitvoer"] / "prefect", timeout=180, extra_env={
        "PREFECT_HOME": str(folders["home"] / "prefect")})
    env["PREFECT_API_URL"] = server.url

    def vroeg(name: str, *args: str, codes: tuple[int, ...] = (0,), prefect: bool = True,
              extra: dict | None = None) -> dict:
        done = subprocess.run([VROEG, *args], cwd=folders["werkmap"],
                              env={**(env if prefect else {k: v for k, v in env.items()
                                                           if k != "PREFECT_API_URL"}),
                                   **(extra or {})},
                              capture_output=True, text=True, timeout=900)
        # The commands' own output is searched too, like any log.
        (folders["uitvoer"] / f"{name}.stdout.txt").write_text(done.stdout)
        (folders["uitvoer"] / f"{name}.stderr.txt").write_text(done.stderr)
        assert done.returncode in codes, done.stderr[-3000:]
        return json.loads(done.stdout)

    try:
        # The synthetic month directly (it holds no canary; a Prefect run of it costs half a
        # minute), the canary's deliveries and the month's run through Prefect.
        # A small month (60 signals): the run below asks the BRP about every counted signal.
        demo = vroeg("demo", "demo", "--seed", "81", "--months", "1", "--signals-per-month",
                     "60", "--json", prefect=False)
        files = _deliveries(folders["invoer"], Period.parse(demo["periode"]))
        canary = vroeg("kanarie", "ingest", "--json", str(files["kanarie.csv"]))["leveringen"]
        hostile = {
            "zonder-kopregel": vroeg("zonder-kopregel", "ingest", "--json",
                                     str(files["zonder-kopregel.csv"]), codes=(1,)),
            "werkblad": vroeg("werkblad", "ingest", "--json", "--partner", "wonen-fryslan",
                              str(files["wonen.xlsx"]), codes=(1,)),
            "bestandsnaam": vroeg("bestandsnaam", "ingest", "--json", str(files[NAMED_FILE]),
                                  codes=(1,)),
        }
        # A partner that drops its files in an inbox, collected by the flow `vroeg serve` schedules.
        home = Home(folders["home"])
        add_partner(home, "inbox-kanarie", INBOX_PARTNER)
        inbox = home.inbox_dir("0080") / "inbox-kanarie"
        inbox.mkdir(parents=True)
        shutil.copyfile(files[NAMED_FILE], inbox / NAMED_INBOX_FILE)
        hostile["inbox"] = vroeg("inbox", "collect", "--json", "--partner", "inbox-kanarie",
                                 codes=(1,))
        # The month's run with the BRP link on (for this command only), against a stand-in
        # that knows the canary's household, a child no partner mentions included.
        with BrpStandIn(today=dt.date.today(), residents=_brp_residents(dt.date.today())
                        ) as brp:
            run = vroeg("run", "run", "--period", demo["periode"], "--json",
                        extra={brp_url_variable("0080"): brp.url})
        assert not brp.violations, brp.violations
    finally:
        server.stop()
    result = {"periode": demo["periode"], "canary": canary, "run": run,
              "hostile": {k: v["leveringen"] for k, v in hostile.items()},
              "brp_asked": sorted({kind for kind, _fields in brp.asked})}
    return {"base": base, "folders": folders, "result": result}


def _allowed(canary_run) -> set[Path]:
    """The canary's visit lists (CSV and workbook): the only files that may hold its values.
    The canary signals a crisis, so the crisis lane published it at its ingestion (issue 17)
    before the month's run did."""
    home, result = canary_run["folders"]["home"], canary_run["result"]
    centrum = next(i for i in result["run"]["lijsten"] if i["wijkteam"] == "wt-centrum")
    [crisis] = [i for d in result["canary"] for i in d["crisis"]["lijsten"]]
    assert crisis["wijkteam"] == "wt-centrum"
    return {home / "outbox" / "0080" / "wt-centrum" / Path(item[kind]).name
            for item in (centrum, crisis) for kind in ("csv", "xlsx")}


def _file_of(finding: Finding) -> Path:
    return Path(finding.where.split("!")[0].split("#")[0])


def _leaks(canary_run, findings: list[Finding]) -> list[Finding]:
    """Findings where no canary value may be. The surname is also the name of two files: it may
    be in the output of the commands given them, and in the operational database's delivery
    registry, which is searched per table instead of as bytes."""
    folders = canary_run["folders"]
    ops_db = folders["home"] / "vroeg.sqlite"
    allowed = _allowed(canary_run)
    leaks = []
    for finding in findings:
        path = _file_of(finding)
        if path in allowed:
            continue
        if finding.canary == SURNAME and (
                (path.parent == folders["uitvoer"] and path.name.split(".")[0] in NAMING_COMMANDS)
                or path.name.startswith(ops_db.name)):
            continue
        leaks.append(finding)
    return leaks + [f for f in scan_sqlite(ops_db, [SURNAME])
                    if f.where.split("#")[1].split(".")[0] not in OPS_DB_FILE_NAMES]


def _report(leaks: list[Finding]) -> str:
    return "\n".join(f"{f.encoding}: {f.canary} in {f.where}" for f in leaks)


def test_the_canary_run_leaves_no_personal_data_outside_its_visit_list(canary_run):
    folders, result = canary_run["folders"], canary_run["result"]
    assert result["canary"][0]["status"] == "geladen", result["canary"]
    hostile = {name: rows[0] for name, rows in result["hostile"].items()}
    assert "kolom 12 en kolom 14 van de kopregel" in hostile["zonder-kopregel"]["melding"], hostile
    assert "werkblad 'Huurachterstanden' ontbreekt" in hostile["werkblad"]["melding"], hostile
    assert hostile["bestandsnaam"]["status"] == "afgekeurd", hostile
    assert hostile["bestandsnaam"]["bestand"] == NAMED_FILE  # the data officer sees the name
    assert hostile["inbox"]["status"] == "afgekeurd", hostile
    home = folders["home"]
    # The scan must cover Prefect's database, the warehouse, the vault and the ops database.
    prefect_files = [p for p in (home / "prefect").rglob("*") if p.is_file()]
    # Prefect's database is under VROEG_HOME and holds the run's log lines (so they are searched).
    assert b"in quarantaine" in b"".join(p.read_bytes() for p in prefect_files), prefect_files
    for expected in ("warehouse/0080.duckdb", "vault/0080.sqlite", "vroeg.sqlite"):
        assert (home / expected).exists(), expected

    allowed = _allowed(canary_run)
    findings, searched = scan_tree(canary_run["base"], list(CANARIES.values()),
                                   skip={folders["invoer"]})
    # Not a vacuous scan: the whole installation (the run after the canary publishes a new
    # version of wt-centrum's list only; the other teams' inputs did not change).
    assert searched > 30

    # Positive control: the published list is where the canary must be, in the CSV and (zipped)
    # in the workbook, so the search does find them where they are.
    in_list = {(_file_of(f), f.canary) for f in findings if _file_of(f) in allowed}
    for path in allowed:  # the list shows name, street and phone (not the BSN or e-mail)
        assert {(path, CANARIES[k]) for k in ("achternaam", "straatnaam", "telefoon")} <= in_list
    # ... and the delivery registry, where the file names may be, does hold them.
    registry = scan_sqlite(home / "vroeg.sqlite", [SURNAME])
    assert any(f.where.endswith("#deliveries.filename") for f in registry), registry

    leaks = _leaks(canary_run, findings)
    assert not leaks, _report(leaks)


def test_what_only_the_brp_answered_is_nowhere_not_even_on_the_list(canary_run):
    """The run asked the BRP about the canary (by BSN, then who lives there): the answers held
    a child's name, BSN and age and the address object's id. They became a count of minors and
    a keyed MAC; no file of the installation holds them, Prefect's database and logs included,
    nor the visit list."""
    folders, result = canary_run["folders"], canary_run["result"]
    run = result["run"]
    # Positive control: the BRP was asked and its answer about the canary's household was used.
    assert run["brp"] == "gebruikt" and run["brp_met_minderjarigen"] >= 1, run
    assert {"RaadpleegMetBurgerservicenummer",
            "ZoekMetNummeraanduidingIdentificatie"} <= set(result["brp_asked"])
    findings, searched = scan_tree(canary_run["base"], list(BRP_ONLY.values()),
                                   skip={folders["invoer"]})
    assert searched > 30
    assert not findings, _report(findings)


def _prefect_rows(home: Path, query: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{home / 'prefect' / 'prefect.db'}?mode=ro", uri=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_prefect_knows_the_named_files_by_delivery_id_only(canary_run):
    """Issue 19, point 7: flow runs are given delivery ids, and their log lines name deliveries
    by id; the names the partners chose stay out of Prefect's database."""
    home, result = canary_run["folders"]["home"], canary_run["result"]
    named = [rows[0]["levering"] for name, rows in result["hostile"].items()
             if name in NAMING_COMMANDS]
    assert all(named), result["hostile"]
    parameters = "\n".join(p for (p,) in _prefect_rows(home, "SELECT parameters FROM flow_run"))
    logs = "\n".join(m for (m,) in _prefect_rows(home, "SELECT message FROM log"))
    tasks = "\n".join(n for (n,) in _prefect_rows(home, "SELECT name FROM task_run"))
    # What Prefect does hold of them: the id given to the flow, the id's start in its log.
    assert named[0] in parameters, parameters[:2000]
    assert all(f"levering {delivery[:8]}" in logs for delivery in named), logs[-3000:]
    for text in (parameters, logs, tasks):
        assert SURNAME.lower() not in text.lower()


def test_notifications_name_no_file(canary_run):
    """Every refused delivery is notified (subject and body, as e-mailed) without its file's
    name: the data officer finds it in the portal by the delivery id the body gives."""
    home, result = canary_run["folders"]["home"], canary_run["result"]
    con = sqlite3.connect(f"file:{home / 'vroeg.sqlite'}?mode=ro", uri=True)
    try:
        notes = con.execute("SELECT about, subject, body FROM notifications "
                            "WHERE kind = 'levering'").fetchall()
    finally:
        con.close()
    refused = [rows[0]["levering"] for rows in result["hostile"].values()]
    assert len(notes) >= len(refused), notes
    for delivery in refused:
        assert any(delivery in body for _, _, body in notes), (delivery, notes)
    for about, subject, body in notes:
        for text in (about or "", subject, body):
            assert SURNAME.lower() not in text.lower(), text


# ---------------------------------------------------------------------------------------------
# The search works
# ---------------------------------------------------------------------------------------------

# Before the tests below that open the home's databases in this process: with this process's
# own connections and byte-wise reads of the same files (the leak search), the register row the
# API's process wrote was found missing afterwards (closing a raw file handle drops SQLite's
# POSIX locks for the whole process). The API runs as CBS would reach it: no other user of the
# files in between.
def test_the_ddas_api_keeps_the_canary_to_its_answer(canary_run):
    """CBS fetches the canary's period through the DDAS API (`vroeg ddas-api serve` as a process
    of its own on the canary run's home, with a test set). The answer holds the canary's BSN
    (what CBS receives: positive control); the register of requests, the audit trail, the
    server's log and the rest of the installation hold no canary value."""
    from scoring.score import Period
    from tests.ddas_api import cbs
    from vroeg.opsdb import ddas_requests
    from vroeg.settings import Home

    folders, result = canary_run["folders"], canary_run["result"]
    database = Home(folders["home"]).database_url
    period = Period.parse(result["periode"])
    pki = cbs.make_test_set(canary_run["base"] / "ddas-pki")
    log = folders["uitvoer"] / "ddas-api.log"
    with cbs.api_process(folders["home"], pki, log) as url:
        response = cbs.Cbs(url, pki).post({
            "aanleverperiodeStartdatum": period.start.isoformat(),
            "aanleverperiodeEinddatum": (period.end - dt.timedelta(days=1)).isoformat(),
            "pageSize": 50_000})
    assert response.status_code == 200, response.text
    assert CANARIES["bsn"] in response.text  # positive control: CBS does receive it
    rows = ddas_requests.recent(database)
    assert rows and rows[0].status == 200 and rows[0].signalen
    canaries = list(CANARIES.values())
    assert "ddas-api 200" in log.read_text()
    assert not scan_bytes(log.read_bytes(), canaries, str(log))
    findings, _ = scan_tree(folders["home"], canaries)
    leaks = _leaks(canary_run, findings)
    assert not leaks, _report(leaks)


def test_the_search_finds_planted_values_in_every_encoding(tmp_path):
    surname, bsn, email = CANARIES["achternaam"], CANARIES["bsn"], CANARIES["email"]
    for i, prefix in enumerate((b"", b"x", b"xy")):  # every base64 alignment
        (tmp_path / f"b64_{i}.txt").write_bytes(base64.b64encode(prefix + surname.encode()))
    plants = {
        "klaar.log": f"INFO naam={surname.upper()}".encode(),
        "utf16le.bin": ("..." + surname).encode("utf-16-le"),
        "utf16be.bin": ("..." + bsn).encode("utf-16-be"),
        "hex.txt": ("id=" + email.encode().hex().upper()).encode(),
        "url.txt": ("q=" + urllib.parse.quote(email, safe="")).encode(),
        "log.gz": gzip.compress(f"warning {bsn}".encode()),
        "log.bz2": bz2.compress(surname.encode()),
    }
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", f"<t>{surname}</t>")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr("lijst.xlsx", inner.getvalue())  # a workbook inside a zip
    plants["export.zip"] = outer.getvalue()
    for name, data in plants.items():
        (tmp_path / name).write_bytes(data)
    import duckdb

    con = duckdb.connect(str(tmp_path / "pakhuis.duckdb"))
    # Many repeats of a few strings: DuckDB compresses them, so bytes alone would miss them.
    con.execute("CREATE TABLE t AS SELECT (['aaaa', 'bbbb', $s])[1 + i % 3] AS v "
                "FROM range(100000) r(i)", {"s": f"{surname}-x"})
    con.close()
    (tmp_path / "schoon.txt").write_text("niets bijzonders")

    findings, searched = scan_tree(tmp_path, list(CANARIES.values()))
    found = {Path(f.where.split("!")[0].split("#")[0]).name for f in findings}
    assert found == {*plants, "b64_0.txt", "b64_1.txt", "b64_2.txt", "pakhuis.duckdb"}
    assert {f.encoding for f in findings} >= {"klare tekst", "UTF-16 LE", "UTF-16 BE", "hex",
                                               "URL-gecodeerd", "base64", "DuckDB-kolom"}
    assert any(f.where.endswith("lijst.xlsx!xl/sharedStrings.xml") for f in findings)
    assert scan_bytes(b"niets", list(CANARIES.values()), "x") == []


def test_the_search_names_the_table_and_column_of_a_sqlite_database(tmp_path):
    """What lets the delivery registry hold a file name while every other table may not."""
    con = sqlite3.connect(tmp_path / "ops.sqlite")
    con.execute("CREATE TABLE deliveries (id TEXT, filename TEXT)")
    con.execute("CREATE TABLE notifications (subject TEXT)")
    con.execute("INSERT INTO deliveries VALUES ('1', ?)", (NAMED_FILE,))
    con.execute("INSERT INTO notifications VALUES ('Levering afgekeurd')")
    con.commit()
    con.close()
    findings = scan_sqlite(tmp_path / "ops.sqlite", list(CANARIES.values()))
    assert [(f.where.split("#")[1], f.canary) for f in findings] == [
        ("deliveries.filename", SURNAME)]


@pytest.mark.prefect
def test_a_name_logged_through_prefect_is_found_by_the_search(prefect_server, tmp_path):
    """The deliberate-leak variant: a flow logs a canary surname, and the search must fail."""
    from prefect import flow
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    from flows.progress import progress

    leaked = "Qwvlekvogel"

    @flow(name="lek-met-opzet", persist_result=False)
    def leaking_flow() -> None:
        progress().info("Verwerkt: %s", leaked)  # the mistake this test is about

    leaking_flow()
    APILogWorker.drain_all(timeout=30)  # logs reach the server in batches
    database = Path(PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split("///", 1)[1])
    for _ in range(30):  # and the server writes them shortly after
        findings, _ = scan_tree(database.parent, [leaked])
        if findings:
            break
        time.sleep(1)
    assert findings, "a name logged through Prefect must be found in Prefect's database"
    assert {f.canary for f in findings} == {leaked}


def test_the_portal_keeps_the_canary_out_of_the_operational_database(canary_run):
    """A coordinator views, prints and downloads the canary's list and records a contact
    attempt, a privacy officer re-identifies the household (the portal in this process, on the
    canary run's home). Only the list files hold the canary; the operational database holds the
    household as a pseudonym (lines, case) or encrypted (audit subjects)."""
    import csv
    import re

    from sqlalchemy import select

    from tests import portal_support as ps
    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine, Case, Publication, PublicationHousehold
    from vroeg.settings import Home

    folders = canary_run["folders"]
    home = Home(folders["home"])
    ps.add_account(home, "kanarie-coord", ["coordinator"], ["wt-centrum"])
    ps.add_account(home, "kanarie-privacy", ["privacy"])
    app = ps.app_for(home)
    coordinator = ps.client_for(app, "kanarie-coord")
    with db.session(home.database_url) as s:
        publication = s.scalars(select(Publication).where(Publication.wijkteam == "wt-centrum")
                                .order_by(Publication.id.desc())).first()
        pairs = s.scalars(select(PublicationHousehold)
                          .where(PublicationHousehold.publication_id == publication.id)
                          .order_by(PublicationHousehold.regel)).all()
    csv_file = home.outbox_dir("0080") / "wt-centrum" / Path(publication.csv_path).name
    rows = list(csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8-sig")),
                               delimiter=";"))
    index = next(i for i, r in enumerate(rows) if CANARIES["achternaam"] in r["naam"])
    line = pairs[index]

    page = coordinator.get(f"/lijsten/{publication.id}")
    assert page.status_code == 200 and CANARIES["achternaam"] in page.text  # positive control
    assert coordinator.get(f"/lijsten/{publication.id}/afdrukken").status_code == 200
    for kind in ("csv", "xlsx"):
        assert coordinator.get(f"/lijsten/{publication.id}/download/{kind}").status_code == 200
    household = f"/lijsten/{publication.id}/huishoudens/{line.regel}"
    form = coordinator.get(household)
    assert CANARIES["telefoon"] in form.text
    today = dt.date.today().isoformat()
    assert coordinator.post(household + "/contactpogingen", follow_redirects=False, data={
        "csrf": ps.csrf_of(form.text), "soort": "Telefoon", "bereikt": "ja", "datum": today,
        "dagdeel": "Avond"}).status_code == 303
    officer = ps.client_for(app, "kanarie-privacy")
    answer = officer.post("/privacy/heridentificatie", data={
        "csrf": ps.session_csrf(officer), "huishouden": line.huishouden_pseudoniem,
        "reden": "controle", "bevestig": "ja"})
    assert answer.status_code == 200 and CANARIES["bsn"] in answer.text
    for url in ("/privacy/logboek", "/privacy/inzage", "/privacy/bewaartermijnen"):
        assert officer.get(url).status_code == 200

    # The operational database knows the household by pseudonym and encrypted subject only.
    with db.session(home.database_url) as s:
        case = s.scalars(select(Case)).one()
        subjects = [entry.data_subject_id for entry in s.scalars(select(AuditLine)).all()
                    if entry.data_subject_id]
    assert case.huishouden_pseudoniem == line.huishouden_pseudoniem
    assert re.fullmatch(r"k1_[0-9a-f]{32}", case.huishouden_pseudoniem)
    assert subjects and not [t for t in subjects if t.startswith("k1_")]

    findings, _ = scan_tree(folders["home"], list(CANARIES.values()))
    leaks = _leaks(canary_run, findings)
    assert not leaks, _report(leaks)


def test_reporting_outputs_carry_no_canary(canary_run, tmp_path, monkeypatch):
    """The monitor (table, CSV, charts) and the partner feedback hold no canary value; the DDAS
    export does hold the canary's BSN (it is what CBS receives: positive control), and after it
    the operational database and the audit trail still hold none."""
    from typer.testing import CliRunner

    from cli import app
    from scoring.score import Period

    folders, result = canary_run["folders"], canary_run["result"]
    monkeypatch.setenv("VROEG_HOME", str(folders["home"]))
    monkeypatch.delenv("VROEG_GEMEENTE", raising=False)
    period = Period.parse(result["periode"])
    window = ["--from", period.start.isoformat(), "--to",
              (period.end - dt.timedelta(days=1)).isoformat()]
    runner = CliRunner()
    outputs = tmp_path / "rapportage"

    shown = runner.invoke(app, ["monitor", *window, "--out", str(outputs / "monitor")])
    assert shown.exit_code == 0, shown.output
    (outputs / "monitor-terminal.txt").write_text(shown.output)
    told = runner.invoke(app, ["feedback", "--partner", "energie-fryslan", *window, "--json"])
    assert told.exit_code == 0, told.output
    feedback_file = Path(json.loads(told.output)["bestand"])
    assert "KAN-1" in feedback_file.read_text(encoding="utf-8")  # the canary's signal is in it
    exported = runner.invoke(app, ["export-ddas", *window, "--out", str(tmp_path / "cbs.json")])
    assert exported.exit_code == 0, exported.output
    assert CANARIES["bsn"] in (tmp_path / "cbs.json").read_text(encoding="utf-8")
    (outputs / "export-terminal.txt").write_text(exported.output)

    canaries = list(CANARIES.values())
    findings, searched = scan_tree(outputs, canaries)
    assert searched >= 6
    assert not findings, "\n".join(f"{f.encoding}: {f.canary} in {f.where}" for f in findings)
    assert not scan_bytes(feedback_file.read_bytes(), canaries, str(feedback_file))
    # The whole installation after the three commands: only the canary's visit list.
    findings, _ = scan_tree(folders["home"], canaries)
    leaks = _leaks(canary_run, findings)
    assert not leaks, _report(leaks)
