"""Issue 19, point 2: upgrading an operational database whose cases were split per printed copy
(a household on versions 1 and 2 of a month had a case on each) merges them into one case per
household and month, on SQLite and PostgreSQL: every contact attempt kept, the earliest
opgepakt_op, the most recent end result, pointing to the newest list the household stands on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.vroeg.test_publication_migration import _upgrade
from vroeg.ddas import END_RESULTS
from vroeg.opsdb import db

FIRST, LATER = END_RESULTS[0], END_RESULTS[1]


def _publication(connection, id_: int, team: str, version: int, created: str,
                 superseded_by: int | None, lines: list[tuple[int, int, str]]) -> None:
    connection.execute(text(
        "INSERT INTO publications (id, run_id, gemeente, wijkteam, period, households, csv_path, "
        "xlsx_path, csv_sha256, created_at, version, superseded_at, superseded_by) VALUES "
        "(:id, :run, '0080', :team, '2026-10', 2, 'a.csv', 'a.xlsx', :sha, :created, :version, "
        ":superseded_at, :superseded_by)"),
        {"id": id_, "run": "r-1" if version == 1 else "r-2", "team": team, "sha": "0" * 64,
         "created": created, "version": version, "superseded_by": superseded_by,
         "superseded_at": "2026-11-03 10:00:00" if superseded_by else None})
    for regel, rang, household in lines:
        connection.execute(text(
            "INSERT INTO publication_households (publication_id, regel, rang, "
            "huishouden_pseudoniem) VALUES (:p, :regel, :rang, :h)"),
            {"p": id_, "regel": regel, "rang": rang, "h": household})


def _case(connection, id_: str, publication: int | None, team: str, period: str, household: str,
          created: str, opgepakt: str | None, result: str | None = None,
          result_at: str | None = None, attempts: tuple[str, ...] = ()) -> None:
    connection.execute(text(
        "INSERT INTO cases (id, gemeente, publication_id, run_id, wijkteam, period, regel, rang, "
        "huishouden_pseudoniem, created_at, created_by, opgepakt_op, eindresultaat, "
        "eindresultaat_op, eindresultaat_door) VALUES (:id, '0080', :p, 'r-1', :team, :period, "
        "1, 1, :h, :created, 'coord', :opgepakt, :result, :result_at, :by)"),
        {"id": id_, "p": publication, "team": team, "period": period, "h": household,
         "created": created, "opgepakt": opgepakt, "result": result, "result_at": result_at,
         "by": f"coord-{id_}" if result else None})
    for day in attempts:
        connection.execute(text(
            "INSERT INTO contact_attempts (case_id, soort, bereikt, datum, dagdeel, recorded_by, "
            "recorded_at) VALUES (:c, 'Huisbezoek', :yes, :day, 'Middag', 'coord', :at)"),
            {"c": id_, "yes": False, "day": day, "at": f"{day} 18:00:00"})


def _old_database(url: str):
    """A database at i19_0001 (versions, cases still per copy) as colleagues left it: household
    k1_a recorded on version 1 and again on version 2 of wt-centrum's list; k1_b recorded on
    version 1 and since moved to wt-oost's list; k1_a also had a case the month before."""
    engine = db.create(url)
    _upgrade(engine, "i19_0001")
    with engine.begin() as connection:
        for run, started in (("r-1", "2026-11-02 10:00:00"), ("r-2", "2026-11-03 10:00:00")):
            connection.execute(text(
                "INSERT INTO runs (id, gemeente, period, started_at, status, rules_version) "
                "VALUES (:id, '0080', '2026-10', :started, 'gepubliceerd', 'v1')"),
                {"id": run, "started": started})
        _publication(connection, 1, "wt-centrum", 1, "2026-11-02 10:00:00", 2,
                     [(1, 1, "k1_a"), (2, 2, "k1_b")])
        _publication(connection, 2, "wt-centrum", 2, "2026-11-03 10:00:00", None,
                     [(1, 1, "k1_c"), (2, 2, "k1_a")])
        _publication(connection, 3, "wt-oost", 2, "2026-11-03 10:00:01", None,
                     [(1, 7, "k1_b")])
        _case(connection, "a-v1", 1, "wt-centrum", "2026-10", "k1_a", "2026-11-02 12:00:00",
              "2026-11-02", FIRST, "2026-11-02 13:00:00", ("2026-11-02",))
        _case(connection, "a-v2", 2, "wt-centrum", "2026-10", "k1_a", "2026-11-03 12:00:00",
              "2026-11-01", LATER, "2026-11-04 09:00:00", ("2026-11-01", "2026-11-03"))
        _case(connection, "a-sep", None, "wt-centrum", "2026-09", "k1_a", "2026-10-02 12:00:00",
              "2026-10-02", attempts=("2026-10-02",))
        _case(connection, "b-v1", 1, "wt-centrum", "2026-10", "k1_b", "2026-11-02 12:30:00",
              "2026-11-02", attempts=("2026-11-02",))
    return engine


def _split_cases_merge(url: str) -> None:
    engine = _old_database(url)
    db.migrate(engine)
    with engine.connect() as connection:
        found = connection.execute(text(
            "SELECT id, period, huishouden_pseudoniem, publication_id, wijkteam, regel, rang, "
            "opgepakt_op, eindresultaat, eindresultaat_door FROM cases ORDER BY id")).all()
        attempts = connection.execute(text(
            "SELECT case_id, COUNT(*) FROM contact_attempts GROUP BY case_id ORDER BY case_id")
        ).all()
    as_date = [(*r[:7], dt.date.fromisoformat(str(r[7])), *r[8:]) for r in found]
    assert as_date == [
        # One case for k1_a in October: the earliest's id, on version 2 (its newest list), the
        # earliest day it was taken up, the end result chosen last.
        ("a-sep", "2026-09", "k1_a", None, "wt-centrum", 1, 1, dt.date(2026, 10, 2), None,
         None),
        ("a-v1", "2026-10", "k1_a", 2, "wt-centrum", 2, 2, dt.date(2026, 11, 1), LATER,
         "coord-a-v2"),
        # k1_b's case follows the household to wt-oost's list.
        ("b-v1", "2026-10", "k1_b", 3, "wt-oost", 1, 7, dt.date(2026, 11, 2), None, None),
    ]
    assert [tuple(r) for r in attempts] == [("a-sep", 1), ("a-v1", 3), ("b-v1", 1)]
    # From now on the database itself refuses a second case for a household and month.
    with pytest.raises(IntegrityError), engine.begin() as connection:
        _case(connection, "a-again", 2, "wt-centrum", "2026-10", "k1_a", "2026-11-05 12:00:00",
              None)
    engine.dispose()


def test_split_cases_merge_on_sqlite(tmp_path):
    _split_cases_merge(f"sqlite:///{tmp_path / 'old.sqlite'}")


@pytest.mark.postgres
def test_split_cases_merge_on_postgresql(pg_schema_url):
    _split_cases_merge(pg_schema_url)
