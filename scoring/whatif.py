"""What-if: how each team's list would change under other weights, without publishing anything.

`vroeg run --dry-run --set partner_type_points.Zorg=40` (or `--weights FILE`) scores the period
twice, with the current rules and with the alternative ones, inside one warehouse transaction
that is always rolled back, and compares the two rankings per team: who would come onto the
bezoeklijst (erbij), who would go off it (eraf), who would move, who stays. Only pseudonyms and
ranks are compared: nobody is re-identified, no list is written.
"""

from __future__ import annotations

import copy
from pathlib import Path

import duckdb
import yaml
from pydantic import ValidationError

from scoring import exclusions
from scoring.rules import rules_version
from scoring.score import Period, score_rules, team_totals
from scoring.warehouse import scratch
from sql import sql
from vroeg.config import ConfigError, Municipality, describe

#: Sections of gemeente.yaml an alternative may change; a bare key is taken to be in `scoring`.
SECTIONS = ("scoring", "partner_types", "matching", "capacity", "wijkteams")
BASE_RUN, ALTERNATIVE_RUN = "wat-als-nu", "wat-als-alternatief"


def parse_setting(text: str) -> dict:
    """'partner_type_points.Zorg=40' -> {'scoring': {'partner_type_points': {'Zorg': 40}}}."""
    key, sep, raw = text.partition("=")
    path = [part for part in key.strip().split(".") if part]
    if not sep or not path:
        raise ConfigError(f"'{text}' is geen instelling in de vorm sleutel.pad=waarde "
                          "(bijvoorbeeld partner_type_points.Zorg=40).")
    if path[0] not in SECTIONS:
        path = ["scoring", *path]
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"'{text}': de waarde is geen getal, tekst of lijst.") from None
    tree: dict = {}
    node = tree
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return tree


def read_weights(path: Path) -> dict:
    """A YAML file with sections of gemeente.yaml (or bare scoring keys)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: niet te lezen als YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: verwacht een mapping met bijvoorbeeld 'scoring:'.")
    return data if set(data) <= set(SECTIONS) else {"scoring": data}


def _merge(base: dict, change: dict, where: str) -> dict:
    out = dict(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, f"{where}.{key}")
        else:
            out[key] = copy.deepcopy(value)
    return out


def merge_overrides(*changes: dict) -> dict:
    merged: dict = {}
    for change in changes:
        merged = _merge(merged, change, "")
    return merged


def apply_overrides(municipality: Municipality, overrides: dict) -> Municipality:
    """The municipality with other rules, validated like gemeente.yaml (same errors)."""
    unknown = set(overrides) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"alleen {', '.join(SECTIONS)} kunnen anders; niet {sorted(unknown)}")
    data = municipality.model_dump(mode="json", exclude={"partners"})
    teams = overrides.get("wijkteams") or {}
    if not isinstance(teams, dict):
        raise ConfigError("wijkteams: geef per teamcode de instellingen, bijvoorbeeld "
                          "wijkteams.wt-centrum.capacity=20")
    known = {t["code"]: t for t in data["wijkteams"]}
    for code, change in teams.items():
        if code not in known:
            raise ConfigError(f"onbekend wijkteam '{code}' (bekend: {', '.join(known)})")
        if not isinstance(change, dict):
            raise ConfigError(f"wijkteams.{code}: geef een instelling, bijvoorbeeld capacity")
        known[code].update(_merge(known[code], change, code))
    for section in ("scoring", "partner_types", "matching", "capacity"):
        if section in overrides:
            if not isinstance(overrides[section], dict):
                raise ConfigError(f"{section}: verwacht instellingen, geen losse waarde")
            data[section] = _merge(data[section], overrides[section], section)
    try:
        return Municipality.model_validate({**data, "partners": municipality.partners})
    except ValidationError as exc:
        raise ConfigError(f"alternatieve regels: {describe(exc)}") from None


def compare(con: duckdb.DuckDBPyConnection, base: Municipality, alternative: Municipality,
            period: Period, *, config_dir: Path | None = None, keys=None,
            database_url: str | None = None) -> dict:
    """Per team: the current and the alternative list sizes and every change (pseudonyms + ranks).

    Everything happens in a transaction that is rolled back: configured exclusion lists are
    loaded (when changed) only for the comparison, and no scores stay behind. Both sides use
    what the BRP said in the period's latest run (the BRP is not asked again).
    """
    with scratch(con):
        if config_dir is not None and keys is not None:
            exclusions.sync_configured(con, base, config_dir, keys, own_transaction=False,
                                       database_url=database_url)
        for run in (BASE_RUN, ALTERNATIVE_RUN):
            con.execute(sql("model/whatif_brp_facts"), {"doel": run, "periode": str(period)})
        score_rules(con, base, period, BASE_RUN)
        score_rules(con, alternative, period, ALTERNATIVE_RUN)
        now, then = team_totals(con, BASE_RUN), team_totals(con, ALTERNATIVE_RUN)
        columns = ("wijkteam", "pseudoniem", "rang_nu", "sectie_nu", "score_nu",
                   "rang_alternatief", "sectie_alternatief", "score_alternatief", "verandering")
        changes = [dict(zip(columns, row, strict=True)) for row in con.execute(
            sql("model/whatif_changes"), {"basis": BASE_RUN, "alternatief": ALTERNATIVE_RUN}
        ).fetchall()]
    teams = []
    empty = {"bezoeklijst": 0, "wachtlijst": 0, "crisis": 0}
    for team in base.wijkteams:
        mine = [c for c in changes if c["wijkteam"] == team.code]
        counts = {kind: sum(1 for c in mine if c["verandering"] == kind)
                  for kind in ("erbij", "eraf", "verschoven", "gelijk")}
        teams.append({
            "wijkteam": team.code,
            "bezoeklijst_nu": now.get(team.code, empty)["bezoeklijst"],
            "bezoeklijst_alternatief": then.get(team.code, empty)["bezoeklijst"],
            "wachtlijst_nu": now.get(team.code, empty)["wachtlijst"],
            "wachtlijst_alternatief": then.get(team.code, empty)["wachtlijst"],
            **counts,
            "wijzigingen": [{k: v for k, v in c.items() if k != "wijkteam"}
                            for c in mine if c["verandering"] != "gelijk"],
        })
    totals = {kind: sum(t[kind] for t in teams) for kind in ("erbij", "eraf", "verschoven",
                                                             "gelijk")}
    return {
        "periode": str(period),
        "regelversie_nu": rules_version(base),
        "regelversie_alternatief": rules_version(alternative),
        "teams": teams,
        "totaal": totals,
    }
