"""Loading pseudonymised facts into DuckDB, and the points model in sql/model, on hand-built data."""

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
        "crisis": crisis, "wijkteam": team, "leeftijdsgroep": None,
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
    history = con.execute("SELECT oud_bedrag_cent, nieuw_bedrag_cent FROM signal_updates").fetchall()
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
        # h4: an unconfigured partner type gets the 'other' points.
        fact("f", "h4", "DUO", 40_000, team="wt-oost"),
        # Outside the period: ignored.
        fact("g", "h1", "Zorg", 90_000, day=dt.date(2026, 9, 30)),
    ), "lev-1")
    totals = score_period(con, municipality, Period(2026, 10), "run-1")
    assert totals == {"huishoudens": 4, "op_lijst": 3, "crisis": 1, "signalen": 6}

    rows = {r["huishouden_pseudoniem"]: r for r in ranked_list(con, "run-1", "wt-centrum").to_dicts()}
    assert list(rows) == ["k1_h3", "k1_h1"]  # crisis first; h2 is below the minimum
    h1 = rows["k1_h1"]
    assert [(p["partner_type"], p["punten"]) for p in h1["punten_partnertype"]] == [
        ("Huur", 30), ("Energie", 20), ("Water", 20)]
    assert h1["punten_bedrag"] == min(100_500 // 5_000, rules.amount_points_max)  # €1005 -> 20
    assert h1["punten_meervoudig"] == rules.multiple_points and h1["punten_crisis"] == 0
    assert h1["score"] == 30 + 20 + 20 + 20 + 20
    assert h1["rang"] == 2 and h1["partnertypes"] == ["Energie", "Huur", "Water"]
    h3 = rows["k1_h3"]
    assert h3["rang"] == 1 and h3["punten_crisis"] == rules.crisis_points
    assert h3["score"] == 30 + 0 + 0 + rules.crisis_points
    other = ranked_list(con, "run-1", "wt-oost").to_dicts()
    assert other[0]["punten_partnertype"] == [{"partner_type": "DUO",
                                              "punten": rules.other_partner_type_points}]


def test_rerun_replaces_scores_and_ties_break_deterministically(con, municipality):
    load_signals(con, frame(fact("a", "hb", "Zorg", 20_000), fact("b", "ha", "Zorg", 20_000)), "l")
    score_period(con, municipality, Period(2026, 10), "run-1")
    score_period(con, municipality, Period(2026, 10), "run-1")
    assert con.execute("SELECT count(*) FROM household_scores").fetchone()[0] == 2
    ranked = ranked_list(con, "run-1", "wt-centrum")["huishouden_pseudoniem"].to_list()
    assert ranked == ["k1_ha", "k1_hb"]


def test_changing_a_weight_changes_the_list_and_the_version(con, municipality):
    load_signals(con, frame(fact("a", "h1", "Zorg", 30_000), fact("b", "h2", "Water", 10_000)), "l")
    score_period(con, municipality, Period(2026, 10), "base")
    # Water 20 + 2 amount points (€100) = 22 beats Zorg 10 + 6 amount points (€300) = 16 ...
    assert ranked_list(con, "base", "wt-centrum")["huishouden_pseudoniem"].to_list() == [
        "k1_h2", "k1_h1"]
    # ... until Zorg weighs 40 in configuration: 46 > 22, with no code change.
    heavier = municipality.model_copy(update={"scoring": municipality.scoring.model_copy(
        update={"partner_type_points": {**municipality.scoring.partner_type_points, "Zorg": 40}})})
    score_period(con, heavier, Period(2026, 10), "heavier")
    assert ranked_list(con, "heavier", "wt-centrum")["huishouden_pseudoniem"].to_list() == [
        "k1_h1", "k1_h2"]
    assert rules_version(heavier) != rules_version(municipality)


def test_period_parsing_and_last_complete_month():
    assert str(Period.parse("2026-03")) == "2026-03"
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
