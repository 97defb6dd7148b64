"""No leaks: personal data stays in the vault and the published list, nowhere else.

The canary test runs the demo as a real subprocess (its own Prefect ephemeral server, its Prefect
home inside VROEG_HOME, TMPDIR and HOME pointed into the test folder), with one extra delivery about
a canary household whose surname, BSN, phone number, e-mail and street occur nowhere else. Then it
searches every file the run left behind (Prefect's database and logs, result storage, the
warehouse, the operational database with the audit trail and validation results, the vault, the
archive, temporary files, the process's own output) for each canary value, in clear text, UTF-16,
base64, hex and URL encoding, inside zip/xlsx, gzip, bz2 and xz, and in every column of every
DuckDB table. Only the visit list published for the canary's wijkteam may contain them.

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
import subprocess
import sys
import time
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from tests import REPO_ROOT
from tests.builders import row, standard_file
from tests.leakscan import scan_bytes, scan_tree
from vroeg.bsn import first_valid

REPO = REPO_ROOT


_valid_bsn = first_valid


#: Values that occur nowhere in the synthetic data (or anywhere else).
CANARIES = {
    "achternaam": "Qwvkanarievogel",
    "bsn": _valid_bsn("9999961"),
    "telefoon": "0687654219",
    "email": "qwv.kanarie@example.net",
    "straatnaam": "Qwvkanariestraat",
}

SCRIPT = """
import json, sys
from vroeg.settings import Home
from flows.prefect_env import configure

home = Home.from_env().ensure()
configure(home)  # Prefect's home (database, logs, storage) under VROEG_HOME, before importing it
from privacy.keys import init_keys
init_keys(home, "0080", development=True)
from flows.demo import demo_flow
from flows.ingest import ingest_flow
from flows.run import run_flow

demo = demo_flow(gemeente="0080", seed=81, months=1)
canary = ingest_flow(gemeente="0080", paths=[sys.argv[1]])
run = run_flow(gemeente="0080", period=demo["periode"])
print(json.dumps({"periode": demo["periode"], "canary": canary, "run": run}))
"""


def _canary_delivery(folder: Path) -> Path:
    from scoring.score import Period

    period = Period.last_complete("Europe/Amsterdam")
    delivery = folder / "kanarie.csv"
    delivery.write_bytes(standard_file([row(
        signaal_id="KAN-1", partner_type="Energie", partner_naam="Energie Fryslân",
        signaaldatum=(period.start + dt.timedelta(days=9)).isoformat(),
        ontstaansdatum=(period.start - dt.timedelta(days=30)).isoformat(), bedrag="1234,56",
        crisis="ja", bsn=CANARIES["bsn"], voornamen="Kwik", tussenvoegsel="",
        achternaam=CANARIES["achternaam"], straatnaam=CANARIES["straatnaam"],
        postcode="8911 QW", huisnummer="3", huisnummertoevoeging="", telefoon=CANARIES["telefoon"],
        email=CANARIES["email"])]))
    return delivery


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory):
    """The whole demo plus the canary delivery, as a separate process."""
    base = tmp_path_factory.mktemp("kanarie")
    folders = {name: base / name for name in ("home", "tmp", "gebruiker", "werkmap", "uitvoer",
                                              "invoer")}
    for folder in folders.values():
        folder.mkdir()
    delivery = _canary_delivery(folders["invoer"])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VROEG_", "PREFECT_", "GX_"))}
    env.update(VROEG_HOME=str(folders["home"]), TMPDIR=str(folders["tmp"]),
               HOME=str(folders["gebruiker"]), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(delivery)], env=env,
                          cwd=folders["werkmap"], capture_output=True, text=True, timeout=900)
    # The process's own output is searched too, like any log.
    (folders["uitvoer"] / "stdout.txt").write_text(done.stdout)
    (folders["uitvoer"] / "stderr.txt").write_text(done.stderr)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"base": base, "folders": folders, "result": result}


def test_the_canary_run_leaves_no_personal_data_outside_its_visit_list(canary_run):
    folders, result = canary_run["folders"], canary_run["result"]
    assert result["canary"][0]["status"] == "geladen", result["canary"]
    home = folders["home"]
    # The scan must cover Prefect's database, the warehouse, the vault and the ops database.
    prefect_files = [p for p in (home / "prefect").rglob("*") if p.is_file()]
    # Prefect's database is under VROEG_HOME and holds the run's log lines (so they are searched).
    assert b"in quarantaine" in b"".join(p.read_bytes() for p in prefect_files), prefect_files
    for expected in ("warehouse/0080.duckdb", "vault/0080.sqlite", "vroeg.sqlite"):
        assert (home / expected).exists(), expected

    centrum = next(i for i in result["run"]["lijsten"] if i["wijkteam"] == "wt-centrum")
    allowed = {home / "outbox" / "0080" / "wt-centrum" / Path(centrum[kind]).name
               for kind in ("csv", "xlsx")}
    canaries = list(CANARIES.values())
    findings, searched = scan_tree(canary_run["base"], canaries, skip={folders["invoer"]})
    # Not a vacuous scan: the whole installation (the run after the canary publishes a new
    # version of wt-centrum's list only; the other teams' inputs did not change).
    assert searched > 30

    # Positive control: the published list is where the canary must be, in the CSV and (zipped)
    # in the workbook, so the search does find them where they are.
    in_list = {(Path(f.where.split("!")[0]), f.canary) for f in findings
               if Path(f.where.split("!")[0]) in allowed}
    for path in allowed:  # the list shows name, street and phone (not the BSN or e-mail)
        assert {(path, CANARIES[k]) for k in ("achternaam", "straatnaam", "telefoon")} <= in_list

    leaks = [f for f in findings if Path(f.where.split("!")[0].split("#")[0]) not in allowed]
    assert not leaks, "\n".join(f"{f.encoding}: {f.canary} in {f.where}" for f in leaks)


# ---------------------------------------------------------------------------------------------
# The search works
# ---------------------------------------------------------------------------------------------

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

    folders, result = canary_run["folders"], canary_run["result"]
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

    centrum = next(i for i in result["run"]["lijsten"] if i["wijkteam"] == "wt-centrum")
    allowed = {home.outbox_dir("0080") / "wt-centrum" / Path(centrum[kind]).name
               for kind in ("csv", "xlsx")}
    findings, _ = scan_tree(folders["home"], list(CANARIES.values()))
    leaks = [f for f in findings if Path(f.where.split("!")[0].split("#")[0]) not in allowed]
    assert not leaks, "\n".join(f"{f.encoding}: {f.canary} in {f.where}" for f in leaks)


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
    centrum = next(i for i in result["run"]["lijsten"] if i["wijkteam"] == "wt-centrum")
    allowed = {folders["home"] / "outbox" / "0080" / "wt-centrum" / Path(centrum[kind]).name
               for kind in ("csv", "xlsx")}
    findings, _ = scan_tree(folders["home"], canaries)
    leaks = [f for f in findings if Path(f.where.split("!")[0].split("#")[0]) not in allowed]
    assert not leaks, "\n".join(f"{f.encoding}: {f.canary} in {f.where}" for f in leaks)
