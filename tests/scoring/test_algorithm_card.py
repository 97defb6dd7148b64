"""The algorithm card and the what-if comparison, without Prefect.

The card must show every rule and weight with its value and a version that changes with any of
them; the what-if must show per team who comes onto and goes off the list, and leave no trace
in the warehouse.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from cli import app
from scoring import warehouse
from scoring.card import card, markdown
from scoring.load import load_signals
from scoring.rules import rules_version
from scoring.score import Period
from scoring.score import rules_version as score_rules_version
from scoring.whatif import apply_overrides, compare, merge_overrides, parse_setting, read_weights
from tests.scoring.test_warehouse import fact, frame
from vroeg.config import ConfigError

runner = CliRunner()


def test_the_card_shows_every_rule_weight_and_list(municipality):
    data = card(municipality)
    text = markdown(data)
    rules = municipality.scoring
    assert data["versie"] == rules_version(municipality) == score_rules_version(municipality)
    assert data["hash"].startswith(f"sha256:{data['versie']}")
    for heading in ("## Doel", "## Wettelijke grondslag", "## Gegevens", "## Werking",
                    "## Uitsluitingen", "## Menselijke tussenkomst", "## Versie"):
        assert heading in text
    assert "Wet gemeentelijke schuldhulpverlening" in text and "Bgs" in text
    for ptype, points in rules.partner_type_points.items():
        assert any(p["punten"] == points and p["regel"] == "partnertype"
                   for p in data["werking"]["punten"]), ptype
    assert f"| crisis | crisissignaal (ontruiming of afsluiting aangekondigd, of einde " \
           f"energiecontract) | {rules.crisis_points} |" in text
    assert f"| bedrag | per maandbedrag achterstand (opgeteld over de signalen; naar beneden " \
           f"afgerond) | {rules.points_per_bill_month} | {rules.amount_points_max} |" in text
    assert "| Zorg | 30 tot en met 100 dagen |" in text
    assert "€ 75,00" in text and "Water € 25,00" in text
    for team in municipality.wijkteams:
        assert f"| {team.code} | {team.capacity} |" in text
    for exclusion in municipality.exclusions:
        assert f"| {exclusion.code} | {exclusion.name} |" in text
    for feature in rules.features:
        assert f"| {feature} |" in text
    assert "nationaliteit" in text  # named as never allowed
    assert data["regels"]["scoring"] == rules.model_dump(mode="json")


@pytest.mark.parametrize("change", [
    {"scoring": {"partner_type_points": {"Zorg": 11}}},
    {"scoring": {"minimum_amount": 80}},
    {"partner_types": {"Zorg": {"max_days": 101}}},
    {"matching": {"consecutive_months": 5}},
    {"capacity": {"crisis_counts_toward_capacity": True}},
    {"wijkteams": {"wt-centrum": {"capacity": 14}}},
])
def test_any_changed_rule_gives_a_new_version(municipality, change):
    other = apply_overrides(municipality, change)
    assert rules_version(other) != rules_version(municipality)
    assert card(other)["versie"] == rules_version(other)


def test_algorithm_card_command_writes_markdown_and_json(home, tmp_path):
    result = runner.invoke(app, ["algorithm-card", "--out", str(tmp_path / "kaart")])
    assert result.exit_code == 0, result.output
    from vroeg.config import load_municipality

    version = rules_version(load_municipality(home, "0080"))
    md = tmp_path / "kaart" / f"algoritmekaart_0080_{version}.md"
    document = json.loads(md.with_suffix(".json").read_text(encoding="utf-8"))
    assert document["versie"] == version and "gemaakt_op" in document
    assert md.read_text(encoding="utf-8").startswith("# Algoritmekaart")
    as_json = runner.invoke(app, ["algorithm-card", "--json", "--out", str(tmp_path / "k2")])
    assert json.loads(as_json.output)["versie"] == version


# =================================================================================================
# What-if
# =================================================================================================


def test_settings_and_weight_files_become_overrides(tmp_path, municipality):
    assert parse_setting("partner_type_points.Zorg=40") == {
        "scoring": {"partner_type_points": {"Zorg": 40}}}
    assert parse_setting("matching.consecutive_months=3") == {"matching": {"consecutive_months": 3}}
    assert parse_setting("wijkteams.wt-centrum.capacity=20") == {
        "wijkteams": {"wt-centrum": {"capacity": 20}}}
    weights = tmp_path / "w.yaml"
    weights.write_text("partner_type_points: {Huur: 50}\nminimum_amount: 100\n")
    merged = merge_overrides(read_weights(weights), parse_setting("partner_type_points.Zorg=5"))
    assert merged == {"scoring": {"partner_type_points": {"Huur": 50, "Zorg": 5},
                                  "minimum_amount": 100}}
    other = apply_overrides(municipality, merged)
    assert other.scoring.partner_type_points == {**municipality.scoring.partner_type_points,
                                                 "Huur": 50, "Zorg": 5}
    assert other.scoring.minimum_amount == 100


@pytest.mark.parametrize(("overrides", "message"), [
    ({"scoring": {"kleur": 1}}, "kleur"),
    ({"scoring": {"partner_type_points": {"Zorg": "veel"}}}, "partner_type_points"),
    ({"scoring": {"features": ["partner_type", "amount", "arrears_start", "signal_date",
                               "crisis", "nationaliteit"]}}, "nooit toegestaan"),
    ({"wijkteams": {"wt-nergens": {"capacity": 3}}}, "onbekend wijkteam"),
    ({"partners": {}}, "alleen scoring"),
])
def test_bad_alternatives_are_refused_like_bad_configuration(municipality, overrides, message):
    with pytest.raises(ConfigError, match=message):
        apply_overrides(municipality, overrides)
    with pytest.raises(ConfigError, match="sleutel.pad=waarde"):
        parse_setting("Zorg40")


def test_compare_shows_entered_left_and_moved_and_leaves_nothing(tmp_path, municipality):
    teams = [t.model_copy(update={"capacity": 2}) if t.code == "wt-centrum" else t
             for t in municipality.wijkteams]
    base = municipality.model_copy(update={"wijkteams": teams})
    day = dt.date(2026, 10, 10)
    with warehouse.connect(tmp_path / "w.duckdb", write=True) as con:
        load_signals(con, frame(
            fact("a", "huur", "Huur", 70_000, day=day),        # 30 + 4 + 4 = 38
            fact("b", "energie", "Energie", 40_000, day=day),  # 20 + 8 + 4 = 32
            fact("c", "zorg", "Zorg", 30_000, day=day),        # 10 + 8 + 4 = 22
        ), "l")
        # Zorg at 40 points: 52, first; huur second; energie off the bezoeklijst.
        alternative = apply_overrides(base, {"scoring": {"partner_type_points": {"Zorg": 40}}})
        result = compare(con, base, alternative, Period(2026, 10))
        assert con.execute("SELECT count(*) FROM household_scores").fetchone()[0] == 0
    centrum = next(t for t in result["teams"] if t["wijkteam"] == "wt-centrum")
    assert (centrum["bezoeklijst_nu"], centrum["wachtlijst_nu"]) == (2, 1)
    assert (centrum["erbij"], centrum["eraf"], centrum["verschoven"], centrum["gelijk"]) == (
        1, 1, 1, 0)
    changes = {c["pseudoniem"]: (c["verandering"], c["rang_nu"], c["rang_alternatief"])
               for c in centrum["wijzigingen"]}
    assert changes == {"k1_zorg": ("erbij", 3, 1), "k1_energie": ("eraf", 2, 3),
                       "k1_huur": ("verschoven", 1, 2)}
    assert result["regelversie_nu"] != result["regelversie_alternatief"]
    assert result["totaal"] == {"erbij": 1, "eraf": 1, "verschoven": 1, "gelijk": 0}
