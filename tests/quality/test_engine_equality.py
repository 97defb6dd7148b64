"""Great Expectations' own engine and the production path give the same verdict, row for row.

Validation runs the declared GX suites compiled to one polars pass (quality.compiled); this test
runs the same declarations through GX's pandas engine (quality.gx_engine) and requires identical
failing rows with identical reason codes, and identical per-rule counts (checked, failed,
success), on the project's hostile, property and golden test data. Every expectation type the
sample municipalities' suites use must be exercised here (a rule failing on some rows and passing
on others), so a new type, or a GX release that changes what a type means, fails this test.

GX's engine costs seconds per run, so the data sets are validated as two deliveries (bron_rij
numbered on so each row keeps one number): one with every date in pandas' nanosecond range (GX's
vectorised path), one with dates outside it (GX's per-value path). Rows are labelled with their
data set, so a difference names where it came from.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import astuple

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import connectors
from connectors.parse import parse
from quality.declaration import SuiteDeclaration
from quality.rule_results import Failures, RuleResult
from quality.suite import build_suites
from quality.validate import run_suite, suites_needed, validate
from tests import REPO_ROOT
from tests.builders import TODAY, row, standard_file
from tests.connectors.test_properties import _text
from tests.end_to_end.test_golden import HISTORY, OCTOBER
from tests.quality.test_quality import BAD, CANARIES, GOOD, data_line, delivery
from vroeg.config import Municipality, Partner, load_municipality, standard_partner
from vroeg.schema import SOURCE_ROW, STANDARD_COLUMNS
from vroeg.settings import Home

HOME = Home(REPO_ROOT)

#: Row-level values from tests/end_to_end/test_hostile.py (amounts and dates that are not what
#: they seem, formula injection, a field of one megabyte) and tests/connectors/
#: test_unicode_digits.py (digits of other scripts).
HOSTILE_ROWS = [
    row(signaal_id="H-a1", bedrag="1.234,56"), row(signaal_id="H-a2", bedrag="€ 12"),
    row(signaal_id="H-a3", bedrag="-5"), row(signaal_id="H-a4", bedrag="NaN"),
    row(signaal_id="H-a5", signaaldatum="31-02-2026"),
    row(signaal_id="H-a6", signaaldatum="2026-13-01"),
    row(signaal_id="H-a7", ontstaansdatum="46000"),
    row(signaal_id="H-f1", voornamen='=HYPERLINK("http://example.org/x","klik")',
        achternaam="Formule"),
    row(signaal_id="H-f2", voornamen="+cmd|' /C calc'!A0", straatnaam="@SUM(1+1)"),
    row(signaal_id="H-f3", voornamen="-2+3", woonplaats="=1+1", telefoon="+31612345678"),
    row(signaal_id="H-mega", achternaam="Zz" * 500_000),
    row(signaal_id="H-u1", bsn="１２３４５６７８２"), row(signaal_id="H-u2", huisnummer="١٢"),
    row(signaal_id="H-u3", huisnummer="٧-a"),
]

#: test_quality's JSON delivery with a nested value (a reading problem, GENEST_VELD).
JSON_RECORDS = [dict({k: v or None for k, v in row().items()}, signaal_id="J-1"),
                dict({k: v or None for k, v in row().items()}, signaal_id="J-2",
                     achternaam={"x": 1})]

#: Dates outside pandas' nanosecond range, from test_quality (GX compares them per value).
FAR_DATES = [row(signaal_id="X-far-future", geboortedatum="9999-12-31"),
             row(signaal_id="G-long-ago", geboortedatum="1500-01-01"),
             row(signaal_id="X-ancient", signaaldatum="0001-01-01", ontstaansdatum="0001-01-01")]


def _parsed(data: bytes, filename: str, municipality: Municipality,
            partner: Partner | None = None) -> pl.DataFrame:
    mapped = connectors.read_delivery(data, filename, partner or standard_partner(),
                                      municipality.partners)
    return parse(mapped, municipality)


def _together(parts: list[tuple[str, pl.DataFrame]]) -> tuple[pl.DataFrame, dict[int, str]]:
    """The parts as one delivery, bron_rij numbered on; the data set of each row number."""
    frames, labels, offset = [], {}, 0
    for label, frame in parts:
        frame = frame.with_columns(pl.col(SOURCE_ROW) + offset)
        labels.update(dict.fromkeys(frame.get_column(SOURCE_ROW).to_list(), label))
        offset = int(frame.get_column(SOURCE_ROW).max()) + 1
        frames.append(frame)
    return pl.concat(frames, how="vertical_relaxed"), labels


# -- the property data: rows drawn by hypothesis -----------------------------------------------

_LONG = {"signaal_id": 100, "telefoon": 40, "email": 254}

#: Per field, values around each rule's edge: valid, just valid, just invalid, unreadable.
_EDGES: dict[str, list[str]] = {
    "partner_type": ["Huur", "Energie", "Water", "Zorg", "DUO", "CAK Zorgverzekeringen",
                     "Drinkwater", "huur", "Zzbankqq", ""],
    "signaaldatum": ["2026-11-22", "2026-11-23", "2025-10-18", "2025-10-17", "2026-10-14",
                     "2026-02-31", "0001-01-01", "9999-12-31", ""],
    "ontstaansdatum": ["2026-08-01", "2026-10-15", "2026-09-15", "2025-01-01", "2026-11-22",
                       "1900-01-01", "46000", ""],
    "geboortedatum": ["1984-03-02", "2026-11-22", "2026-11-23", "1500-01-01", "31-02-2026", ""],
    "bedrag": ["620,00", "0", "-0,01", "100000,00", "100000,01", "269,99", "270,00", "1.234,56",
               "€ 12", "NaN", "99999999999,99", ""],
    "crisis": ["ja", "nee", "JA", "zzmisschienqq", ""],
    "bsn": ["999990019", "12345672", "123456789", "12AB34", "１２３４５６７８２", ""],
    "postcode": ["8911 AB", "9001AA", "1011 AB", "99ZZ99", "8911", ""],
    "huisnummer": ["12", "12345", "123456", "12-a", "Zzhnqq", "١٢", "0", ""],
}


def _field(name: str) -> st.SearchStrategy[str]:
    text = _text("utf-8", line_breaks=False)
    limit = _LONG.get(name, 200)
    # Lengths in characters at the limit and one over, in one-, two-, three- and four-byte
    # characters (GX counts characters, never bytes).
    long_values = st.sampled_from(["x", "é", "€", "😀"]).flatmap(
        lambda ch: st.sampled_from([ch * limit, ch * (limit + 1)]))
    choices = [text, long_values]
    if name in _EDGES:
        choices.insert(0, st.sampled_from(_EDGES[name]))
    return st.one_of(*choices)


#: A valid row with up to three fields replaced by drawn values (most rows then fail one or two
#: rules, some none, so both the failing and the passing side of each rule are compared).
_ROW = st.sets(st.sampled_from(STANDARD_COLUMNS), max_size=3).flatmap(
    lambda names: st.fixed_dictionaries({name: _field(name) for name in sorted(names)}))


def drawn_rows(count: int) -> list[dict]:
    """Rows drawn by hypothesis, the same on every run (derandomized, no database).

    GX's engine costs seconds per run, so the examples are drawn first and validated together
    as one delivery rather than one GX run per example."""
    rows: list[dict] = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(values=_ROW)
    def collect(values: dict) -> None:
        rows.append(row(**dict(values, signaal_id=f"P-{len(rows)}")))

    collect()
    return rows


# -- the two deliveries, each validated by both engines -----------------------------------------

Run = tuple[Failures, list[RuleResult]]


@pytest.fixture(scope="module")
def municipality() -> Municipality:
    return load_municipality(HOME, "0080")


@pytest.fixture(scope="module")
def runs(municipality) -> dict[str, tuple[dict[int, str], Run, Run, list[SuiteDeclaration]]]:
    """Per delivery: the data set of each row, GX's result, the production path's result, and
    the suites run."""
    hostile_items = list(GOOD) + [item for item, _ in BAD]
    json_partner = Partner(id="json-std", name="Json", partner_type="Zorg", format="json")
    in_range, in_labels = _together([
        ("hostile (test_quality)", _parsed(delivery(hostile_items)[0], "h.csv", municipality)),
        ("hostile (test_hostile)", _parsed(standard_file(HOSTILE_ROWS), "a.csv", municipality)),
        ("hostile (json)", _parsed(json.dumps(JSON_RECORDS).encode(), "l.json", municipality,
                                   json_partner)),
        ("golden", _parsed(standard_file(HISTORY + OCTOBER), "g.csv", municipality)),
    ])
    far, far_labels = _together([
        ("property (hypothesis)", _parsed(standard_file(drawn_rows(120)), "p.csv",
                                          municipality)),
        ("hostile (far dates)", _parsed(standard_file(FAR_DATES), "d.csv", municipality)),
    ])
    out = {}
    for name, frame, labels in (("in range", in_range, in_labels), ("far", far, far_labels)):
        out[name] = (labels, run_suite(frame, municipality, TODAY, engine="gx"),
                     run_suite(frame, municipality, TODAY, engine="compiled"),
                     suites_needed(frame, municipality, TODAY))
    return out


def _rule_key(result: RuleResult) -> tuple:
    """Every field: results are compared as a multiset (GX orders them its own way)."""
    return astuple(result)


@pytest.mark.parametrize("name", ["in range", "far"])
def test_the_same_rows_fail_for_the_same_reasons(runs, name):
    labels, (gx_failures, _), (our_failures, _), _ = runs[name]
    differ = sorted(row for row in set(gx_failures) | set(our_failures)
                    if sorted(gx_failures.get(row, [])) != sorted(our_failures.get(row, [])))
    assert not differ, [(labels[r], r, gx_failures.get(r), our_failures.get(r)) for r in differ]
    # Each data set has rows that fail and rows that pass.
    failing = {labels[r] for r in gx_failures}
    assert failing == set(labels.values()) - {"golden"}, failing
    assert {labels[r] for r in set(labels) - set(gx_failures)} == set(labels.values())


@pytest.mark.parametrize("name", ["in range", "far"])
def test_the_same_counts_per_rule(runs, name):
    _, (_, gx_results), (_, our_results), suites = runs[name]
    assert sorted(gx_results, key=_rule_key) == sorted(our_results, key=_rule_key)
    # One result per declared rule, in the order the suites declare them.
    assert [(r.suite, r.expectation, r.reason, r.column) for r in our_results] == [
        (suite.name, rule.type, rule.reason, rule.standard_column)
        for suite in suites for rule in suite.expectations]


def test_every_expectation_type_the_suites_use_is_covered(runs):
    """Covered: a rule of the type failed some rows and passed others in a compared run."""
    used = {rule.type for code in HOME.municipalities()
            for suite in build_suites(load_municipality(HOME, code), TODAY)
            for rule in suite.expectations}
    covered = set()
    for _, (_, gx_results), _, _ in runs.values():
        covered |= {r.expectation for r in gx_results if 0 < r.failed < r.checked}
    assert covered == used
    # And every reason code a rule can give occurs in a compared run.
    reasons = {rule.reason for suite in build_suites(load_municipality(HOME, "0080"), TODAY)
               for rule in suite.expectations}
    seen = {reason for _, (failures, _), _, _ in runs.values()
            for pairs in failures.values() for reason, _ in pairs}
    assert seen == reasons


def test_neither_engine_reports_a_value(runs):
    text = repr({name: (gx, ours) for name, (_, gx, ours, _) in runs.items()})
    for canary in [*CANARIES, "Zz" * 50, "HYPERLINK", "calc"]:
        assert canary not in text, canary


def test_validate_gives_the_same_outcome_on_either_engine(municipality):
    """The whole step (reading problems, duplicates, verdict) on top of either engine; rows of
    a partner type without rules of its own, so GX runs one suite (seconds less)."""
    items: list[dict | str] = [dict(item, partner_type="Overige") for item, _ in BAD
                               if isinstance(item, dict) and item["partner_type"] == "Huur"]
    items += [dict(item, partner_type="Overige") for item in GOOD]
    line = data_line(row(signaal_id="X-fields", partner_type="Overige"))
    items += [line + ";Zzextraqq;meer", ";".join(line.split(";")[:4])]  # reading problems
    parsed = _parsed(delivery(items)[0], "h.csv", municipality)
    assert set(parsed.get_column("partner_type").drop_nulls()) == {"Overige"}
    outcomes = [validate(parsed, municipality, "h.csv", TODAY, engine=engine)
                for engine in ("gx", "compiled")]
    gx, ours = outcomes
    assert gx.entries == ours.entries and gx.entries
    assert (gx.rows, gx.quarantined_rows, gx.rejected) == (
        ours.rows, ours.quarantined_rows, ours.rejected)
    assert gx.clean.equals(ours.clean)
    assert sorted(gx.results, key=_rule_key) == sorted(ours.results, key=_rule_key)


# -- the declaration is what GX reads ------------------------------------------------------------


def _gx_form(value: object) -> object:
    """A GX-serialised value compared as JSON (datetimes as GX writes them)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat(), sort_keys=True))


