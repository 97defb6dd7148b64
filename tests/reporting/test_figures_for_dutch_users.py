"""Issue 19, point 14: figures for Dutch users.

The monitor's CSV is written like every other file for people (';', decimal comma, UTF-8 BOM);
its rate per 1,000 inhabitants per month divides by the months that have data and says so; an
empty table is not printed; moments are shown in the municipality's time with the zone named,
the same in the CLI, the portal and subject access; days in one form (31-10-2026).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re

import pytest
from typer.testing import CliRunner

from cli import app
from governance.subject_access import summary_text
from portal.web import TEMPLATES
from reporting import monitor, monitor_output
from tests.reporting.test_reporting import hand_built
from vroeg import formats

D = dt.date
runner = CliRunner()


def _figures(van: dt.date, tot: dt.date) -> list[monitor.Figures]:
    signals, cases = hand_built()
    return monitor.figures(signals, cases, van, tot, inhabitants=4000,
                           team_inhabitants={"wt-a": 2000, "wt-b": None}, consecutive_months=6)


def test_monitor_csv_has_decimal_comma_semicolons_and_a_bom(tmp_path):
    figures = _figures(D(2026, 3, 1), D(2026, 4, 30))
    written = monitor_output.write(figures, tmp_path, "0080", D(2026, 3, 1), D(2026, 4, 30))
    data = written[0].read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["eenheid", "kengetal", "categorie", "waarde"]
    values = [r[3] for r in rows[1:] if r[3]]
    assert values and not [v for v in values if "." in v]
    assert ["gemeente", "aandeel_meervoudig", "", "0,2857"] in rows


def test_the_rate_per_month_divides_by_the_months_with_data_and_says_so():
    """A window of January to April whose signals fall in March and April only: the average
    per month is taken over those two months, not four, and the CSV says over how many."""
    figures = {f.scope: f for f in _figures(D(2026, 1, 1), D(2026, 4, 30))}
    g = figures["gemeente"]
    assert g.months_with_data == ["2026-03", "2026-04"]
    assert g.per_1000_month_average == pytest.approx(7 * 1000 / 4000 / 2)
    # A month without data has no rate (not a rate of zero); a team's quiet month in a month
    # with data does have one.
    assert g.per_1000_per_month["2026-01"] is None
    assert g.per_1000_per_month["2026-03"] == pytest.approx(1.0)
    assert figures["wt-a"].per_1000_month_average == pytest.approx(4 * 1000 / 2000 / 2)
    rows = monitor.rows(list(figures.values()))
    assert ("gemeente", "maanden_met_gegevens", "", "2") in rows
    average = next(r for r in rows if r[0] == "gemeente"
                   and r[1] == "signalen_per_1000_inwoners_per_maand_gemiddeld")
    assert "2 maand(en) met gegevens" in average[2] and average[3] == "0,8750"


def test_monitor_on_an_empty_installation_prints_no_empty_tables(home, tmp_path):
    result = runner.invoke(app, ["monitor", "--from", "2026-01-01", "--to", "2026-04-30",
                                 "--out", str(tmp_path / "monitor")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "01-01-2026 t/m 30-04-2026" in said
    assert "Aandeel per partnertype" not in said and "Eindresultaten (gemeente)" not in said
    assert "0 maand(en) met gegevens" in said


# ------------------------------------------------------------------------------------------------
# Moments and days
# ------------------------------------------------------------------------------------------------

WINTER = dt.datetime(2026, 10, 31, 12, 5, 7, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 1, 12, 5, tzinfo=dt.UTC)


def test_moments_are_local_with_the_zone_named():
    assert formats.moment_nl(WINTER, "Europe/Amsterdam") == "31-10-2026 13:05 CET"
    assert formats.moment_nl(SUMMER, "Europe/Amsterdam") == "01-07-2026 14:05 CEST"
    assert formats.moment_nl(WINTER, "Europe/Amsterdam", seconds=True) == "31-10-2026 13:05:07 CET"
    # SQLite hands moments back naive (they are UTC); JSON holds ISO text.
    assert formats.moment_nl(WINTER.replace(tzinfo=None), "Europe/Amsterdam") == \
        "31-10-2026 13:05 CET"
    assert formats.moment_nl(WINTER.isoformat(), "Europe/Amsterdam") == "31-10-2026 13:05 CET"
    assert formats.moment_nl(None, "Europe/Amsterdam") == ""
    assert formats.date_nl("1980-02-29") == "29-02-1980" and formats.number_nl(0.5, 2) == "0,50"


def _report(**extra) -> dict:
    return {"gemeente": "0080", "gezocht_op": "BSN", "opgesteld_op": WINTER,
            "tijdzone": "Europe/Amsterdam",
            "identiteit": [{"voornamen": "Anna", "achternaam": "Jansen",
                            "geboortedatum": "1980-02-29"}],
            "signalen": [{"partner_type": "Huur", "partner_id": "wonen", "bedrag_cent": 12345,
                          "signaaldatum": D(2026, 10, 3), "crisis": False, "wijkteam": "wt-a"}],
            "wijzigingen": [], "scores": [], "bezoeklijsten": [], "zaken": [], "leveringen": [],
            "originelen_in_archief": [],
            "logboek": [{"naam": "inzageverzoek", "einde": SUMMER, "attributen": {}}], **extra}


def test_the_subject_access_summary_shows_local_time_and_one_form_of_date():
    text = summary_text(_report())
    assert "(UTC)" not in text
    assert "Opgesteld: 31-10-2026 13:05 CET." in text
    assert "01-07-2026 14:05 CEST inzageverzoek" in text
    assert "geboren 29-02-1980" in text and "signaaldatum 03-10-2026" in text
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)


def test_the_portal_shows_moments_like_the_cli():
    class Municipality:
        timezone = "Europe/Amsterdam"

    template = TEMPLATES.env.from_string("{{ moment|datumtijd }}")
    assert template.render(moment=WINTER, gemeente=Municipality()) == "31-10-2026 13:05 CET"


def test_the_cli_lists_accounts_in_local_time_with_the_zone(home):
    added = runner.invoke(app, ["users", "add", "p.officer", "--role", "privacy"],
                          input="Een-lang-geheim-2026\n")
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["users", "list"]).output
    assert re.search(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2} CES?T", listed), listed
