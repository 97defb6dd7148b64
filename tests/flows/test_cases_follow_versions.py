"""Issue 19, point 2: cases, contact attempts and end results belong to the household and the
month, not to one printed copy of a list.

A coordinator records a contact attempt on version 1 of the team's list; a late delivery and a
re-run publish version 2; a colleague opening version 2 sees that attempt (one case, not a second
empty one), what either records on either version goes to that case, the DDAS export counts one
case, and subject access reports one listing for the month with the versions it was on.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import select
from typer.testing import CliRunner

from tests.builders import row, standard_file
from tests.demo_home import demo_copy, listed_line, resident_households, sample_resident
from tests.portal_support import add_account, app_for, client_for, csrf_of


def _attempt(client, publication_id: int, regel: int, *, reached: str, day: dt.date):
    url = f"/lijsten/{publication_id}/huishoudens/{regel}"
    csrf = csrf_of(client.get(url).text)
    return client.post(url + "/contactpogingen", data={
        "csrf": csrf, "soort": "Huisbezoek", "bereikt": reached, "datum": day.isoformat(),
        "dagdeel": "Middag"}, follow_redirects=False)


def test_attempts_recorded_on_a_list_are_on_its_next_version(tmp_path, monkeypatch):
    from cli import app as cli
    from flows.ingest import ingest
    from flows.run import run_flow
    from scoring.score import Period
    from vroeg.formats import today_in
    from vroeg.opsdb import cases, db
    from vroeg.opsdb.models import PublicationHousehold

    home, result = demo_copy(tmp_path, monkeypatch)
    period = Period.parse(result["periode"])
    resident = sample_resident(home)
    first, line = listed_line(home, resident_households(home, resident["bsn"]))
    household = line.huishouden_pseudoniem
    assert (first.period, first.version) == (str(period), 1)
    today = today_in("Europe/Amsterdam")

    # Version 1: a coordinator visits and records it.
    portal = app_for(home)
    add_account(home, "coord", ["coordinator"], [first.wijkteam])
    add_account(home, "collega", ["coordinator"], [first.wijkteam])
    coord, colleague = client_for(portal, "coord"), client_for(portal, "collega")
    assert _attempt(coord, first.id, line.regel, reached="nee", day=today).status_code == 303

    # A late delivery for another address in the household's team; the re-run publishes
    # version 2 of that team's list.
    late = tmp_path / "laat.csv"
    late.write_bytes(standard_file([row(
        signaal_id="LAAT-1", signaaldatum=(period.start + dt.timedelta(days=5)).isoformat(),
        ontstaansdatum=(period.start - dt.timedelta(days=40)).isoformat(), bedrag="950,00",
        straatnaam="Laatstraat", huisnummer="997", postcode=resident["postcode"])]))
    assert ingest(gemeente="0080", paths=[str(late)])[0]["status"] == "geladen"
    rerun = run_flow(gemeente="0080", period=str(period))
    status = {i["wijkteam"]: (i["status"], i["versie"]) for i in rerun["lijsten"]}
    assert status[first.wijkteam] == ("nieuwe versie", 2)
    second, _ = listed_line(home, {household})
    assert second.id != first.id and second.version == 2 and second.superseded_at is None
    with db.session(home.database_url) as s:
        regel, rang = s.execute(select(PublicationHousehold.regel, PublicationHousehold.rang)
                                .where(PublicationHousehold.publication_id == second.id,
                                       PublicationHousehold.huishouden_pseudoniem == household)
                                ).one()

    # Version 2 shows what was recorded on version 1: a colleague does not start from nothing.
    listing = colleague.get(f"/lijsten/{second.id}").text
    row_html = re.search(rf'huishoudens/{regel}".*?</tr>', listing, re.S).group(0)
    assert "1 poging" in row_html and "nog geen contact" not in row_html
    page = colleague.get(f"/lijsten/{second.id}/huishoudens/{regel}").text
    assert "Nog geen contactpogingen vastgelegd." not in page
    assert re.search(r"<td>Huisbezoek</td><td>nee</td><td>coord</td>", page)

    # Recording on either version goes to the household's one case of the month.
    assert _attempt(colleague, second.id, regel, reached="ja", day=today).status_code == 303
    replaced = coord.get(f"/lijsten/{first.id}/huishoudens/{line.regel}")
    assert "Deze lijst is vervangen." in replaced.text
    assert "<td>collega</td>" in replaced.text  # the colleague's attempt on version 2
    assert _attempt(coord, first.id, line.regel, reached="ja", day=today).status_code == 303

    # The DDAS export (and exclusions) read one case for the household and month, on version 2.
    [case] = [c for c in cases.cases_between(home.database_url, "0080", str(period), str(period))
              if c.huishouden_pseudoniem == household]
    assert [a.vastgelegd_door for a in case.contactpogingen] == ["coord", "collega", "coord"]
    assert (case.publication_id, case.rang, case.opgepakt_op) == (second.id, rang, today)
    assert case.run_id == second.run_id

    # Subject access: one listing for the month, with the two versions it was on; one case.
    runner = CliRunner()
    answer = runner.invoke(cli, ["subject-access", "--bsn", resident["bsn"], "--json"])
    assert answer.exit_code == 0, answer.output
    report = json.loads(answer.output)
    [listed] = [p for p in report["bezoeklijsten"] if p["periode"] == str(period)]
    assert [v["versie"] for v in listed["versies"]] == [1, 2]
    assert listed["run"] == second.run_id and listed["versies"][0]["vervangen_op"]
    [month_case] = [c for c in report["zaken"] if c["periode"] == str(period)]
    assert len(month_case["contactpogingen"]) == 3
    text = runner.invoke(cli, ["subject-access", "--bsn", resident["bsn"]]).output
    assert "in 2 versies van de lijst van die maand" in text
