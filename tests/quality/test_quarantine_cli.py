"""The data officer's loop on the command line: ingest, see an update and a quarantined row,
list the quarantine, fix the file, deliver it again. Dates are relative to the real day, since
`vroeg ingest` validates as of today."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
from typer.testing import CliRunner

from cli import app
from tests.builders import row, standard_file
from tests.ingesting import assert_conserved

runner = CliRunner()


def _ingest(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["ingest", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_update_quarantine_and_redelivery(home, tmp_path):
    day = dt.date.today() - dt.timedelta(days=5)
    start = (day - dt.timedelta(days=45)).isoformat()

    def signal(i: int, **overrides) -> dict:
        return row(signaal_id=f"Q-{i}", huisnummer=str(i), signaaldatum=day.isoformat(),
                   ontstaansdatum=start, **overrides)

    first = tmp_path / "september.csv"
    first.write_bytes(standard_file([signal(1), signal(2), signal(3)]))
    code, report = _ingest(str(first), "--partner", "zorg-noord")
    assert code == 0 and report["totaal"]["rijen_geladen"] == 3

    # The next file re-sends Q-1 unchanged, Q-2 with a higher amount, and a bad Q-4.
    second = tmp_path / "oktober.csv"
    second.write_bytes(standard_file([signal(1), signal(2, bedrag="700,00"),
                                      signal(4, postcode="89XX"), signal(5)]))
    code, report = _ingest(str(second), "--partner", "zorg-noord")
    assert code == 0
    (delivery,) = report["leveringen"]
    assert (delivery["rijen_gelezen"], delivery["rijen_geladen"], delivery["waarvan_nieuw"],
            delivery["waarvan_bijgewerkt"], delivery["rijen_quarantaine"],
            delivery["rijen_dubbel"]) == (4, 2, 1, 1, 1, 1)
    assert_conserved(delivery, home)
    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM signals").fetchone() == (4,)  # not a 2nd Q-2
        assert con.execute(
            "SELECT count(*), max(versie) FROM signals WHERE versie > 1").fetchone() == (1, 2)
        assert con.execute("SELECT oud_bedrag_cent, nieuw_bedrag_cent, levering_id FROM "
                           "signal_updates").fetchall() == [(62000, 70000, delivery["levering"])]
    finally:
        con.close()

    # The officer lists deliveries with quarantine, then the rows of this one.
    overview = runner.invoke(app, ["quarantine", "--json"])
    assert overview.exit_code == 0, overview.output
    listed = json.loads(overview.stdout)["leveringen"]
    assert [d["levering"] for d in listed] == [delivery["levering"]]
    human = runner.invoke(app, ["quarantine"])
    assert "oktober.csv" in human.output and delivery["levering"][:8] in human.output

    detail = runner.invoke(app, ["quarantine", delivery["levering"][:8], "--json"])
    assert detail.exit_code == 0, detail.output
    entries = json.loads(detail.stdout)["quarantaine"]
    assert entries == [{"rij": 4, "kolom": "postcode", "reden": "POSTCODE_ONGELDIG",
                        "melding": "oktober.csv, rij 4, kolom postcode: geen geldige postcode "
                                   "(verwacht 1234AB)."}]
    by_name = runner.invoke(app, ["quarantine", "oktober.csv"])
    assert by_name.exit_code == 0 and "rij 4" in by_name.output and "89XX" not in by_name.output
    assert "vroeg ingest <bestand> --partner zorg-noord" in by_name.output
    unknown = runner.invoke(app, ["quarantine", "bestaat-niet.csv"])
    assert unknown.exit_code == 2 and "Geen levering" in unknown.output

    # Fixed and delivered again: only the fixed row is new.
    second.write_bytes(standard_file([signal(1), signal(2, bedrag="700,00"),
                                      signal(4, postcode="8911 ZZ"), signal(5)]))
    code, report = _ingest(str(second), "--partner", "zorg-noord")
    (fixed,) = report["leveringen"]
    assert (fixed["rijen_geladen"], fixed["waarvan_nieuw"], fixed["rijen_quarantaine"],
            fixed["rijen_dubbel"]) == (1, 1, 0, 3)
    assert_conserved(fixed, home)

    # A rejected file can be delivered again after the configuration was fixed: it is processed
    # again (not refused as a duplicate), with a note saying so.
    wrong = tmp_path / "komma.csv"
    wrong.write_bytes(standard_file([signal(9)], delimiter=","))
    code, report = _ingest(str(wrong))
    assert code == 1 and report["leveringen"][0]["status"] == "afgekeurd"
    code, report = _ingest(str(wrong))
    assert report["leveringen"][0]["status"] == "afgekeurd"
    assert any("eerder aangeleverd" in n for n in report["leveringen"][0]["opmerkingen"])
