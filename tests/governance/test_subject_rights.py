"""A privacy officer's commands on the demo installation: audit, subject access, erasure,
explicit re-identification. Through the CLI (in this process), as the officer runs them.
"""

from __future__ import annotations

import csv
import io
import json

import duckdb
from typer.testing import CliRunner

from cli import app
from publishing.visit_list import NAMES_BY_LABEL
from tests import portal_support as ps
from tests.demo_home import (
    demo_copy,
    listed_line,
    record_case,
    resident_households,
    sample_resident,
)

runner = CliRunner()


def _json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _list_rows(home, wijkteam: str) -> list[dict]:
    rows = []
    for path in sorted((home.outbox_dir("0080") / wijkteam).glob("*.csv")):
        rows += list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")),
                                    delimiter=";"))
    return rows


def _xlsx_rows(home, wijkteam: str) -> tuple[list[dict], str]:
    """The list rows of the team's workbooks, and the text of their Toelichting sheets."""
    from openpyxl import load_workbook

    rows, notes = [], []
    for path in sorted((home.outbox_dir("0080") / wijkteam).glob("*.xlsx")):
        book = load_workbook(path)
        # Both list sheets (Bezoeklijst and Wachtlijst), not the explanation.
        for sheet in (ws for ws in book.worksheets if ws.title != "Toelichting"):
            values = list(sheet.iter_rows(values_only=True))
            names = [NAMES_BY_LABEL.get(label, label) for label in values[0]]  # Dutch headings
            rows += [dict(zip(names, row, strict=False)) for row in values[1:]]
        notes += [str(v) for row in book["Toelichting"].iter_rows(values_only=True) for v in row
                  if v]
    return rows, "\n".join(notes)


def _on_list(rows: list[dict], resident: dict) -> bool:
    postcode, number = resident["adres"].split()[:2]
    return any(r["postcode"] == postcode and str(r["huisnummer"]) == number
               and resident["achternaam"] in r["naam"] for r in rows)


def test_audit_lines_filtered_by_step_team_period_and_subject(tmp_path,
                                                              monkeypatch):
    home, demo = demo_copy(tmp_path, monkeypatch)
    resident = sample_resident(home)
    everything = _json("audit", "--limit", "0")
    assert everything["regels"] > 500
    published = _json("audit", "--stap", "publicatie", "--wijkteam", resident["wijkteam"])
    team = next(i for i in demo["run"]["lijsten"] if i["wijkteam"] == resident["wijkteam"])
    # One line per published household (bezoeklijst and wachtlijst), plus the step's bulk line.
    assert published["regels"] == team["huishoudens"] + team["wachtlijst"] + 1
    assert {line["attributen"]["wijkteam"] for line in published["getoond"]} == {
        resident["wijkteam"]}
    assert _json("audit", "--van", "2000-01-01", "--tot", "2000-02-01")["regels"] == 0
    about = _json("audit", "--bsn", resident["bsn"])
    assert {line["naam"] for line in about["getoond"]} == {"heridentificatie", "publicatie"}
    assert all(line["betrokkene"] for line in about["getoond"])
    table = runner.invoke(app, ["audit", "--stap", "laden", "--limit", "3"])
    assert table.exit_code == 0 and "laden" in table.output
    # Bulk lines carry counts, hashes of input and output, rule, SQL and key versions.
    steps = {line["naam"]: line["attributen"] for line in everything["getoond"]
             if not line["betrokkene"]}
    assert {"invoer_sha256", "uitvoer_sha256", "regelversie"} <= set(steps["validatie"])
    assert {"invoer_sha256", "uitvoer_sha256", "sleutelversie"} <= set(steps["pseudonimisering"])
    assert set(steps["laden"]["sql"]) == {"load/classify_staging", "load/record_updates",
                                          "load/update_signals", "load/insert_signals"}
    assert {"regelversie", "sql", "uitvoer_sha256", "sleutelversie"} <= set(
        steps["matchen-en-scoren"])


