"""The declared suites compiled to one polars pass: the production path of validation.

Every rule of quality.suite is a Great Expectations expectation declared as data
(quality.declaration). Here each becomes polars expressions over the parsed frame, the rows GX
counts (its row condition), the rows it considers (for most types: a value is present; for a
column pair: both are) and the rows that fail, and all of them are evaluated in one lazy pass.
The counts and the success flag follow GX's own arithmetic (element count, non-null count,
`mostly`), so the result is what GX's engine gives (tests/quality/test_engine_equality.py proves
it on the hostile, property and golden data); at a million rows it takes a fraction of a second
where GX's pandas engine takes many, and it needs no GX import.

The compiler knows a fixed set of expectation types, kwargs and row-condition forms, each with
GX's semantics for missing values (a null is never "unexpected" except to not-null; a condition
on a missing value is false). Anything else is refused with UnsupportedRule when the suite is
compiled, before a row is read, so a new rule can never be skipped silently: teach it here and
the equality test covers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from quality.declaration import (
    BETWEEN,
    IN_SET,
    LENGTHS_BETWEEN,
    NOT_NULL,
    PAIR_A_GREATER,
    Condition,
    Rule,
    SuiteDeclaration,
)
from quality.rule_results import Failures, RuleResult, ValidationSystemError
from vroeg.schema import SOURCE_ROW

#: Column name -> polars type: what the rules are compiled against.
Schema = Mapping[str, pl.DataType]
#: What a type's compiler gives: the rows considered, the rows failing, and whether `mostly`
#: is measured against every row of the domain (not-null) or the considered rows only.
Compiled = tuple[pl.Expr, pl.Expr, bool]


class UnsupportedRule(ValidationSystemError):
    """A rule the compiler cannot run with GX's semantics: refused, never skipped."""


#: Kwargs that never change which rows fail (GX's presentation and bookkeeping options).
_NEUTRAL = {"result_format", "catch_exceptions", "include_config", "description"}


@dataclass(frozen=True)
class CompiledRule:
    """One rule as polars expressions (boolean per row) and GX's arithmetic for its verdict."""

    rule: Rule
    suite: str
    #: The rows GX counts (element_count): the row condition; None for every row.
    domain: pl.Expr | None
    #: Of those, the rows the rule considers (GX's nonnull_count / filtered_row_count).
    considered: pl.Expr
    #: Of those, the rows that fail.
    unexpected: pl.Expr
    #: Not-null rules measure `mostly` against every row of the domain, others against the
    #: considered rows only (GX's ExpectColumnValuesToNotBeNull._validate vs the map base).
    mostly_of_domain: bool
    mostly: float


