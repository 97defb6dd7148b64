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
    path.write_text(path.read_text().replace('postcodes: ["8912-8913"]', 'postcodes: ["8911-8913"]'))
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
