"""Issue 19, point 2, in the operational database itself: a case belongs to the household and the
month. Publishing a new version (or another team's list the household moved to) moves the case
along; coordinators recording at the same moment on two versions share one case; on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from vroeg.opsdb import cases, db, runs
from vroeg.opsdb.models import Publication, Run

DAY, TODAY = dt.date(2026, 11, 3), dt.date(2026, 11, 22)


def _publish(url: str, team: str, run_id: str, lines: list[str]) -> Publication:
    with db.session(url) as s:
        if s.get(Run, run_id) is None:
            s.add(Run(id=run_id, gemeente="0080", period="2026-10", rules_version="v"))
    pid = runs.record_publication(
        url, "0080", run_id, "2026-10", wijkteam=team, csv_path="a.csv", xlsx_path="a.xlsx",
        csv_sha256="0" * 64, households=len(lines), lines=[(rank, h) for rank, h in
                                                           enumerate(lines, start=1)])
    with db.session(url) as s:
        return s.get(Publication, pid)


def _contact(url: str, publication: Publication, pseudonym: str, by: str) -> cases.CaseRecord:
    return cases.record_contact(url, publication, regel=1, rang=1, pseudonym=pseudonym,
                                soort="Huisbezoek", bereikt=False, datum=DAY, dagdeel="Middag",
                                by=by, today=TODAY)


def _case_follows_the_household(url: str) -> None:
    centrum_1 = _publish(url, "wt-centrum", "r-1", ["k1_a", "k1_b"])
    _contact(url, centrum_1, "k1_b", "coord-centrum")
    # Version 2: k1_b moved to wt-oost (new address); wt-centrum's list loses it.
    centrum_2 = _publish(url, "wt-centrum", "r-2", ["k1_a"])
    oost = _publish(url, "wt-oost", "r-2", ["k1_c", "k1_b"])
    [case] = cases.cases_between(url, "0080", "2026-10", "2026-10")
    assert (case.huishouden_pseudoniem, case.wijkteam, case.publication_id, case.rang,
            case.run_id) == ("k1_b", "wt-oost", oost.id, 2, "r-2")
    # wt-oost's list shows what wt-centrum recorded; so does the replaced list it was on.
    assert [c.vastgelegd_door for c in cases.cases_of_publication(url, oost.id)["k1_b"]
            .contactpogingen] == ["coord-centrum"]
    assert set(cases.cases_of_publication(url, centrum_1.id)) == {"k1_b"}
    assert cases.cases_of_publication(url, centrum_2.id) == {}
    # Recording on the replaced version of wt-centrum's list goes to the same case.
    again = _contact(url, centrum_1, "k1_b", "coord-centrum")
    assert again.id == case.id and len(again.contactpogingen) == 2 and again.wijkteam == "wt-oost"
    # A first record on a replaced version still points the new case to the newest list.
    first_on_old = _contact(url, centrum_1, "k1_a", "coord-centrum")
    assert (first_on_old.publication_id, first_on_old.wijkteam) == (centrum_2.id, "wt-centrum")

    # End results chosen on two versions: one closed case, the later choice (what matching's
    # exclusions and the DDAS export read).
    for publication, result in ((centrum_1, cases.END_RESULTS[0]), (oost, cases.NO_HELP_NEEDED)):
        cases.record_end_result(url, publication, regel=1, rang=1, pseudonym="k1_b",
                                eindresultaat=result, by="coord")
    [closed] = cases.closed_cases(url, "0080")
    assert (closed.id, closed.eindresultaat) == (case.id, cases.NO_HELP_NEEDED)

    # Two coordinators record at the same moment, on version 1 and version 2: one case.
    later_1 = _publish(url, "wt-west", "r-3", ["k1_z"])
    later_2 = _publish(url, "wt-west", "r-4", ["k1_y", "k1_z"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda i: _contact(url, (later_1, later_2)[i % 2], "k1_z",
                                                f"coord-{i}"), range(16)))
    assert len({record.id for record in done}) == 1
    [z] = [c for c in cases.cases_between(url, "0080", "2026-10", "2026-10")
           if c.huishouden_pseudoniem == "k1_z"]
    assert len(z.contactpogingen) == 16 and z.publication_id == later_2.id


def test_a_case_follows_the_household_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    _case_follows_the_household(url)
    db.engine.cache_clear()


@pytest.mark.postgres
def test_a_case_follows_the_household_on_postgresql(pg_schema_url):
    _case_follows_the_household(pg_schema_url)
