"""Onboarding a partner by configuration alone: a new YAML file in the municipality's folder,
checked with `vroeg partners check`, and its own file (own column names, Windows-1252, '|',
thousands separators, Dutch dates, a name over two columns, an address in one) ingested."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app
from tests.builders import TODAY
from tests.ingesting import add_partner, assert_conserved

runner = CliRunner()

WOONBRON = r"""
# A housing corporation with its own export, onboarded without a line of code.
id: woonbron-noord
name: Woonbron Noord
partner_type: Huur
channel: file
format: csv
csv: {delimiter: "|", encoding: cp1252}
decimal: ","
thousands: "."
date_formats: ["%d/%m/%Y"]
columns:
  signaal_id: Dossiernr
  signaaldatum: Datum signaal
  ontstaansdatum: Achterstand vanaf
  bedrag: Openstaand
  crisis: {column: Ontruiming, map: {"J": "ja", "N": "nee"}}
  voornamen: {columns: [Voorletters, Roepnaam], separator: " "}
  achternaam: Naam
  straatnaam: {column: Adres, pattern: "^(.*?)\\s+\\d"}
  huisnummer: {column: Adres, pattern: "\\s(\\d+)"}
  huisnummertoevoeging: {column: Adres, pattern: "\\d+\\s*([A-Za-z].*)$"}
  postcode: PC
  woonplaats: Plaats
  telefoon: Tel