@pytest.mark.parametrize("crisis_bound", [False, True], ids=["window-not-crisis", "window-all"])
def test_gx_builds_its_suites_from_the_declaration_unchanged(municipality, crisis_bound):
    from quality.gx_engine import gx_suite

    variant = municipality.model_copy(update={"validation": municipality.validation.model_copy(
        update={"window_applies_to_crisis": crisis_bound})})
    for declaration in build_suites(variant, TODAY):
        suite = gx_suite(declaration)
        assert suite.name == declaration.name
        assert suite.meta["suite_version"] == declaration.meta["suite_version"]
        stored = suite.to_json_dict()["expectations"]
        assert len(stored) == len(declaration.expectations)
        for rule, gx_rule in zip(declaration.expectations, stored, strict=True):
            assert gx_rule["type"] == rule.type
            assert gx_rule["meta"] == dict(rule.meta)
            kwargs = {k: v for k, v in gx_rule["kwargs"].items() if v is not None}
            expected = rule.config()["kwargs"]
            assert _gx_form(kwargs) == _gx_form(expected), (declaration.name, rule)


def test_a_rule_gx_refuses_fails_the_suite(municipality):
    """A rule GX cannot build fails the suite, naming the rule (never GX's text, which may quote
    the kwargs); GX's own suite would log and drop some invalid rules, which the count catches."""
    from quality.declaration import Rule, SuiteDeclaration
    from quality.gx_engine import gx_suite
    from quality.rule_results import ValidationSystemError

    # A misspelt kwarg: GX refuses the configuration, logs it and would leave the rule out.
    broken = Rule(type="expect_column_values_to_not_be_null", kwargs={"kolom": "bedrag_p"},
                  meta={"reden": "BEDRAG_ONGELDIG", "kolom": "bedrag"})
    with pytest.raises(ValidationSystemError, match="weigert regel expect_column_values_to_not_be_"
                                                    "null voor kolom bedrag"):
        gx_suite(SuiteDeclaration(name="kapot", expectations=(broken,)))