def _is_missing(column: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """Missing as pandas' isnull() sees it: null, and NaN in a float column."""
    expr = pl.col(column).is_null()
    if schema[column].is_float():
        expr = expr | pl.col(column).is_nan()
    return expr


def _require(column: str, schema: Mapping[str, pl.DataType], rule: Rule) -> pl.DataType:
    if column not in schema:
        raise ValidationSystemError(
            f"regel {rule.type} voor kolom {rule.standard_column} leest kolom {column}, "
            "die de levering niet heeft")
    return schema[column]


def _check_bound(value: Any, dtype: pl.DataType, rule: Rule) -> None:
    """Only the (column type, bound type) pairs whose comparison is the same in polars as in
    GX's pandas engine; anything else is refused rather than guessed."""
    if isinstance(value, bool):
        ok = False
    elif isinstance(value, dt.datetime):
        # A date column reaches GX as timestamps at midnight, compared with the datetime bound.
        ok = value.tzinfo is None and (
            dtype == pl.Date or (isinstance(dtype, pl.Datetime) and dtype.time_zone is None))
    elif isinstance(value, int | float):
        ok = dtype.is_numeric()
    elif isinstance(value, str):
        ok = dtype == pl.String
    else:
        ok = False
    if not ok:
        raise UnsupportedRule(
            f"regel {rule.type} voor kolom {rule.standard_column}: grens van type "
            f"{type(value).__name__} bij kolomtype {dtype} niet ondersteund")


def _column_expr(column: str, dtype: pl.DataType, bound: Any) -> pl.Expr:
    if dtype == pl.Date and isinstance(bound, dt.datetime):
        return pl.col(column).cast(pl.Datetime("us"))
    return pl.col(column)


def _between(value: pl.Expr, low: Any, high: Any, strict_min: bool, strict_max: bool) -> pl.Expr:
    """Inside the bounds (GX's column_values.between): a missing bound does not bind."""
    inside = pl.lit(True)
    if low is not None:
        inside = inside & ((value > low) if strict_min else (value >= low))
    if high is not None:
        inside = inside & ((value < high) if strict_max else (value <= high))
    return inside


def _known(rule: Rule, allowed: set[str], required: set[str]) -> None:
    """Every kwarg is one the type's compiler reads (or one that never changes a result), and
    the ones it needs are there."""
    where = f"regel {rule.type} voor kolom {rule.standard_column}"
    unknown = set(rule.kwargs) - allowed - required - _NEUTRAL - {"mostly"}
    if unknown:
        raise UnsupportedRule(f"{where}: parameter(s) {', '.join(sorted(unknown))} niet "
                              "ondersteund")
    missing = required - set(rule.kwargs)
    if missing:
        raise UnsupportedRule(f"{where}: parameter(s) {', '.join(sorted(missing))} ontbreken")


def _not_null(rule: Rule, schema: Schema) -> Compiled:
    _known(rule, set(), {"column"})
    column = rule.kwargs["column"]
    _require(column, schema, rule)
    return pl.lit(True), _is_missing(column, schema), True


def _lengths_between(rule: Rule, schema: Schema) -> Compiled:
    _known(rule, {"min_value", "max_value", "strict_min", "strict_max"}, {"column"})
    column = rule.kwargs["column"]
    if _require(column, schema, rule) != pl.String:
        # GX measures str(value) of any type; polars' text of a date or number differs.
        raise UnsupportedRule(f"regel {rule.type}: kolom {column} is geen tekst")
    low, high = rule.kwargs.get("min_value"), rule.kwargs.get("max_value")
    if low is None and high is None:
        raise UnsupportedRule(f"regel {rule.type} voor kolom {column}: geen grens")
    # Characters (code points), as pandas' str.len() counts them: never bytes.
    length = pl.col(column).str.len_chars()
    inside = _between(length, low, high, bool(rule.kwargs.get("strict_min")),
                      bool(rule.kwargs.get("strict_max")))
    return ~_is_missing(column, schema), ~inside, False


def _values_between(rule: Rule, schema: Schema) -> Compiled:
    _known(rule, {"min_value", "max_value", "strict_min", "strict_max"}, {"column"})
    column = rule.kwargs["column"]
    dtype = _require(column, schema, rule)
    low, high = rule.kwargs.get("min_value"), rule.kwargs.get("max_value")
    if low is None and high is None:
        raise UnsupportedRule(f"regel {rule.type} voor kolom {column}: geen grens")
    if low is not None and high is not None and type(low) is not type(high):
        raise UnsupportedRule(f"regel {rule.type} voor kolom {column}: grenzen van twee typen")
    bound = low if low is not None else high
    for value in (low, high):
        if value is not None:
            _check_bound(value, dtype, rule)
    value = _column_expr(column, dtype, bound)
    inside = _between(value, low, high, bool(rule.kwargs.get("strict_min")),
                      bool(rule.kwargs.get("strict_max")))
    return ~_is_missing(column, schema), ~inside, False


def _in_set(rule: Rule, schema: Schema) -> Compiled:
    _known(rule, set(), {"column", "value_set"})
    column = rule.kwargs["column"]
    dtype = _require(column, schema, rule)
    values = list(rule.kwargs["value_set"])
    # The value's Python type must be the column's: bool is an int to Python, not to polars.
    if dtype == pl.Boolean:
        fits = all(isinstance(v, bool) for v in values)
    elif dtype == pl.String:
        fits = all(isinstance(v, str) for v in values)
    elif dtype.is_integer():
        fits = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    else:
        fits = False
    if not values or not fits:
        raise UnsupportedRule(
            f"regel {rule.type} voor kolom {rule.standard_column}: waardenset past niet bij "
            f"kolomtype {dtype}")
    return ~_is_missing(column, schema), ~pl.col(column).is_in(values), False


def _pair_a_greater(rule: Rule, schema: Schema) -> Compiled:
    _known(rule, {"or_equal", "ignore_row_if"}, {"column_A", "column_B"})
    a, b = rule.kwargs["column_A"], rule.kwargs["column_B"]
    types = {_require(a, schema, rule), _require(b, schema, rule)}
    if len(types) != 1:
        raise UnsupportedRule(f"regel {rule.type}: kolommen {a} en {b} van verschillend type")
    # Only rows with both values are compared: what a missing value compares to differs between
    # pandas' dtypes (NaN or NA), so the other choices of ignore_row_if are refused.
    ignore = rule.kwargs.get("ignore_row_if", "both_values_are_missing")
    if ignore != "either_value_is_missing":
        raise UnsupportedRule(f"regel {rule.type}: ignore_row_if={ignore!r} niet ondersteund")
    considered = ~(_is_missing(a, schema) | _is_missing(b, schema))
    greater = (pl.col(a) >= pl.col(b)) if rule.kwargs.get("or_equal") else (pl.col(a) > pl.col(b))
    return considered, ~greater, False


#: Per GX expectation type: rule, schema -> (considered rows, unexpected rows, mostly of domain).
COMPILERS: dict[str, Callable[[Rule, Schema], Compiled]] = {
    NOT_NULL: _not_null,
    LENGTHS_BETWEEN: _lengths_between,
    BETWEEN: _values_between,
    IN_SET: _in_set,
    PAIR_A_GREATER: _pair_a_greater,
}


def condition_expr(condition: Condition, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """A GX row condition as a polars filter: a comparison with a missing value is false (as
    pandas' query() keeps neither NaN nor NA rows for it), then combined with and/or."""
    kind = condition.get("type") if isinstance(condition, Mapping) else type(condition).__name__
    if kind not in ("and", "or", "nullity", "comparison"):
        # A pass-through pandas query string, or a legacy string condition: not GX's data form.
        raise UnsupportedRule(f"rijvoorwaarde van soort {kind!r} niet ondersteund")
    if kind in ("and", "or"):
        parts = [condition_expr(part, schema) for part in condition["conditions"]]
        if not parts:
            raise UnsupportedRule("rijvoorwaarde zonder delen")
        combined = parts[0]
        for part in parts[1:]:
            combined = (combined & part) if kind == "and" else (combined | part)
        return combined
    column = condition.get("column", {}).get("name")
    if column not in schema:
        raise ValidationSystemError(
            f"rijvoorwaarde leest kolom {column}, die de levering niet heeft")
    if kind == "comparison":
        operator, value = condition["operator"], condition["parameter"]
        # Only the operators whose treatment of a missing value is the same for every pandas
        # dtype: `!=` and NOT_IN keep NaN rows of a numpy column but drop NA rows of a nullable
        # one, so they are refused rather than guessed.
        if operator == "==":
            return (pl.col(column) == value).fill_null(False)
        if operator == "IN":
            return pl.col(column).is_in(list(value)).fill_null(False)
        raise UnsupportedRule(f"rijvoorwaarde met {operator} niet ondersteund")
    missing = _is_missing(column, schema)
    return missing if condition["is_null"] else ~missing


def compile_rule(rule: Rule, suite: str, schema: Mapping[str, pl.DataType]) -> CompiledRule:
    compiler = COMPILERS.get(rule.type)
    if compiler is None:
        raise UnsupportedRule(
            f"regel {rule.type} voor kolom {rule.standard_column} ({suite}) kan de gecompileerde "
            "validatie niet uitvoeren")
    considered, unexpected, mostly_of_domain = compiler(rule, schema)
    domain = None if rule.row_condition is None else condition_expr(rule.row_condition, schema)
    if domain is not None:
        considered = domain & considered
    mostly = rule.kwargs.get("mostly")
    return CompiledRule(rule=rule, suite=suite, domain=domain, considered=considered,
                     unexpected=considered & unexpected, mostly_of_domain=mostly_of_domain,
                     mostly=1.0 if mostly is None else float(mostly))


def compile_suites(suites: Sequence[SuiteDeclaration],
                   schema: Mapping[str, pl.DataType]) -> list[CompiledRule]:
    """Every rule of the suites, in suite order; refuses what it cannot run (UnsupportedRule)."""
    return [compile_rule(rule, suite.name, schema)
            for suite in suites for rule in suite.expectations]


def _success(total: int, considered: int, unexpected: int, rule: CompiledRule) -> bool:
    """GX's verdict: vacuously true without rows to consider, else the `mostly` share."""
    base = total if rule.mostly_of_domain else considered
    if total == 0 or base == 0:
        return True
    return (base - unexpected) / base >= rule.mostly


def run_suites(parsed: pl.DataFrame,
               suites: Sequence[SuiteDeclaration]) -> tuple[Failures, list[RuleResult]]:
    """Failing (reason, column) pairs per source row, and per-rule counts over all suites."""
    rules = compile_suites(suites, parsed.schema)
    masks: list[pl.Expr] = []
    for i, rule in enumerate(rules):
        if rule.domain is not None:
            masks.append(rule.domain.alias(f"d{i}"))
        masks += [rule.considered.alias(f"c{i}"), rule.unexpected.alias(f"u{i}")]
    try:
        evaluated = parsed.lazy().select(pl.col(SOURCE_ROW), *masks).collect()
        sums = evaluated.select(pl.exclude(SOURCE_ROW).sum()).row(0, named=True)
    except pl.exceptions.PolarsError as error:
        # The error text may quote data; only the kind of error is named.
        raise ValidationSystemError(
            f"de gecompileerde validatie kon niet draaien ({type(error).__name__})") from None
    source_rows = evaluated.get_column(SOURCE_ROW)
    failures: Failures = {}
    results: list[RuleResult] = []
    for i, rule in enumerate(rules):
        total = parsed.height if rule.domain is None else int(sums[f"d{i}"])
        considered, unexpected = int(sums[f"c{i}"]), int(sums[f"u{i}"])
        if unexpected:
            pair = (rule.rule.reason, rule.rule.standard_column)
            for row in source_rows.filter(evaluated.get_column(f"u{i}")).to_list():
                failures.setdefault(int(row), []).append(pair)
        results.append(RuleResult(
            expectation=rule.rule.type, reason=rule.rule.reason,
            column=rule.rule.standard_column,
            success=_success(total, considered, unexpected, rule),
            checked=total, failed=unexpected, suite=rule.suite))
    return failures, results