def test_subject_access_shows_everything_and_is_logged(tmp_path, monkeypatch):
    home, _ = demo_copy(tmp_path, monkeypatch)
    resident = sample_resident(home)
    # What the wijkteam recorded in the portal about the household belongs in the answer too.
    publication, line = listed_line(home, resident_households(home, resident["bsn"]))
    record_case(home, publication, line, closed=True)
    report = _json("subject-access", "--bsn", resident["bsn"])
    assert report["identiteit"] and {p["bsn"] for p in report["identiteit"]} == {resident["bsn"]}
    assert {p["achternaam"] for p in report["identiteit"]} == {resident["achternaam"]}
    assert report["signalen"] and report["scores"] and report["leveringen"]
    assert any(s["op_lijst"] for s in report["scores"])
    assert report["bezoeklijsten"] and report["bezoeklijsten"][0]["bestand_aanwezig"]
    assert report["originelen_in_archief"]
    assert {line["naam"] for line in report["logboek"]} >= {"heridentificatie", "publicatie"}
    # The case and its contact attempt, and the list line it is on (by the lists' own record).
    [case] = report["zaken"]
    assert (case["wijkteam"], case["periode"], case["rang"]) == (
        publication.wijkteam, publication.period, line.rang)
    assert case["eindresultaat"] and [(a["soort"], a["bereikt"]) for a in
                                      case["contactpogingen"]] == [("Huisbezoek", True)]
    assert "coord-test" not in json.dumps(report)  # employees' names are not the resident's
    assert {(p["wijkteam"], p["periode"], p["rang"]) for p in report["bezoeklijsten"]} >= {
        (publication.wijkteam, publication.period, line.rang)}
    # No pseudonyms or internals in the answer to the resident.
    assert "k1_" not in json.dumps(report)
    # The request itself is in the audit trail, per subject, and re-identification before it.
    requests = _json("audit", "--stap", "inzageverzoek")["getoond"]
    assert [line["betrokkene"].count("@") for line in requests if line["betrokkene"]] == [1]
    reid = [line for line in _json("audit", "--stap", "heridentificatie")["getoond"]
            if line["attributen"].get("doel") == "inzageverzoek"]
    assert len(reid) == 1
    # The readable summary, in Dutch; and files for the officer, readable by them only.
    text = runner.invoke(app, ["subject-access", "--address", resident["adres"]]).output
    assert "Overzicht van gegevens" in text and resident["achternaam"] in text
    assert "Contact met het wijkteam (zaken)" in text and "Huisbezoek, bereikt" in text
    out = tmp_path / "antwoord"
    assert runner.invoke(app, ["subject-access", "--bsn", resident["bsn"], "--out",
                               str(out)]).exit_code == 0
    assert (out / "inzage.json").stat().st_mode & 0o077 == 0
    assert resident["achternaam"] in (out / "inzage.txt").read_text(encoding="utf-8")


def test_erasure_removes_the_person_from_every_store(tmp_path, monkeypatch):
    from privacy import chain
    from privacy.context import context

    home, _ = demo_copy(tmp_path, monkeypatch)
    resident = sample_resident(home)
    before = _json("subject-access", "--bsn", resident["bsn"])
    assert _on_list(_list_rows(home, resident["wijkteam"]), resident)
    assert _on_list(_xlsx_rows(home, resident["wijkteam"])[0], resident)
    rows_before = len(_list_rows(home, resident["wijkteam"]))
    ctx = context("0080")
    vault_before = ctx.vault.count()

    refused = runner.invoke(app, ["erase", "--address", resident["adres"], "--ja"])
    assert refused.exit_code == 2 and "--achternaam" in refused.output
    result = _json("erase", "--bsn", resident["bsn"], "--ja")
    assert result["kluisrecords"] == len(before["identiteit"]) == result["signalen"]
    assert result["archiefbestanden"] == len(before["originelen_in_archief"]) > 0
    assert result["lijstrijen"] >= 1 and result["betrokkenen"] >= 1
    assert {item["wijkteam"] for item in result["bezoeklijsten"]} == {resident["wijkteam"]}

    assert ctx.vault.count() == vault_before - result["kluisrecords"]
    # Gone from the outbox lists (CSV and XLSX), the rest of the list intact.
    assert not _on_list(_list_rows(home, resident["wijkteam"]), resident)
    workbook_rows, notes = _xlsx_rows(home, resident["wijkteam"])
    assert not _on_list(workbook_rows, resident) and "verwijderverzoek" in notes
    assert len(_list_rows(home, resident["wijkteam"])) == rows_before - result["lijstrijen"]
    assert len(workbook_rows) == len(_list_rows(home, resident["wijkteam"]))
    # The originals that held the person are destroyed; their deliveries say why.
    after = _json("subject-access", "--bsn", resident["bsn"])
    for section in ("identiteit", "signalen", "scores", "bezoeklijsten", "leveringen",
                    "originelen_in_archief"):
        assert after[section] == [], section
    names = {line["naam"] for line in after["logboek"]}
    assert "verwijdering" in names
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        levering_ids = {d["levering"] for d in before["leveringen"]}
        left = con.execute("SELECT count(*) FROM signals WHERE levering_id IN "
                           "(SELECT unnest($ids))", {"ids": sorted(levering_ids)}).fetchone()[0]
    finally:
        con.close()
    assert left > 0  # other residents' signals from the same files are still loaded
    assert chain.verify(ctx.database_url, ctx.keys).ok