def test_what_the_compiler_knows_beyond_the_suites_is_what_gx_does(municipality):
    """The kwargs and condition forms the compiler accepts but today's suites do not use
    (mostly, strict bounds, a strict pair, IN and OR conditions) give what GX's engine gives, so
    a suite that starts using one is compiled with GX's meaning."""
    from quality.compiled import run_suites as compiled_run
    from quality.declaration import (
        BETWEEN,
        IN_SET,
        LENGTHS_BETWEEN,
        NOT_NULL,
        PAIR_A_GREATER,
        Rule,
        SuiteDeclaration,
        equals,
    )
    from quality.gx_engine import run_suites as gx_run

    items = HOSTILE_ROWS + list(GOOD[:14]) + [item for item, _ in BAD[:12]] + [
        row(signaal_id="E-same-day", signaaldatum="2026-10-01", ontstaansdatum="2026-10-01")]
    parsed = _parsed(standard_file([i for i in items if isinstance(i, dict)]), "m.csv",
                     municipality)
    of_types = {"type": "comparison", "column": {"name": "partner_type"}, "operator": "IN",
                "parameter": ["Huur", "Zorg"]}
    either = {"type": "or", "conditions": [equals("crisis_p", True), equals("partner_type", "DUO")]}
    moment = dt.datetime(2026, 10, 14)

    def rule(type_: str, reason: str, condition=None, **kwargs) -> Rule:
        return Rule(type_, kwargs, {"reden": reason, "kolom": "bedrag"}, row_condition=condition)

    rules = (
        rule(BETWEEN, "M1", column="bedrag_p", min_value=0, mostly=0.9),
        rule(BETWEEN, "M2", column="bedrag_p", min_value=0, mostly=0.99),
        rule(BETWEEN, "M3", column="bedrag_p", min_value=0, max_value=62000, strict_max=True),
        rule(NOT_NULL, "M4", column="bedrag_p", mostly=0.8),
        rule(LENGTHS_BETWEEN, "M5", column="achternaam", min_value=2, max_value=11,
             strict_min=True, mostly=0.5),
        rule(BETWEEN, "M6", of_types, column="signaaldatum_p", min_value=moment, strict_min=True),
        rule(IN_SET, "M7", either, column="partner_type", value_set=["Huur"], mostly=0.5),
        rule(PAIR_A_GREATER, "M8", of_types, column_A="signaaldatum_p",
             column_B="ontstaansdatum_p", ignore_row_if="either_value_is_missing", mostly=0.9),
    )
    suites = [SuiteDeclaration(name="proef-meer", expectations=rules)]
    gx_failures, gx_results = gx_run(parsed, suites)
    our_failures, our_results = compiled_run(parsed, suites)
    assert {k: sorted(v) for k, v in gx_failures.items()} == {
        k: sorted(v) for k, v in our_failures.items()}
    assert sorted(gx_results, key=_rule_key) == sorted(our_results, key=_rule_key)
    # The data makes each rule fail somewhere, and `mostly` both pass and fail.
    assert all(r.failed for r in our_results), our_results
    assert {r.success for r in our_results if r.reason in ("M1", "M2", "M4", "M5", "M7")} == {
        True, False}
