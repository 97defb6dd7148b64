"""The municipality's rules as the SQL needs them, and as one canonical document with a hash.

Two views of one configuration, built in one place so they cannot drift apart:

- `sql_inputs`: the parameters and small rule tables that sql/model/household_scores.sql reads
  (a rule whose attribute is not allowed contributes nothing here);
- `rules_document` and `rules_version`: every value that decides a list (rules, weights,
  exclusion lists, capacities) plus the SHA-256 of the SQL that applies them. The algorithm card
  shows this document, and every run and published list records its version, so each list can be
  traced to the exact rules it was made with.
"""

from __future__ import annotations

import hashlib
import json

import polars as pl

from sql import sql_hash
from vroeg import ddas
from vroeg.config import Municipality, PartnerTypeRules, Scoring
from vroeg.config.features import FEATURES

#: The SQL that decides who is listed and in which order (hashed into the rules version).
RULE_SQL = ("model/household_scores", "model/visit_list", "model/list_signals")

#: The partner-type key the SQL uses for types without their own rules.
OTHER_TYPE = "*"


def _cents(euros: float) -> int:
    return round(euros * 100)


def type_rules(municipality: Municipality) -> pl.DataFrame:
    """One row per DDAS partner type (and '*' for anything else): points, bill, window, minimum.

    The window and the minimum are the configuration's `partner_types`, the same rules
    validation applies; a type without rules (and '*') has neither."""
    rules = municipality.scoring
    rows = []
    for partner_type in (*ddas.signaalpartners(), OTHER_TYPE):
        rule = municipality.partner_type_rules(partner_type) or PartnerTypeRules()
        rows.append({
            "partner_type": partner_type,
            "punten": rules.partner_type_points.get(partner_type, rules.other_partner_type_points),
            "maandbedrag_cent": _cents(rules.typical_monthly_bill.get(
                partner_type, rules.other_typical_monthly_bill)),
            "min_dagen": rule.min_days,
            "max_dagen": rule.max_days,
            "min_bedrag_cent": _cents(rule.min_amount or 0),
        })
    return pl.DataFrame(rows, schema={
        "partner_type": pl.String, "punten": pl.Int32, "maandbedrag_cent": pl.Int64,
        "min_dagen": pl.Int32, "max_dagen": pl.Int32, "min_bedrag_cent": pl.Int64,
    })


def exclusion_rules(municipality: Municipality) -> pl.DataFrame:
    return pl.DataFrame(
        [{"lijst": x.code, "reikwijdte": x.scope, "geldig_maanden": x.valid_months}
         for x in municipality.exclusions],
        schema={"lijst": pl.String, "reikwijdte": pl.String, "geldig_maanden": pl.Int32},
    )


def age_rules(rules: Scoring) -> pl.DataFrame:
    rows = []
    if "age_group" in rules.features:
        for group in sorted(set(rules.age_group_points) | set(rules.age_group_minimum_amount)):
            minimum = rules.age_group_minimum_amount.get(group)
            rows.append({"leeftijdsgroep": group, "punten": rules.age_group_points.get(group, 0),
                         "minimum_cent": None if minimum is None else _cents(minimum)})
    return pl.DataFrame(rows, schema={"leeftijdsgroep": pl.String, "punten": pl.Int32,
                                      "minimum_cent": pl.Int64})


def capacities(municipality: Municipality, period: str) -> pl.DataFrame:
    return pl.DataFrame(
        [{"wijkteam": t.code, "capaciteit": t.capacity_for(period)}
         for t in municipality.wijkteams],
        schema={"wijkteam": pl.String, "capaciteit": pl.Int32},
    )


def sql_inputs(municipality: Municipality, period) -> tuple[dict, dict[str, pl.DataFrame]]:
    """Parameters and rule tables for household_scores.sql (period: scoring.score.Period)."""
    rules = municipality.scoring
    params = {
        "periode": str(period),
        "begin": period.start,
        "einde": period.end,
        "peildatum": period.last_day,
        "terugkijk_begin": period.months_before(municipality.matching.consecutive_months),
        "minimum_cent": _cents(rules.minimum_amount),
        "punten_per_maandbedrag": rules.points_per_bill_month,
        "max_bedragpunten": rules.amount_points_max,
        "punten_per_maand": rules.points_per_month_in_arrears,
        "max_duurpunten": rules.arrears_points_max,
        "meervoudig_punten": rules.multiple_points,
        "opeenvolgend_punten": rules.consecutive_points,
        "crisis_punten": rules.crisis_points,
        "crisis_telt_mee": municipality.capacity.crisis_counts_toward_capacity,
        # A rule whose attribute is not allowed contributes nothing (like age_rules).
        "minderjarigen_punten": rules.minors_points if "household_minors" in rules.features
        else 0,
    }
    frames = {
        "type_rules": type_rules(municipality),
        "exclusion_rules": exclusion_rules(municipality),
        "age_rules": age_rules(rules),
        "capacities": capacities(municipality, str(period)),
    }
    return params, frames


def rules_document(municipality: Municipality) -> dict:
    """Everything that decides a list, as plain data (the algorithm card shows it)."""
    rules = municipality.scoring
    return {
        "kenmerken": [
            {"naam": name, "kolom": FEATURES[name].column, "omschrijving": FEATURES[name].label}
            for name in rules.features
        ],
        # Which signals count per partner type (validation reads the same rules).
        "partner_types": {t: r.model_dump(mode="json")
                          for t, r in sorted(municipality.partner_types.items())},
        "scoring": rules.model_dump(mode="json"),
        "matching": municipality.matching.model_dump(mode="json"),
        "capaciteit": {
            **municipality.capacity.model_dump(mode="json"),
            "wijkteams": {t.code: {"capaciteit": t.capacity,
                                   "per_periode": dict(sorted(t.capacity_by_period.items()))}
                          for t in municipality.wijkteams},
        },
        "uitsluitingen": [x.model_dump(mode="json", exclude={"file"}) for x in
                          municipality.exclusions],
        # Whether the BRP's facts decide (exclusions, minors); where it answers does not.
        "brp": {"aan": municipality.brp.enabled},
        "sql": {name: sql_hash(name) for name in RULE_SQL},
    }


def rules_hash(municipality: Municipality) -> str:
    """SHA-256 of the canonical rules document."""
    canonical = json.dumps(rules_document(municipality), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def rules_version(municipality: Municipality) -> str:
    """The short version shown on every list, run and algorithm card: the hash's first 12."""
    return rules_hash(municipality)[:12]