def test_explicit_reidentification_needs_a_reason_and_is_logged(tmp_path,
                                                                monkeypatch):
    home, _ = demo_copy(tmp_path, monkeypatch)
    resident = sample_resident(home)
    line = _json("audit", "--bsn", resident["bsn"], "--stap", "publicatie")["getoond"][0]
    household = line["betrokkene"]
    wrong = runner.invoke(app, ["reidentify", household, "--reden", "nieuwsgierig"])
    assert wrong.exit_code == 2 and "controle" in wrong.output
    found = _json("reidentify", household, "--reden", "klacht", "--zaak", "Z-2026-17")
    assert resident["achternaam"] in {r["achternaam"] for r in found["records"]}
    logged = _json("audit", "--stap", "heridentificatie-handmatig")["getoond"]
    assert logged[0]["attributen"] == {"reden": "klacht", "zaak": "Z-2026-17",
                                       "kluisrecords": len(found["records"])}
    per_subject = [line for line in _json("audit", "--stap", "heridentificatie")["getoond"]
                   if line["attributen"].get("doel") == "handmatig: klacht"]
    assert [line["betrokkene"] for line in per_subject] == [household]


def _listed_households(home, ctx) -> dict[str, set[str]]:
    """Households on the newest lists -> the persons (pseudonyms) the vault holds for each."""
    from sqlalchemy import func, select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import PublicationHousehold

    with db.session(home.database_url) as s:
        newest = s.scalar(select(func.max(PublicationHousehold.publication_id)))
        listed = set(s.scalars(select(PublicationHousehold.huishouden_pseudoniem)
                               .where(PublicationHousehold.publication_id >= newest - 5)).all())
    persons: dict[str, set[str]] = {}
    for r in ctx.vault.all_index():
        if r.huishouden in listed:
            persons.setdefault(r.huishouden, set()).add(r.persoon)
    return persons


def _bsn_of(ctx, household: str) -> str | None:
    """A BSN of one of the household's residents (the test re-identifies, logged like any)."""
    found = ctx.vault.reidentify([household], purpose="test", audit=ctx.audit, trace_id="t" * 32)
    return next((r["bsn"] for r in found[household] if r.get("bsn")), None)


def _cases_of(home, household: str) -> int:
    from vroeg.opsdb.cases import cases_of_households

    return len(cases_of_households(home.database_url, "0080", [household]))


