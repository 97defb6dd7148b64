"""Each matching and listing rule on hand-built pseudonymised facts, in the real DuckDB SQL.

The golden set (test_golden.py) runs the whole pipeline; these tests pin one rule each, with
facts loaded straight into the warehouse, so that a rule that breaks says which one.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import polars as pl
import pytest

from scoring import warehouse
from scoring.load import load_signals
from scoring.rules import RULE_SQL
from scoring.score import Period, ranked_list, score_period
from sql import sql
from tests.scoring.test_warehouse import fact, frame
from vroeg.config import ConfigError, Scoring, load_municipality
from vroeg.config.features import AGE_GROUPS, FEATURES, STRUCTURAL_COLUMNS

OCT = Period(2026, 10)


@pytest.fixture
def con(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb", write=True) as connection:
        yield connection


def signal(sid: str, household: str, ptype: str = "Huur", cents: int = 10_000, *,
           day: dt.date = dt.date(2026, 10, 10), start: dt.date | None = None,
           crisis: bool = False, person: str | None = None, partner: str | None = None,
           team: str = "wt-centrum", age: str | None = None) -> dict:
    row = fact(sid, household, ptype, cents, crisis=crisis, day=day, team=team, partner=partner)
    row["ontstaansdatum"] = start or day - dt.timedelta(days=45)
    row["persoon_pseudoniem"] = f"k1_{person or 'p' + household}"
    row["leeftijdsgroep"] = age
    return row


def load(con, *rows: dict, delivery: str = "l") -> None:
    load_signals(con, frame(*rows), delivery)


def with_rules(municipality, **changes):
    return municipality.model_copy(update={
        "scoring": municipality.scoring.model_copy(update=changes)})


def outcome(con, run: str = "r") -> dict[str, tuple[str, int]]:
    return {h.removeprefix("k1_"): (status, score) for h, status, score in con.execute(
        "SELECT huishouden_pseudoniem, status, score FROM household_scores WHERE run_id = ?",
        [run]).fetchall()}


# =================================================================================================
# The allow-list of attributes
# =================================================================================================

BASE_FEATURES = ["partner_type", "amount", "arrears_start", "signal_date", "crisis"]


@pytest.mark.parametrize(("features", "message"), [
    ([*BASE_FEATURES, "inkomen"], "onbekend kenmerk 'inkomen'"),
    ([*BASE_FEATURES, "nationaliteit"], r"nooit toegestaan \(nationaliteit\)"),
    ([*BASE_FEATURES, "country_of_birth"], r"nooit toegestaan \(geboorteland\)"),
    ([*BASE_FEATURES, "postcode"], r"nooit toegestaan \(postcode of wijk"),
    ([*BASE_FEATURES, "achternaam"], r"nooit toegestaan \(achternaam"),
    (["partner_type", "amount", "arrears_start", "signal_date"], "nodig: crisis"),
])
def test_an_attribute_outside_the_allow_list_is_refused(features, message):
    with pytest.raises(ValueError, match=message):
        Scoring(features=features)


def test_a_rule_needs_its_attribute_on_the_allow_list():
    # Age-group points are a rule on age_group: refused until age_group is listed, on purpose.
    with pytest.raises(ValueError, match="regel 'leeftijd'.*age_group"):
        Scoring(age_group_points={"18-26": 10})
    with pytest.raises(ValueError, match="regel 'leeftijd'"):
        Scoring(age_group_minimum_amount={"18-26": 0})
    allowed = Scoring(features=[*BASE_FEATURES, "age_group"], age_group_points={"18-26": 10})
    assert allowed.rule_in_use("leeftijd")
    with pytest.raises(ValueError, match="unknown age groups"):
        Scoring(features=[*BASE_FEATURES, "age_group"], age_group_points={"jong": 10})


def test_adding_an_attribute_in_the_configuration_file_is_refused_with_file_and_reason(tmp_path):
    import shutil

    from vroeg.settings import SHIPPED_CONFIG, Home

    shutil.copytree(SHIPPED_CONFIG / "0080", tmp_path / "config" / "0080")
    path = tmp_path / "config" / "0080" / "gemeente.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("features: [partner_type, amount, arrears_start, signal_date, "
                                 "crisis]", "features: [partner_type, amount, arrears_start, "
                                 "signal_date, crisis, nationality]"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"gemeente\.yaml: scoring.*nationality.*nooit"):
        load_municipality(Home(tmp_path), "0080")


def _signals_columns() -> list[str]:
    return re.findall(r"^\s+(\w+)\s+[A-Z]", sql("schema/01_signals"), flags=re.MULTILINE)


def test_the_scoring_sql_reads_no_column_outside_the_registry():
    """A new warehouse column used in the rules SQL without registering it fails here."""
    columns = _signals_columns()
    assert "leeftijdsgroep" in columns and "bedrag_cent" in columns and len(columns) >= 15
    allowed = {f.column for f in FEATURES.values()} | set(STRUCTURAL_COLUMNS)
    for name in (*RULE_SQL, "model/whatif_changes", "model/run_totals", "model/team_totals"):
        text = re.sub(r"--[^\n]*", "", sql(name))  # comments may mention anything
        used = {c for c in columns if re.search(rf"\b{c}\b", text)}
        assert used <= allowed, (name, used - allowed)


def test_age_groups_match_what_the_pseudonymiser_writes():
    from privacy.pseudonymise import _age_group

    births = [dt.date(2015, 1, 1), dt.date(2002, 1, 1), dt.date(1990, 1, 1), dt.date(1970, 1, 1),
              dt.date(1950, 1, 1)]
    frame_ = pl.DataFrame({"b": births, "on": [dt.date(2026, 10, 1)] * 5})
    groups = frame_.select(_age_group(pl.col("b"), pl.col("on")).alias("g"))["g"].to_list()
    assert tuple(groups) == AGE_GROUPS


# =================================================================================================
# Windows, minimums, repeats
# =================================================================================================


def test_windows_per_partner_type_and_crisis_always_counts(con, municipality):
    load(con,
         # Zorg counts 30-100 days after the arrears began: 120 days is outside.
         signal("z", "h1", "Zorg", 20_000, start=dt.date(2026, 10, 10) - dt.timedelta(days=120)),
         # Energie from 30 days: 10 days is too early ...
         signal("e", "h2", "Energie", 20_000, start=dt.date(2026, 10, 1)),
         # ... unless disconnection is announced (a crisis counts outside the window).
         signal("c", "h3", "Energie", 20_000, start=dt.date(2026, 10, 1), crisis=True),
         # CAK takes over after six months: 100 days is too early.
         signal("k", "h4", "CAK Zorgverzekeringen", 50_000),
         # DUO counts from EUR 270 per signal.
         signal("d", "h5", "DUO", 20_000),
         signal("d2", "h6", "DUO", 30_000))
    score_period(con, municipality, OCT, "r")
    result = outcome(con)
    assert result["h1"][0] == "buiten_termijn"
    assert result["h2"][0] == "buiten_termijn"
    assert result["h3"][0] == "bezoeklijst"
    assert result["h4"][0] == "buiten_termijn"
    assert result["h5"][0] == "onder_drempel"
    assert result["h6"][0] == "bezoeklijst"
    # The windows are configuration: Zorg up to 150 days lists h1.
    wider = municipality.model_copy(update={"partner_types": {
        **municipality.partner_types,
        "Zorg": municipality.partner_types["Zorg"].model_copy(update={"max_days": 150})}})
    score_period(con, wider, OCT, "r2")
    assert outcome(con, "r2")["h1"][0] == "bezoeklijst"


def test_same_arrears_twice_in_the_period_counts_once(con, municipality):
    start = dt.date(2026, 8, 1)
    load(con, signal("a", "h1", "Huur", 60_000, day=dt.date(2026, 10, 3), start=start),
         signal("b", "h1", "Huur", 65_000, day=dt.date(2026, 10, 20), start=start))
    score_period(con, municipality, OCT, "r")
    row = con.execute("SELECT signalen, signalen_vervangen, totaal_bedrag_cent "
                      "FROM household_scores").fetchone()
    # The newest signal of the same arrears stands for it; EUR 650, not 1250.
    assert row == (1, 1, 65_000)


def test_repeats_are_suppressed_unless_the_amount_rose_or_it_became_a_crisis(con, municipality):
    start = dt.date(2026, 7, 1)
    september = dt.date(2026, 9, 10)
    load(con,
         signal("a1", "h1", "Energie", 30_000, day=september, start=start),
         signal("b1", "h2", "Energie", 30_000, day=september, start=start),
         signal("c1", "h3", "Energie", 30_000, day=september, start=start),
         # h4's resident moved: the same arrears follow the person to a new address.
         signal("d1", "h4-old", "Energie", 30_000, day=september, start=start, person="pd"),
         # h5: another start of arrears is new arrears, not a repeat.
         signal("e1", "h5", "Energie", 30_000, day=september, start=start))
    load(con,
         signal("a2", "h1", "Energie", 30_000, start=start),                 # same amount
         signal("b2", "h2", "Energie", 29_000, start=start),                 # lower
         signal("c2", "h3", "Energie", 30_000, start=start, crisis=True),    # now a crisis
         signal("d2", "h4", "Energie", 30_000, start=start, person="pd"),    # moved
         signal("e2", "h5", "Energie", 30_000, start=dt.date(2026, 8, 20)),  # new arrears
         delivery="l2")
    score_period(con, municipality, OCT, "r")
    result = outcome(con)
    assert result["h1"][0] == result["h2"][0] == result["h4"][0] == "herhaling"
    assert result["h3"][0] == "bezoeklijst" and result["h5"][0] == "bezoeklijst"
    # Another partner with the same start date is other arrears.
    load(con, signal("a3", "h1", "Energie", 30_000, start=start, partner="ander"), delivery="l3")
    score_period(con, municipality, OCT, "r2")
    assert outcome(con, "r2")["h1"][0] == "bezoeklijst"


def test_a_resent_signal_id_is_the_same_arrears(con, municipality):
    """The same signaal_id re-sent in October: a lower amount is suppressed, a higher one counts."""
    september = dt.date(2026, 9, 10)
    load(con, signal("s1", "h1", "Water", 10_000, day=september),
         signal("s2", "h2", "Water", 10_000, day=september))
    # Re-sent (same signal pseudonym) with a new date: an update, recorded with its old date.
    load(con, signal("s1", "h1", "Water", 8_000, start=september - dt.timedelta(days=45)),
         signal("s2", "h2", "Water", 12_000, start=september - dt.timedelta(days=45)),
         delivery="l2")
    assert con.execute("SELECT count(*) FROM signal_updates WHERE oud_signaaldatum = ?",
                       [september]).fetchone()[0] == 2
    score_period(con, municipality, OCT, "r")
    result = outcome(con)
    assert result["h1"][0] == "herhaling"
    assert result["h2"][0] == "bezoeklijst"
    assert con.execute("SELECT bedrag_gestegen FROM household_scores WHERE "
                       "huishouden_pseudoniem = 'k1_h2'").fetchone()[0] is True


# =================================================================================================
# Period, opeenvolgend, capacity, age
# =================================================================================================


def test_matching_period_and_consecutive_months_are_configuration(con, municipality):
    load(con,
         signal("a", "h1", "Huur", 60_000, day=dt.date(2026, 8, 20)),
         signal("b", "h1", "Energie", 30_000),
         # h2's earlier signal is seven months before October: not within six.
         signal("c", "h2", "Huur", 60_000, day=dt.date(2026, 3, 2)),
         signal("d", "h2", "Huur", 70_000))
    score_period(con, municipality, OCT, "month")
    month = {h: r for h, r in con.execute(
        "SELECT huishouden_pseudoniem, {'n': signalen, 'types': partnertypes, "
        "'vorig': vorig_signaal} FROM household_scores WHERE run_id = 'month'").fetchall()}
    assert month["k1_h1"]["n"] == 1 and month["k1_h1"]["vorig"] == dt.date(2026, 8, 20)
    assert month["k1_h2"]["vorig"] is None
    quarter = municipality.model_copy(update={"matching": municipality.matching.model_copy(
        update={"period_months": 3, "consecutive_months": 8})})
    score_period(con, quarter, Period.of(quarter, "2026-10"), "quarter")
    rows = {h: r for h, r in con.execute(
        "SELECT huishouden_pseudoniem, {'types': partnertypes, 'meervoudig': punten_meervoudig,"
        " 'opeenvolgend': punten_opeenvolgend} FROM household_scores "
        "WHERE run_id = 'quarter'").fetchall()}
    # August and October in one quarter: meervoudig; March within eight months: opeenvolgend.
    assert rows["k1_h1"]["types"] == ["Energie", "Huur"] and rows["k1_h1"]["meervoudig"] == 20
    assert rows["k1_h2"]["opeenvolgend"] == municipality.scoring.consecutive_points


def _teams(municipality, capacity: int | None, *, by_period: dict | None = None,
           crisis_counts: bool = False):
    teams = [t.model_copy(update={"capacity": capacity, "capacity_by_period": by_period or {}})
             if t.code == "wt-centrum" else t for t in municipality.wijkteams]
    return municipality.model_copy(update={
        "wijkteams": teams,
        "capacity": municipality.capacity.model_copy(
            update={"crisis_counts_toward_capacity": crisis_counts})})


def test_capacity_splits_the_list_into_bezoeklijst_and_wachtlijst(con, municipality):
    load(con, *(signal(f"s{i}", f"h{i}", "Huur", 10_000 * (i + 1)) for i in range(5)),
         signal("c", "hc", "Huur", 5_000, crisis=True))
    sections = "SELECT sectie, count(*) FROM household_scores WHERE run_id = ? GROUP BY 1"
    score_period(con, _teams(municipality, 2), OCT, "a")
    # Two households plus the crisis household, which comes on top of the capacity.
    assert dict(con.execute(sections, ["a"]).fetchall()) == {"bezoeklijst": 3, "wachtlijst": 3}
    ranked = ranked_list(con, "a", "wt-centrum")
    assert ranked["rang"].to_list() == [1, 2, 3, 4, 5, 6]
    assert ranked["sectie"].to_list() == ["bezoeklijst"] * 3 + ["wachtlijst"] * 3
    assert ranked["huishouden_pseudoniem"].to_list()[:3] == ["k1_hc", "k1_h4", "k1_h3"]
    score_period(con, _teams(municipality, 2, crisis_counts=True), OCT, "b")
    assert dict(con.execute(sections, ["b"]).fetchall()) == {"bezoeklijst": 2, "wachtlijst": 4}
    score_period(con, _teams(municipality, 2, by_period={"2026-10": 4}), OCT, "c")
    assert dict(con.execute(sections, ["c"]).fetchall()) == {"bezoeklijst": 5, "wachtlijst": 1}
    score_period(con, _teams(municipality, None), OCT, "d")
    assert dict(con.execute(sections, ["d"]).fetchall()) == {"bezoeklijst": 6}
    # A capacity of 0 still lists every crisis household.
    score_period(con, _teams(municipality, 0, crisis_counts=True), OCT, "e")
    assert dict(con.execute(sections, ["e"]).fetchall()) == {"bezoeklijst": 1, "wachtlijst": 5}


def test_age_group_rules_are_off_by_default_and_work_when_allowed(con, municipality):
    load(con, signal("a", "h1", "Zorg", 6_000, age="18-26"),
         signal("b", "h2", "Zorg", 6_000, age="45-64"))
    score_period(con, municipality, OCT, "off")
    assert {h: s for h, (s, _) in outcome(con, "off").items()} == {
        "h1": "onder_drempel", "h2": "onder_drempel"}
    young = with_rules(municipality, features=[*BASE_FEATURES, "age_group"],
                       age_group_points={"18-26": 10}, age_group_minimum_amount={"18-26": 50})
    score_period(con, young, OCT, "on")
    result = outcome(con, "on")
    assert result["h1"][0] == "bezoeklijst" and result["h2"][0] == "onder_drempel"
    assert result["h1"][1] == result["h2"][1] + 10


def test_a_rule_at_zero_gives_no_points(con, municipality):
    load(con, signal("a", "h1", "Huur", 60_000, day=dt.date(2026, 9, 1)),
         signal("b", "h1", "Energie", 30_000))
    plain = with_rules(municipality, points_per_month_in_arrears=0, consecutive_points=0,
                       multiple_points=0, points_per_bill_month=0)
    score_period(con, plain, OCT, "r")
    row = ranked_list(con, "r", "wt-centrum").to_dicts()[0]
    assert (row["punten_duur"], row["punten_opeenvolgend"], row["punten_meervoudig"],
            row["punten_bedrag"]) == (0, 0, 0, 0)
    assert row["score"] == 20


# =================================================================================================
# Exclusions in the SQL
# =================================================================================================


def _exclude(con, *entries: tuple) -> None:
    rows = [{"lijst": lijst, "sleutelsoort": kind, "pseudoniem": f"k1_{key}", "sleutelversie": 1,
             "datum": datum, "geldig_tot": until} for lijst, kind, key, datum, until in entries]
    con.register("e", pl.DataFrame(rows, schema={
        "lijst": pl.String, "sleutelsoort": pl.String, "pseudoniem": pl.String,
        "sleutelversie": pl.Int32, "datum": pl.Date, "geldig_tot": pl.Date}).to_arrow())
    con.execute("INSERT INTO exclusion_entries BY NAME SELECT * FROM e")
    con.unregister("e")


def test_exclusions_by_person_household_validity_and_term(con, municipality):
    from vroeg.config import ExclusionList

    lists = [
        ExclusionList(code="overleden", name="o", kind="overleden", scope="persoon"),
        ExclusionList(code="schuldhulp", name="s", kind="schuldhulp", scope="huishouden"),
        ExclusionList(code="hgh", name="h", kind="hoeft-geen-hulp", scope="huishouden",
                      valid_months=6),
    ]
    configured = municipality.model_copy(update={"exclusions": lists})
    load(con,
         # h1: a deceased person and a housemate: only the deceased's signal drops out.
         signal("a", "h1", "Zorg", 30_000, person="dead"), signal("b", "h1", "Huur", 60_000),
         # h2: a person in debt help: the whole household (scope huishouden).
         signal("c", "h2", "Huur", 60_000, person="helped"),
         signal("d", "h2", "Water", 10_000),
         # h3: an address on the debt-help list whose entry expired before October.
         signal("e", "h3", "Huur", 60_000),
         # h4: death recorded after the period: not yet.
         signal("f", "h4", "Huur", 60_000, person="later"),
         # h5 / h6: "hoeft geen hulp" closed 2026-06-01 (within 6 months) / 2026-03-15 (not).
         signal("g", "h5", "Huur", 60_000), signal("h", "h6", "Huur", 60_000),
         # h7: on a list that is not configured: ignored.
         signal("i", "h7", "Huur", 60_000))
    _exclude(con,
             ("overleden", "persoon", "dead", dt.date(2026, 9, 20), None),
             ("schuldhulp", "persoon", "helped", None, None),
             ("schuldhulp", "huishouden", "h3", dt.date(2025, 1, 1), dt.date(2026, 9, 30)),
             ("overleden", "persoon", "later", dt.date(2026, 11, 5), None),
             ("hgh", "huishouden", "h5", dt.date(2026, 6, 1), None),
             ("hgh", "huishouden", "h6", dt.date(2026, 3, 15), None),
             ("weg", "huishouden", "h7", None, None))
    score_period(con, configured, OCT, "r")
    result = outcome(con)
    assert result["h1"][0] == "bezoeklijst"
    assert con.execute("SELECT partnertypes, signalen_uitgesloten, uitsluiting FROM "
                       "household_scores WHERE huishouden_pseudoniem = 'k1_h1'").fetchone() == (
        ["Huur"], 1, "overleden")
    assert result["h2"][0] == "uitgesloten"
    assert result["h3"][0] == "bezoeklijst"
    assert result["h4"][0] == "bezoeklijst"
    assert result["h5"][0] == "uitgesloten" and result["h6"][0] == "bezoeklijst"
    assert result["h7"][0] == "bezoeklijst"
    # Without the configuration the same entries exclude nobody.
    score_period(con, municipality.model_copy(update={"exclusions": []}), OCT, "none")
    assert {s for s, _ in outcome(con, "none").values()} == {"bezoeklijst"}


# =================================================================================================
# Warehouse mechanics
# =================================================================================================


def test_scratch_leaves_nothing_behind(con, municipality):
    from scoring.score import score_rules

    load(con, signal("a", "h1"))
    with warehouse.scratch(con):
        score_rules(con, municipality, OCT, "tijdelijk")
        assert con.execute("SELECT count(*) FROM household_scores").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM household_scores").fetchone()[0] == 0


def test_a_warehouse_with_the_first_models_scores_is_upgraded(tmp_path, municipality):
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE TABLE household_scores (run_id VARCHAR, periode VARCHAR, score INTEGER, "
                "op_lijst BOOLEAN)")
    old.execute("INSERT INTO household_scores VALUES ('oud', '2026-09', 10, true)")
    old.close()
    with warehouse.connect(path, write=True) as con:
        load(con, signal("a", "h1"))
        score_period(con, municipality, OCT, "nieuw")
        assert con.execute("SELECT run_id FROM household_scores_v1").fetchall() == [("oud",)]
        assert con.execute("SELECT run_id, sectie FROM household_scores").fetchall() == [
            ("nieuw", "bezoeklijst")]


def test_compact_keeps_live_data_and_drops_deleted_rows_from_the_file(tmp_path, municipality):
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path, write=True) as con:
        load(con, *(signal(f"s{i}", f"h{i}") for i in range(2000)))
        score_period(con, municipality, OCT, "r")
        con.execute("DELETE FROM household_scores")
        con.execute("DELETE FROM signals WHERE signaal_pseudoniem <> 'k1_s7'")
        con.execute("CHECKPOINT")
    warehouse.compact(path)
    assert not list(tmp_path.glob(".*compact*"))
    data = path.read_bytes()
    assert b"k1_s1999" not in data and b"k1_h1999" not in data
    with warehouse.connect(path, write=True) as con:
        assert con.execute("SELECT signaal_pseudoniem FROM signals").fetchall() == [("k1_s7",)]
        # The table's definition came along: a signal still needs its pseudonym, and a new
        # row still starts at version 1.
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO signals (signaal_pseudoniem) VALUES (NULL)")
        assert con.execute(
            "SELECT column_default FROM duckdb_columns() WHERE table_name = 'signals' "
            "AND column_name = 'versie'").fetchone() == ("1",)


def test_key_rotation_and_erasure_keep_the_counted_signals_of_scores_in_step(con, municipality):
    """privacy/rekey_score_signals.sql and erasure_scrub_score_signals.sql (issue 5's steps)."""
    load(con, signal("a", "h1"), signal("b", "h1", "Energie"), signal("c", "h2"))
    score_period(con, municipality, OCT, "r")
    counted = "SELECT huishouden_pseudoniem, signaal_pseudoniemen FROM household_scores " \
              "ORDER BY 1"
    assert con.execute(counted).fetchall() == [("k1_h1", ["k1_a", "k1_b"]), ("k1_h2", ["k1_c"])]
    rekey = pl.DataFrame({"oud_signaal": ["k1_a", "k1_c"], "nieuw_signaal": ["k2_a", "k2_c"]})
    con.register("rekey", rekey.to_arrow())
    con.execute(sql("privacy/rekey_score_signals"))
    con.unregister("rekey")
    # k1_b has no new pseudonym (destroyed before the rotation): it drops out.
    assert con.execute(counted).fetchall() == [("k1_h1", ["k2_a"]), ("k1_h2", ["k2_c"])]
    con.register("doomed", pl.DataFrame({"signaal_pseudoniem": ["k2_c"]}).to_arrow())
    con.execute(sql("privacy/erasure_scrub_score_signals"))
    con.unregister("doomed")
    assert con.execute(counted).fetchall() == [("k1_h1", ["k2_a"]), ("k1_h2", [])]