"""

HEADER = "Dossiernr|Datum signaal|Achterstand vanaf|Openstaand|Ontruiming|Naam|Voorletters|" \
         "Roepnaam|Adres|PC|Plaats|Tel|Eigen kenmerk"
LINES = [
    "WB-001|14/10/2026|01/08/2026|1.234,56|N|Brouwer-Sæther|J.K.|Jan|Kerkstraat 12 A|8911 AA|"
    "Leeuwarden|058-1234567|x1",
    "WB-002|15/10/2026|02/07/2026|620|J|Hoekstra|A.|Aële|Nieuwestad 3|8911AB|Leeuwarden||x2",
    "WB-003|16/10/2026|01/09/2026|75,5|N|Dijkstra|P.|Piet|Oostergrachtswal 101-2|8912 CD|"
    "Leeuwarden|0612345678|x3",
    "WB-004|31/02/2026|01/09/2026|80|N|Zzfoutqq|K.||Tuinen 7|8911 AC|Leeuwarden||x4",
]


def woonbron_file() -> bytes:
    return ("\r\n".join([HEADER, *LINES]) + "\r\n").encode("cp1252")


def test_partners_check_previews_the_mapping_and_names_unmapped_fields(home, tmp_path):
    add_partner(home, "woonbron-noord", WOONBRON)
    sample = tmp_path / "export.txt"
    sample.write_bytes(woonbron_file())

    ok = runner.invoke(app, ["partners", "check", "woonbron-noord", "--sample", str(sample),
                             "--today", TODAY.isoformat(), "--rows", "2"])
    assert ok.exit_code == 0, ok.output
    assert "Brouwer-Sæther" in ok.output  # decoded as Windows-1252, shown on the officer's screen
    assert "€ 1.234,56" in ok.output  # 1.234,56 with a thousands separator
    assert "14-10-2026" in ok.output  # dates in the one form people read (issue 19, point 14)
    assert "Kerkstraat" in ok.output and "J.K. Jan" in ok.output
    assert "4 rijen gelezen, 3 goed, 1 in quarantaine" in ok.output
    assert "rij 5, kolom signaaldatum" in ok.output
    assert "Eigen kenmerk" in ok.output  # an unused column is reported
    assert "in orde" in ok.output

    # --json holds the mapping and counts, never the sample's values.
    as_json = runner.invoke(app, ["partners", "check", "woonbron-noord", "--sample", str(sample),
                                  "--today", TODAY.isoformat(), "--json"])
    report = json.loads(as_json.stdout)
    assert report["in_orde"] and report["voorbeeld"]["quarantaine"] == 1
    assert report["velden"]["bedrag"] == "kolom 'Openstaand'"
    for value in ("Brouwer", "Kerkstraat", "058-1234567", "WB-001"):
        assert value not in as_json.stdout

    # Required fields without a source are named, and the check fails.
    add_partner(home, "half", WOONBRON.replace("woonbron-noord", "half")
                .replace("  postcode: PC\n", "").replace("  achternaam: Naam\n", ""))
    incomplete = runner.invoke(app, ["partners", "check", "half"])
    assert incomplete.exit_code == 1
    assert "verplichte velden zonder bronkolom of vaste waarde: achternaam, postcode" in \
        incomplete.output
    # A typo in a key is reported with the file and the key.
    add_partner(home, "typo", WOONBRON.replace("woonbron-noord", "typo")
                .replace("decimal:", "decimaal:"))
    typo = runner.invoke(app, ["partners", "check", "typo"])
    assert typo.exit_code == 1 and "decimaal" in typo.output and "typo.yaml" in typo.output
    (home.root / "config" / "0080" / "partners" / "typo.yaml").unlink()
    missing = runner.invoke(app, ["partners", "check", "bestaat-niet"])
    assert missing.exit_code == 2 and "woonbron-noord" in missing.output


@pytest.mark.parametrize("command", [["partners"], ["partners", "list"], ["partners", "check"],
                                     ["quarantine"], ["collect"]])
def test_new_commands_have_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_partners_list(home):
    add_partner(home, "woonbron-noord", WOONBRON)
    result = runner.invoke(app, ["partners", "list", "--json"])
    assert result.exit_code == 0, result.output
    partners = {p["partner"]: p for p in json.loads(result.stdout)["partners"]}
    assert partners["woonbron-noord"]["kolommen"] == "eigen indeling"
    assert partners["zorg-noord"]["kolommen"] == "standaard"


def test_a_new_partner_is_onboarded_by_configuration_alone(home, tmp_path):
    """The done-when: a new YAML, the partner's own file, through the real ingest flow."""
    import duckdb

    from flows.ingest import ingest

    add_partner(home, "woonbron-noord", WOONBRON)
    export = tmp_path / "WB export oktober.txt"
    export.write_bytes(woonbron_file())
    (summary,) = ingest(gemeente="0080", paths=[str(export)], partner_id="woonbron-noord",
                             today=TODAY.isoformat())
    assert (summary["status"], summary["rijen_gelezen"], summary["rijen_geladen"],
            summary["rijen_quarantaine"]) == ("geladen", 4, 3, 1)
    assert summary["partner"] == "woonbron-noord"
    # The unused column is reported by its position, never by its header (issue 19, point 6).
    assert any(note.startswith("kolommen genegeerd (positie in het bestand)")
               for note in summary["opmerkingen"]), summary["opmerkingen"]
    assert not any("Eigen kenmerk" in note for note in summary["opmerkingen"])
    assert_conserved(summary, home)
    # Validated by the schema suite and the Huur suite (the 30-day window); results hold counts.
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import ValidationResult

    with db.session(home.database_url) as s:
        results = s.scalars(select(ValidationResult)
                            .where(ValidationResult.delivery_id == summary["levering"])).all()
        suites = {r.suite for r in results}
        window = [(r.reason, r.checked, r.failed) for r in results
                  if r.suite == "signaal-0080-huur"]
    assert suites == {"signaal-0080", "signaal-0080-huur"}
    assert window == [("TERMIJN_TE_KORT", 3, 0)]  # the three rows that are not crisis signals

    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        facts = con.execute(
            "SELECT partner_id, partner_type, bedrag_cent, crisis, ontstaansdatum::VARCHAR, "
            "wijkteam FROM signals ORDER BY bedrag_cent").fetchall()
        households = con.execute("SELECT huishouden_pseudoniem FROM signals").fetchall()
    finally:
        con.close()
    assert facts == [
        ("woonbron-noord", "Huur", 7550, False, "2026-09-01", "wt-oost"),
        ("woonbron-noord", "Huur", 62000, True, "2026-07-02", "wt-centrum"),
        ("woonbron-noord", "Huur", 123456, False, "2026-08-01", "wt-centrum"),
    ]

    from privacy.context import context

    ctx = context("0080")
    found = ctx.vault.reidentify([h for (h,) in households], purpose="test", audit=ctx.audit,
                                 trace_id="0" * 32)
    people = {p["signaal_id"]: p for ps in found.values() for p in ps}
    assert people["WB-001"]["achternaam"] == "Brouwer-Sæther"
    assert people["WB-001"]["voornamen"] == "J.K. Jan"
    assert (people["WB-001"]["straatnaam"], people["WB-001"]["huisnummer"],
            people["WB-001"]["huisnummertoevoeging"]) == ("Kerkstraat", "12", "A")
    assert people["WB-002"]["voornamen"] == "A. Aële"
    assert (people["WB-003"]["straatnaam"], people["WB-003"]["huisnummer"]) == (
        "Oostergrachtswal", "101")