def test_erasure_and_the_households_cases_and_list_lines(tmp_path, monkeypatch):
    """A household's case goes with its last resident, and stays while others remain; the
    erased household's list lines go from the lists' record too, and the portal still shows
    the rest of the list, with the other lines under their own numbers."""
    from privacy.context import context
    from vroeg.opsdb import cases, db
    from vroeg.opsdb.models import Publication, PublicationHousehold

    home, _ = demo_copy(tmp_path, monkeypatch)
    ctx = context("0080")
    persons = _listed_households(home, ctx)
    alone = next(h for h, p in sorted(persons.items()) if len(p) == 1 and _bsn_of(ctx, h))
    shared = next(h for h, p in sorted(persons.items()) if len(p) >= 2 and _bsn_of(ctx, h))
    sole_list, sole_line = listed_line(home, {alone})
    record_case(home, sole_list, sole_line)
    shared_list, shared_line = listed_line(home, {shared})
    record_case(home, shared_list, shared_line, closed=True)

    ps.add_account(home, "coord", ["coordinator"], [sole_list.wijkteam])
    coordinator = ps.client_for(ps.app_for(home), "coord")
    before = coordinator.get(f"/lijsten/{sole_list.id}")
    assert before.status_code == 200
    with db.session(home.database_url) as s:
        numbers = list(s.scalars(select_lines(sole_list.id)).all())
    later = max(n for n in numbers if n != sole_line.regel)

    # The only resident: the case and its contact attempt go, and the household's list lines.
    result = _json("erase", "--bsn", _bsn_of(ctx, alone), "--ja")
    assert (result["zaken"], result["contactpogingen"], result["zaken_behouden"]) == (1, 1, 0)
    assert result["lijstrijen"] >= 1 and result["lijsthuishoudens"] >= 1
    assert _cases_of(home, alone) == 0
    with db.session(home.database_url) as s:
        assert s.scalar(func_count(PublicationHousehold.huishouden_pseudoniem == alone)) == 0
        assert list(s.scalars(select_lines(sole_list.id)).all()) == [
            n for n in numbers if n != sole_line.regel]
        # The list's record now describes its changed file (the portal checks it).
        assert s.get(Publication, sole_list.id).csv_sha256 != sole_list.csv_sha256
    # The portal still shows the rest of the list; the other lines keep their numbers.
    page = coordinator.get(f"/lijsten/{sole_list.id}")
    assert page.status_code == 200, page.text[:300]
    assert f'/huishoudens/{sole_line.regel}"' not in page.text
    assert coordinator.get(f"/lijsten/{sole_list.id}/huishoudens/{later}").status_code == 200
    assert coordinator.get(f"/lijsten/{sole_list.id}/huishoudens/{sole_line.regel}"
                           ).status_code == 404
    assert coordinator.get(f"/lijsten/{sole_list.id}/download/csv").status_code == 200

    # One of several residents: the case is about the others too and stays; the list line of
    # the address goes (the row is removed for all its residents, docs/privacy.md).
    result = _json("erase", "--bsn", _bsn_of(ctx, shared), "--ja")
    assert (result["zaken"], result["contactpogingen"], result["zaken_behouden"]) == (0, 0, 1)
    assert _cases_of(home, shared) == 1
    with db.session(home.database_url) as s:
        assert s.scalar(func_count(PublicationHousehold.publication_id == shared_list.id,
                                   PublicationHousehold.huishouden_pseudoniem == shared)) == 0
    # The remaining residents' subject access (by address) still shows the household's case.
    [resident, *_] = ctx.vault.reidentify([shared], purpose="test", audit=ctx.audit,
                                          trace_id="t" * 32)[shared]
    address = " ".join(p for p in (resident["postcode"], str(resident["huisnummer"]),
                                   resident.get("huisnummertoevoeging") or "") if p)
    report = _json("subject-access", "--address", address)
    assert [c["eindresultaat"] for c in report["zaken"]] == [cases.NO_HELP_NEEDED]
    lines = ctx.audit.read(names=["verwijderverzoek"])
    assert [line["attributen"]["zaken"] for line in lines if not line["betrokkene"]] == [1, 0]


def select_lines(publication_id: int):
    from sqlalchemy import select

    from vroeg.opsdb.models import PublicationHousehold

    return (select(PublicationHousehold.regel)
            .where(PublicationHousehold.publication_id == publication_id)
            .order_by(PublicationHousehold.regel))


def func_count(*where):
    from sqlalchemy import func, select

    from vroeg.opsdb.models import PublicationHousehold

    return select(func.count()).select_from(PublicationHousehold).where(*where)
