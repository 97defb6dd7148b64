"""Issue 19, point 16: a quarantine message names the partner's own column beside the standard
field, and `vroeg quarantine NAME` asks which delivery is meant when two share a file name."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from cli import app
from connectors.mapping import configured_columns
from quality.quarantine_reasons import message
from vroeg.config import standard_partner

runner = CliRunner()

HEADER = ("Meldingsnummer,Meldingsdatum,Eerste onbetaalde factuur,Openstaand (cent),"
          "Afsluiting aangekondigd,Klantnaam,Tussenvoegsel,Geboortedatum,Straat,Huisnr,Toev,"
          "Postcode,Plaats,Telefoon,E-mail")


def test_the_partners_configured_names_are_the_columns_in_the_file(municipality):
    columns = configured_columns(municipality.partner("energie-fryslan"))
    assert columns["huisnummer"] == ("Huisnr",)
    assert columns["achternaam"] == ("Klantnaam",)
    assert "partner_type" not in columns  # a fixed value: no column in the file
    assert configured_columns(standard_partner()) == {}
    assert message("VERPLICHT_LEEG", "a.csv", 3, "achternaam", ("Achternaam huurder",)) == (
        "a.csv, rij 3, kolom achternaam (in het bestand: 'Achternaam huurder'): verplicht veld "
        "is leeg.")
    # The same name in the file says nothing new.
    assert message("POSTCODE_ONGELDIG", "a.csv", 3, "postcode", ("Postcode",)) == (
        "a.csv, rij 3, kolom postcode: geen geldige postcode (verwacht 1234AB).")


def _energie_file(rows: int) -> bytes:
    day = dt.date.today() - dt.timedelta(days=5)
    start = day - dt.timedelta(days=60)
    lines = [HEADER]
    for i in range(1, rows + 1):
        number = "abc" if i == 2 else str(i)  # row 3 of the file: a house number that is none
        lines.append(f"EF-I19-{i},{day:%d-%m-%Y},{start:%d-%m-%Y},20172,N,\"Hofstra, Sara\",,"
                     f"21-06-1977,Aldedyk,{number},,9012 VR,Idaerd,,")
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def test_messages_name_the_partners_column_and_a_shared_file_name_is_asked_about(
        home, tmp_path):
    path = tmp_path / "energie.csv"
    ids = []
    for rows in (2, 3):  # the partner re-sends a longer file under the same name
        path.write_bytes(_energie_file(rows))
        result = runner.invoke(app, ["ingest", str(path), "--partner", "energie-fryslan",
                                     "--json"])
        assert result.exit_code == 0, result.output
        (delivery,) = json.loads(result.stdout)["leveringen"]
        assert delivery["rijen_quarantaine"] == 1
        ids.append(delivery["levering"])

    detail = runner.invoke(app, ["quarantine", ids[1][:8], "--json"])
    assert detail.exit_code == 0, detail.output
    (entry,) = json.loads(detail.stdout)["quarantaine"]
    assert entry["melding"] == ("energie.csv, rij 3, kolom huisnummer (in het bestand: "
                                "'Huisnr'): geen geldig huisnummer (cijfers 0-9, eventueel met "
                                "toevoeging).")

    asked = runner.invoke(app, ["quarantine", "energie.csv"])
    assert asked.exit_code == 2
    said = " ".join(asked.output.split())
    assert "bestandsnaam van 2 leveringen" in said and "Welke bedoelt u?" in said
    assert ids[0][:8] in said and ids[1][:8] in said
    as_json = runner.invoke(app, ["quarantine", "energie.csv", "--json"])
    assert as_json.exit_code == 2
    assert {d["levering"] for d in json.loads(as_json.stdout)["leveringen"]} == set(ids)
