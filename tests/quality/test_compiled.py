"""The compiled executor refuses what it cannot run, and the production path never imports GX.

What the compiler does run is held to Great Expectations' own engine by test_engine_equality.py;
here: a rule it does not know (a new expectation type, an unknown kwarg, a row condition it cannot
read the way pandas does) stops validation before a row is read, so a suite change can never be
skipped silently; and validating a delivery in a fresh process leaves great_expectations out of
sys.modules.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import polars as pl
import pytest

from quality.compiled import UnsupportedRule, run_suites
from quality.declaration import (
    BETWEEN,
    IN_SET,
    LENGTHS_BETWEEN,
    NOT_NULL,
    PAIR_A_GREATER,
    Rule,
    SuiteDeclaration,
    all_of,
    equals,
    is_not_null,
)
from quality.rule_results import ValidationSystemError
from tests import REPO_ROOT

#: A few parsed-looking rows: enough columns and types for the rules below.
FRAME = pl.DataFrame({
    "bron_rij": [2, 3, 4],
    "partner_type": ["Huur", "Zorg", None],
    "bedrag_p": [100, None, -5],
    "crisis_p": [False, None, True],
    "signaaldatum_p": [dt.date(2026, 10, 1), None, dt.date(2026, 12, 1)],
    "achternaam": ["Jansen", None, "x" * 201],
})
META = {"reden": "BEDRAG_NEGATIEF", "kolom": "bedrag"}


def suite(*rules: Rule) -> list[SuiteDeclaration]:
    return [SuiteDeclaration(name="proef", expectations=rules)]


def test_the_rules_it_knows_run_with_gx_semantics():
    rules = [
        Rule(BETWEEN, {"column": "bedrag_p", "min_value": 0}, META),
        Rule(NOT_NULL, {"column": "achternaam"},
             {"reden": "VERPLICHT_LEEG", "kolom": "achternaam"}),
        Rule(LENGTHS_BETWEEN, {"column": "achternaam", "max_value": 200},
             {"reden": "VELD_TE_LANG", "kolom": "achternaam"}),
        Rule(BETWEEN,
             {"column": "signaaldatum_p", "max_value": dt.datetime(2026, 11, 22)},
             {"reden": "DATUM_IN_TOEKOMST", "kolom": "signaaldatum"},
             row_condition=all_of(equals("crisis_p", True), is_not_null("signaaldatum_p"))),
    ]
    failures, results = run_suites(FRAME, suite(*rules))
    assert failures == {4: [("BEDRAG_NEGATIEF", "bedrag"), ("VELD_TE_LANG", "achternaam"),
                            ("DATUM_IN_TOEKOMST", "signaaldatum")],
                        3: [("VERPLICHT_LEEG", "achternaam")]}
    # checked: the rows the rule looks at (its row condition), nulls included, as GX counts.
    assert [(r.checked, r.failed, r.success) for r in results] == [
        (3, 1, False), (3, 1, False), (3, 1, False), (1, 1, False)]


def test_mostly_is_measured_as_gx_measures_it():
    lenient = Rule(BETWEEN,
                   {"column": "bedrag_p", "min_value": 0, "mostly": 0.5}, META)
    strict = Rule(BETWEEN,
                  {"column": "bedrag_p", "min_value": 0, "mostly": 0.6}, META)
    # Of the two non-null amounts one fails: 50 % pass, the null is not counted.
    _, results = run_suites(FRAME, suite(lenient, strict))
    assert [(r.failed, r.success) for r in results] == [(1, True), (1, False)]


@pytest.mark.parametrize(("rule", "refusal"), [
    (Rule("expect_column_values_to_match_regex", {"column": "achternaam", "regex": "^J"}, META),
     "expect_column_values_to_match_regex voor kolom bedrag .* kan de gecompileerde validatie "
     "niet uitvoeren"),
    (Rule(NOT_NULL, {"column": "bedrag_p", "kolom": "x"}, META), "parameter\\(s\\) kolom"),
    (Rule(IN_SET, {"column": "partner_type"}, META), "value_set ontbreken"),
    (Rule(BETWEEN, {"column": "bedrag_p"}, META), "geen grens"),
    (Rule(BETWEEN, {"column": "bedrag_p", "min_value": "0"}, META),
     "grens van type str"),
    (Rule(IN_SET, {"column": "crisis_p", "value_set": [1]}, META), "waardenset"),
    (Rule(NOT_NULL, {"column": "bedrag_p"}, META,
          row_condition={"type": "comparison", "column": {"name": "partner_type"},
                         "operator": "!=", "parameter": "Huur"}), "rijvoorwaarde met !="),
    (Rule(NOT_NULL, {"column": "bedrag_p"}, META,
          row_condition={"type": "pass_through", "pass_through_filter": "bedrag_p > 0"}),
     "pass_through"),
    (Rule(PAIR_A_GREATER,
          {"column_A": "bedrag_p", "column_B": "bedrag_p", "ignore_row_if": "neither"}, META),
     "ignore_row_if"),
], ids=["unknown-type", "unknown-kwarg", "missing-kwarg", "no-bound", "bound-type",
        "value-set-type", "not-equal", "pass-through", "ignore-row-if"])
def test_a_rule_it_does_not_know_is_refused_before_a_row_is_read(rule, refusal):
    good = Rule(NOT_NULL, {"column": "bedrag_p"}, META)
    with pytest.raises(UnsupportedRule, match=refusal):
        run_suites(FRAME, suite(good, rule))
    assert issubclass(UnsupportedRule, ValidationSystemError)  # validation stops, not skips


def test_a_rule_on_a_column_the_delivery_lacks_stops_validation():
    with pytest.raises(ValidationSystemError, match="leest kolom bsn_p"):
        run_suites(FRAME, suite(Rule(NOT_NULL, {"column": "bsn_p"}, META)))


_FRESH = r"""
import json, sys
from pathlib import Path
import connectors
from connectors.parse import parse
from quality.validate import validate
from tests.builders import TODAY, row, standard_file
from vroeg.config import load_municipality, standard_partner
from vroeg.settings import Home

municipality = load_municipality(Home(Path(sys.argv[1])), "0080")
data = standard_file([row(signaal_id="S-1"), row(signaal_id="S-2", bedrag="-1")])
mapped = connectors.read_delivery(data, "s.csv", standard_partner(), municipality.partners)
outcome = validate(parse(mapped, municipality), municipality, "s.csv", TODAY)
print(json.dumps({"reasons": [e.reason for e in outcome.entries],
                  "modules": sorted(m for m in sys.modules
                                    if m.split(".")[0] == "great_expectations")}))
"""


def test_validating_a_delivery_never_imports_great_expectations():
    done = subprocess.run([sys.executable, "-c", _FRESH, str(REPO_ROOT)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["reasons"] == ["BEDRAG_NEGATIEF"]
    assert result["modules"] == []
