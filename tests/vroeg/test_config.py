"""Municipality and partner configuration: the shipped sample, and clear errors for bad files."""

from __future__ import annotations

import shutil

import pytest

from vroeg.config import ConfigError, Partner, load_municipality, load_partner
from vroeg.settings import SHIPPED_CONFIG, Home, default_gemeente


def test_shipped_sample_municipality(tmp_path):
    m = load_municipality(Home(tmp_path), "0080")
    assert m.code == "0080" and len(m.wijkteams) == 9
    assert set(m.partners) == {"zorg-noord", "water-noord", "energie-fryslan", "wonen-fryslan"}
    assert {p.format for p in m.partners.values()} == {"csv", "xlsx"}
    assert m.pc4_to_team[8911] == "wt-centrum" and m.pc4_to_team[9001] == "wt-dorpen"
    assert all(not p.unmapped_required() for p in m.partners.values())


def _copy_config(tmp_path) -> Home:
    home = Home(tmp_path)
    shutil.copytree(SHIPPED_CONFIG / "0080", tmp_path / "config" / "0080")
    return home


def test_home_configuration_replaces_the_shipped_one(tmp_path):
    home = _copy_config(tmp_path)
    path = tmp_path / "config" / "0080" / "gemeente.yaml"
    path.write_text(path.read_text().replace("minimum_amount: 75", "minimum_amount: 120"))
    assert load_municipality(home, "0080").scoring.minimum_amount == 120
    assert default_gemeente(home) == "0080"


@pytest.mark.parametrize(("change", "message"), [
    ("partner_type: Energie", "DDAS EnumSignaalpartner"),
    ("kleur: blauw", "kleur"),
    ("id: iets-anders", "must match the file name"),
    ("columns: {achternaam: {column: Klantnaam, pattern: '[a-z]+'}}", "one group"),
    ("columns: {achternaam: {column: A, value: B}}", "exactly one of"),
    ("columns: {achternam: Naam}", "unknown standard fields"),
])
def test_bad_partner_files_are_reported_with_file_and_field(tmp_path, change, message):
    home = _copy_config(tmp_path)
    path = tmp_path / "config" / "0080" / "partners" / "energie-fryslan.yaml"
    key = change.split(":")[0]
    lines = [line for line in path.read_text().splitlines() if not line.startswith(key + ":")]
    if key == "partner_type":
        change = "partner_type: Gas"
    if key == "columns":
        lines = [line for line in lines if not line.startswith("  ") or "csv" in line]
        lines = lines[: lines.index("columns:")] if "columns:" in lines else lines
    path.write_text("\n".join(lines + [change]) + "\n")
    with pytest.raises(ConfigError, match=message) as info:
        load_municipality(home, "0080")
    assert "energie-fryslan.yaml" in str(info.value)


def test_overlapping_wijkteams_are_refused(tmp_path):
    home = _copy_config(tmp_path)
    path = tmp_path / "config" / "0080" / "gemeente.yaml"
    path.write_text(path.read_text().replace('postcodes: ["8912-8913"]',
                                             'postcodes: ["8911-8913"]'))
    with pytest.raises(ConfigError, match="8911 is in both"):
        load_municipality(home, "0080")


def test_unknown_municipality_lists_the_known_ones(tmp_path):
    with pytest.raises(ConfigError, match="Bekende gemeenten: 0080"):
        load_municipality(Home(tmp_path), "0363")


def test_unmapped_required_fields_are_named(tmp_path):
    partner = Partner(id="x", name="X", partner_type="Water",
                      columns={"signaal_id": "Nr", "achternaam": "Naam"})
    missing = partner.unmapped_required()
    assert "postcode" in missing and "bedrag" in missing
    assert "partner_type" not in missing  # filled from the configuration
    path = tmp_path / "x.yaml"
    path.write_text("id: x\nname: X\npartner_type: Water\n")
    assert load_partner(path).columns == "standard"


def test_partner_type_rules_have_one_home_read_by_validation_and_scoring(tmp_path):
    from quality.suite import build_partner_type_suite
    from scoring.rules import type_rules

    home = _copy_config(tmp_path)
    path = tmp_path / "config" / "0080" / "gemeente.yaml"
    path.write_text(path.read_text().replace("Zorg: {min_days: 30, max_days: 100}",
                                             "Zorg: {min_days: 30, max_days: 150}"))
    m = load_municipality(home, "0080")
    zorg = m.partner_type_rules("Zorg")
    assert (zorg.min_days, zorg.max_days) == (30, 150)
    suite = build_partner_type_suite(m, "Zorg", zorg)
    assert {e.kwargs["max_value"] for e in suite.expectations if e.reason == "TERMIJN_TE_LANG"} \
        == {150}
    [row] = type_rules(m).filter(partner_type="Zorg").to_dicts()
    assert (row["min_dagen"], row["max_dagen"]) == (30, 150)
    # A type left out keeps the convenant's default; `{}` removes the rules of a type.
    path.write_text(path.read_text().replace("  Huur: {min_days: 30}\n", "")
                    .replace("DUO: {min_amount: 270}", "DUO: {}"))
    m = load_municipality(home, "0080")
    assert m.partner_type_rules("Huur").min_days == 30 and m.partner_type_rules("DUO") is None
    assert "DUO" not in m.effective_partner_types()


@pytest.mark.parametrize(("old", "named"), [
    ("validation:\n  partner_types:\n    Zorg: {min_days: 30, max_days: 100}\n",
     "validation.partner_types"),
    ("scoring:\n  signal_rules:\n    DUO: {minimum_amount: 270}\n", "scoring.signal_rules"),
    ("scoring:\n  default_signal_rule: {}\n", "scoring.default_signal_rule"),
])
def test_the_old_partner_type_keys_are_refused_with_what_to_move_where(tmp_path, old, named):
    home = _copy_config(tmp_path)
    path = tmp_path / "config" / "0080" / "gemeente.yaml"
    section = old.split(":")[0] + ":\n"
    text = path.read_text()
    path.write_text(text.replace(section, old, 1))
    with pytest.raises(ConfigError) as info:
        load_municipality(home, "0080")
    message = str(info.value)
    assert "gemeente.yaml" in message and named in message
    assert "`partner_types`" in message and "one home" in message  # Dutch, then English
    assert "min_amount" in message


def test_old_sections_that_disagree_are_named(tmp_path):
    home = _copy_config(tmp_path)
    path = tmp_path / "config" / "0080" / "gemeente.yaml"
    text = path.read_text().replace("validation:\n", "validation:\n  partner_types:\n"
                                    "    Zorg: {min_days: 30, max_days: 100}\n", 1)
    # The old scoring section listed every type it used; it let Zorg signals count to 150 days.
    path.write_text(text.replace("scoring:\n", "scoring:\n  signal_rules:\n"
                                 "    Huur: {min_days: 30}\n    Energie: {min_days: 30}\n"
                                 "    Water: {min_days: 30}\n"
                                 "    Zorg: {min_days: 30, max_days: 150}\n"
                                 "    CAK Zorgverzekeringen: {min_days: 183}\n"
                                 "    DUO: {minimum_amount: 270}\n", 1))
    with pytest.raises(ConfigError, match="voor Zorg verschillen") as info:
        load_municipality(home, "0080")
    assert "differ for Zorg:" in str(info.value)
