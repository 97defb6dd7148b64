"""Loading pseudonymised facts into DuckDB, and the points model in sql/model, on hand-built
data."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from privacy.pseudonymise import FACT_COLUMNS
from scoring import warehouse
from scoring.load import load_signals
from scoring.score import Period, ranked_list, rules_version, score_period


def fact(signal: str, household: str, partner_type: str = "Huur", cents: int = 10_000,
         crisis: bool = False, day: dt.date = dt.date(2026, 10, 10), team: str = "wt-centrum",
         partner: str | None = None) -> dict:
    return {
        "signaal_pseudoniem": f"k1_{signal}", "huishouden_pseudoniem": f"k1_{household}",
        "persoon_pseudoniem": f"k1_p{household}", "sleutelversie": 1,
        "partner_id": partner or partner_type.lower(), "partner_type": partner_type,
        "signaaldatum": day, "ontstaansdatum": day - dt.timedelta(days=45), "bedrag_cent": cents,
        "crisis": crisis, "wijkteam": team, "leeftijdsgroep": None, "uiterste_datum": None,
    }


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows)).select(FACT_COLUMNS).with_columns(
        pl.col("sleutelversie").cast(pl.Int32))


@pytest.fixture
def con(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb", write=True) as connection:
        yield connection


def test_new_duplicate_and_updated_signals(con):
    first = load_signals(con, frame(fact("s1", "h1"), fact("s2", "h2")), "lev-1")
    assert (first.inserted, first.updated, first.duplicates) == (2, 0, 0)
    # Re-sent: s1 unchanged (duplicate), s2 with a higher amount (update), s3 new, s3 twice.
    again = load_signals(con, frame(fact("s1", "h1"), fact("s2", "h2", cents=25_000),
                                    fact("s3", "h3"), fact("s3", "h3")), "lev-2")
    assert (again.inserted, again.updated, again.duplicates) == (1, 1, 2)
    assert again.loaded == 2
    assert con.execute("SELECT count(*) FROM signals").fetchone()[0] == 3
    bedrag, versie, levering = con.execute(
        "SELECT bedrag_cent, versie, levering_id FROM signals WHERE signaal_pseudoniem='k1_s2'"
    ).fetchone()
    assert (bedrag, versie, levering) == (25_000, 2, "lev-2")
    history = con.execute(
        "SELECT oud_bedrag_cent, nieuw_bedrag_cent FROM signal_updates").fetchall()
    assert history == [(10_000, 25_000)]


def test_failed_load_leaves_nothing_behind(con):
    load_signals(con, frame(fact("s1", "h1")), "lev-1")
    broken = frame(fact("s2", "h2")).with_columns(pl.lit(None, dtype=pl.String).alias("wijkteam"))
    with pytest.raises(Exception, match="NOT NULL"):
        load_signals(con, broken, "lev-2")
    assert con.execute("SELECT count(*) FROM signals").fetchone()[0] == 1


def test_points_model_per_rule(con, municipality):
    rules = municipality.scoring
    load_signals(con, frame(
        # h1: rent + energy + water at one address: three types, meervoudig.
        fact("a", "h1", "Huur", 62_000), fact("b", "h1", "Energie", 27_500),
        fact("c", "h1", "Water", 11_000),
        # h2: one small health-insurance signal below the minimum amount: not listed.
        fact("d", "h2", "Zorg", 5_000),
        # h3: a crisis (eviction announced) with a small amount: listed, ranked first.
        fact("e", "h3", "Huur", 3_000, crisis=True),
        # h4: an unconfigured partner type gets the 'other' points and bill.
        fact("f", "h4", "DUO", 40_000, team="wt-oost"),
        # Before the period: not counted, but makes h1 'opeenvolgend'.
        fact("g", "h1", "Zorg", 90_000, day=dt.date(2026, 9, 30)),
    ), "lev-1")
    totals = score_period(con, municipality, Period(2026, 10), "run-1")
    assert {k: totals[k] for k in ("huishoudens", "op_lijst", "wachtlijst", "crisis",
                                   "onder_drempel", "signalen")} == {
        "huishoudens": 4, "op_lijst": 3, "wachtlijst": 0, "crisis": 1, "onder_drempel": 1,
        "signalen": 6}

    rows = {r["huishouden_pseudoniem"]: r
            for r in ranked_list(con, "run-1", "wt-centrum").to_dicts()}
    assert list(rows) == ["k1_h3", "k1_h1"]  # crisis first; h2 is below the minimum
    h1 = rows["k1_h1"]
    assert [(p["partner_type"], p["punten"]) for p in h1["punten_partnertype"]] == [
        ("Huur", 30), ("Energie", 20), ("Water", 20)]
    # Amount in monthly bills, in thousandths: 620/650 + 275/180 + 110/25 = 0.953 + 1.527 + 4.4.
    assert h1["maandbedragen_mille"] == 953 + 1527 + 4400
    assert h1["punten_bedrag"] == 6880 * rules.points_per_bill_month // 1000 == 27
    # Arrears since 26-08-2026 (45 days before the signal): two full months by 31-10-2026.
    assert h1["maanden_achterstand"] == 2 and h1["punten_duur"] == 4
    assert h1["punten_meervoudig"] == 2 * rules.multiple_points  # two types beyond the first
    assert h1["vorig_signaal"] == dt.date(2026, 9, 30)
    assert h1["punten_opeenvolgend"] == rules.consecutive_points
    assert h1["score"] == 30 + 20 + 20 + 27 + 4 + 40 + 15
    assert h1["rang"] == 2 and h1["partnertypes"] == ["Energie", "Huur", "Water"]
    h3 = rows["k1_h3"]
    assert h3["rang"] == 1 and h3["punten_crisis"] == rules.crisis_points
    assert h3["score"] == rules.crisis_points + 30 + 0 + 4
    other = ranked_list(con, "run-1", "wt-oost").to_dicts()
    assert other[0]["punten_partnertype"] == [{"partner_type": "DUO",
                                              "punten": rules.other_partner_type_points}]
    assert other[0]["punten_bedrag"] == 16  # EUR 400 / other bill EUR 100 = 4 bills x 4
    status = dict(con.execute("SELECT huishouden_pseudoniem, status FROM household_scores "
                              "WHERE run_id = 'run-1'").fetchall())
    assert status["k1_h2"] == "onder_drempel"


def test_rerun_replaces_scores_and_ties_break_without_the_pseudonym_order(con, municipality):
    # Equal scores; hb's arrears are older, so hb goes first although 'ha' sorts first.
    load_signals(con, frame(
        {**fact("a", "hb", "Zorg", 20_000), "ontstaansdatum": dt.date(2026, 8, 20)},
        {**fact("b", "ha", "Zorg", 20_000), "ontstaansdatum": dt.date(2026, 8, 25)},
    ), "l")
    score_period(con, municipality, Period(2026, 10), "run-1")
    score_period(con, municipality, Period(2026, 10), "run-1")
    assert con.execute("SELECT count(*) FROM household_scores").fetchone()[0] == 2
    ranked = ranked_list(con, "run-1", "wt-centrum")
    assert ranked["score"].n_unique() == 1
    assert ranked["huishouden_pseudoniem"].to_list() == ["k1_hb", "k1_ha"]


def test_changing_a_weight_changes_the_list_and_the_version(con, municipality):
    load_signals(con, frame(fact("a", "h1", "Zorg", 30_000), fact("b", "h2", "Water", 10_000)), "l")
    score_period(con, municipality, Period(2026, 10), "base")
    # Water 20 + 16 amount points (EUR 100 = 4 water bills) + 4 duration = 40 beats
    # Zorg 10 + 8 (EUR 300 = 2 bills of EUR 150) + 4 = 22 ...
    assert ranked_list(con, "base", "wt-centrum")["huishouden_pseudoniem"].to_list() == [
        "k1_h2", "k1_h1"]
    # ... until Zorg weighs 40 in configuration: 52 > 40, with no code change.
    heavier = municipality.model_copy(update={"scoring": municipality.scoring.model_copy(
        update={"partner_type_points": {**municipality.scoring.partner_type_points, "Zorg": 40}})})
    score_period(con, heavier, Period(2026, 10), "heavier")
    assert ranked_list(con, "heavier", "wt-centrum")["huishouden_pseudoniem"].to_list() == [
        "k1_h1", "k1_h2"]
    assert rules_version(heavier) != rules_version(municipality)


def test_period_parsing_and_last_complete_month():
    assert str(Period.parse("2026-03")) == "2026-03"
    # A configured longer period is named by its last month and starts months earlier.
    quarter = Period.parse("2026-03", months=3)
    assert (quarter.start, quarter.end, str(quarter)) == (
        dt.date(2026, 1, 1), dt.date(2026, 4, 1), "2026-03")
    assert quarter.label == "2026-01 t/m 2026-03"
    assert Period.parse("2026-02", months=3).start == dt.date(2025, 12, 1)
    assert Period(2026, 10).months_before(6) == dt.date(2026, 4, 1)
    assert Period(2026, 2).end == dt.date(2026, 3, 1)
    assert Period(2026, 12).end == dt.date(2027, 1, 1)
    assert Period.last_complete("Europe/Amsterdam", dt.date(2026, 1, 15)) == Period(2025, 12)
    for bad in ("2026-13", "26-01", "2026/01", ""):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_warehouse_opens_read_only_while_empty(tmp_path):
    path = tmp_path / "new.duckdb"
    with warehouse.connect(path) as con:
        assert con.execute("SELECT count(*) FROM signals").fetchone()[0] == 0
        with pytest.raises(Exception, match="read-only"):
            con.execute("DELETE FROM signals")
