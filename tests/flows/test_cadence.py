"""Issue 17, point 4: the matching cadence (`monthly`, `weekly`, `daily`) is configuration.

In a shorter cadence the current month's lists are re-published as versions while its signals
arrive: a household already on the list is listed once (its case and contact attempts stay),
the figures stay per calendar month (the month's newest run speaks for it, the previous month
keeps its own), and the served run's schedule follows the cadence.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.builders import row, standard_file
from tests.demo_home import demo_copy
from tests.ingesting import own_config


def _operations(**settings) -> object:
    from vroeg.config import Operations

    return Operations.model_validate(settings)


@pytest.mark.parametrize("cadence, cron", [
    ("monthly", "0 6 5 * *"), ("weekly", "0 6 5,12,19,26 * *"), ("daily", "0 6 * * *")])
def test_the_run_schedule_follows_the_cadence_unless_set(cadence, cron):
    operations = _operations(cadence=cadence)
    assert operations.cron("run") == cron
    assert operations.cron("collect") == "0 * * * *"
    assert _operations(cadence=cadence, schedules={"run": "0 7 1 * *"}).cron("run") == "0 7 1 * *"


def test_a_shorter_cadence_runs_the_current_month_after_the_closing_day(municipality,
                                                                          tmp_path):
    from scoring.score import Period, PeriodRefused, check_period

    weekly = municipality.model_copy(update={"operations": _operations(cadence="weekly")})
    # Up to the closing day (the 5th) the previous month's last run still takes late files.
    assert str(Period.to_run(weekly, today=dt.date(2026, 12, 5))) == "2026-11"
    assert str(Period.to_run(weekly, today=dt.date(2026, 12, 6))) == "2026-12"
    assert str(Period.to_run(weekly, "2026-10", dt.date(2026, 12, 6))) == "2026-10"
    # Monthly: always the last complete month.
    assert str(Period.to_run(municipality, today=dt.date(2026, 12, 20))) == "2026-11"
    # The running month is refused monthly, allowed weekly; next month is refused in both.
    today, nothing_ingested = dt.date(2026, 12, 20), tmp_path / "warehouse.duckdb"
    with pytest.raises(PeriodRefused, match="nog niet voorbij"):
        check_period(nothing_ingested, Period.parse("2026-12"), today)
    with pytest.raises(PeriodRefused, match="geen signalen"):  # past the month check
        check_period(nothing_ingested, Period.parse("2026-12"), today, "weekly")
    with pytest.raises(PeriodRefused, match="nog niet voorbij"):
        check_period(nothing_ingested, Period.parse("2027-01"), today, "daily")


def _delivery(path, *signals: tuple[str, str, str]) -> str:
    """A delivery of rent arrears dated today, at (signal id, street, house number) in 8911."""
    from vroeg.formats import today_in

    today = today_in("Europe/Amsterdam")
    path.write_bytes(standard_file([row(
        signaal_id=signal_id, signaaldatum=today.isoformat(),
        ontstaansdatum=(today - dt.timedelta(days=40)).isoformat(), bedrag="950,00", bsn="",
        straatnaam=street, huisnummer=number, postcode="8911 AB")
        for signal_id, street, number in signals]))
    return str(path)


def test_weekly_cadence_republishes_the_running_month_and_lists_a_household_once(
        tmp_path, monkeypatch):
    from sqlalchemy import select

    from flows.ingest import ingest
    from flows.run import run_flow
    from reporting.records import current_runs
    from vroeg.formats import today_in
    from vroeg.opsdb import cases, db
    from vroeg.opsdb.models import Publication, PublicationHousehold

    home, demo = demo_copy(tmp_path, monkeypatch)
    config = own_config(home) / "gemeente.yaml"
    config.write_text(config.read_text() + "\noperations:\n  cadence: weekly\n")
    month = f"{today_in('Europe/Amsterdam'):%Y-%m}"
    before = current_runs(home.database_url, "0080")

    def centrum(run: dict) -> tuple[Publication, list[PublicationHousehold]]:
        [item] = [i for i in run["lijsten"] if i["wijkteam"] == "wt-centrum"]
        with db.session(home.database_url) as s:
            publication = s.scalars(select(Publication).where(
                Publication.run_id == run["run"], Publication.wijkteam == "wt-centrum")).one()
            lines = list(s.scalars(select(PublicationHousehold).where(
                PublicationHousehold.publication_id == publication.id)))
            s.expunge_all()
        assert publication.version == item["versie"]
        return publication, lines

    # The first week: one household at Weekstraat 1; the running month is published.
    ingest(gemeente="0080", paths=[_delivery(tmp_path / "week1.csv",
                                             ("WEEK-1", "Weekstraat", "1"))])
    first = run_flow(gemeente="0080", period=month)
    publication, [line] = centrum(first)
    assert publication.period == month
    cases.record_contact(home.database_url, publication, regel=line.regel, rang=line.rang,
                         pseudonym=line.huishouden_pseudoniem, soort="Huisbezoek", bereikt=False,
                         datum=today_in("Europe/Amsterdam"), dagdeel="Middag", by="coord-test")

    # The next week: a second signal for that household and a new household.
    ingest(gemeente="0080", paths=[_delivery(tmp_path / "week2.csv",
                                             ("WEEK-2", "Weekstraat", "1"),
                                             ("WEEK-3", "Weekstraat", "3"))])
    second = run_flow(gemeente="0080", period=month)
    republished, lines = centrum(second)
    assert republished.version == publication.version + 1
    households = [x.huishouden_pseudoniem for x in lines]
    assert len(households) == len(set(households)) == 2
    assert line.huishouden_pseudoniem in households
    [case] = [c for c in cases.cases_between(home.database_url, "0080", month, month)
              if c.huishouden_pseudoniem == line.huishouden_pseudoniem]
    assert [a.vastgelegd_door for a in case.contactpogingen] == ["coord-test"]
    assert case.publication_id == republished.id

    # Figures per calendar month: the running month's newest run; last month keeps its own.
    after = current_runs(home.database_url, "0080")
    assert after[month][0] == second["run"]
    assert after[demo["periode"]] == before[demo["periode"]]


def test_the_served_run_deployment_takes_the_cadences_schedule(municipality):
    from flows.serve import deployments

    daily = municipality.model_copy(update={"operations": _operations(cadence="daily")})
    crons = {d.entrypoint: [s.schedule.cron for s in d.schedules]
             for d in deployments(daily)}
    assert crons == {"flows.served.collect_flow": ["0 * * * *"],
                     "flows.served.run_flow": ["0 6 * * *"],
                     "flows.served.retention_flow": ["30 2 * * *"]}
