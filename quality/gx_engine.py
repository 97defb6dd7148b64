"""The declared suites on Great Expectations' own engine (pandas): the reference, not the default.

quality.compiled is the production path; this module runs the very same declarations through GX,
for the equality test that holds the two together (tests/quality/test_engine_equality.py) and for
anyone who wants GX's engine (`validate(..., engine="gx")`). Great Expectations is imported here
only, and only when a suite is built or run, so the production path never pays for it.

GX reports failing rows by their index, which we set to the source row number. Its detailed
result also copies the failing *values*; those are personal data, so the raw result never leaves
this module: it is reduced at once to row numbers and per-rule counts (RuleResult).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from quality.declaration import SuiteDeclaration
from quality.rule_results import Failures, RuleResult, ValidationSystemError
from quality.suite import suite_columns
from vroeg.schema import SOURCE_ROW

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd


def gx_suite(declaration: SuiteDeclaration) -> gx.ExpectationSuite:
    """The declaration as a real `gx.ExpectationSuite` (GX's own objects, GX's validation)."""
    # Imported here: GX costs seconds to import and only this path needs it.
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )
    from great_expectations.expectations.row_conditions import deserialize_row_condition

    expectations = []
    for rule in declaration.expectations:
        config = rule.config()
        try:
            if "row_condition" in config["kwargs"]:
                config["kwargs"]["row_condition"] = deserialize_row_condition(
                    config["kwargs"]["row_condition"])
            expectations.append(ExpectationConfiguration(**config).to_domain_obj())
        except Exception:
            # GX's message may quote the kwargs (a value set, a bound): only the rule is named.
            raise ValidationSystemError(
                f"Great Expectations weigert regel {rule.type} voor kolom {rule.standard_column} "
                f"({declaration.name})") from None
    suite = gx.ExpectationSuite(name=declaration.name, expectations=expectations,
                                meta=dict(declaration.meta))
    # GX logs and drops an expectation whose configuration it finds invalid; a dropped rule
    # would pass every row, so the count must match.
    if len(suite.expectations) != len(declaration.expectations):
        raise ValidationSystemError(
            f"Great Expectations nam {len(suite.expectations)} van de "
            f"{len(declaration.expectations)} regels van {declaration.name} over")
    return suite


# One ephemeral GX context per process; GX is not documented as thread-safe, and Prefect may run
# tasks in threads, so validations are serialised.
_lock = threading.Lock()
_batch_definition: tuple[Any, Any] | None = None


def _gx_batch_definition() -> tuple[Any, Any]:
    global _batch_definition
    if _batch_definition is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("vroeg")
        _batch_definition = (
            context,
            source.add_dataframe_asset("levering").add_batch_definition_whole_dataframe("geheel"),
        )
    return _batch_definition


# Registering a suite with the context costs more than validating a monthly delivery with it;
# a suite depends only on the municipality's rules and the day, so each declaration is
# registered once: name -> (the declaration it was built from, the registered suite).
_registered: dict[str, tuple[str, Any]] = {}


def _registered_suite(context: Any, declaration: SuiteDeclaration) -> Any:
    key = repr(declaration)
    known = _registered.get(declaration.name)
    if known is None or known[0] != key:
        _registered[declaration.name] = (key, context.suites.add_or_update(gx_suite(declaration)))
    return _registered[declaration.name][1]


#: Rows handed to Great Expectations at a time. Every rule is a per-row rule, so validating in
#: slices gives the same result as validating the whole, with a bounded pandas copy.
VALIDATION_ROWS = 200_000

#: The instants a pandas datetime64[ns] can hold (about 1677-09-21 to 2262-04-11), a day inside.
_NS_RANGE = (dt.date(1677, 9, 22), dt.date(2262, 4, 10))


def dates_as_ns(frame: pl.DataFrame) -> pl.DataFrame:
    """Date columns as nanosecond datetimes, where every value fits.

    GX compares datetime64[ns] columns with a vectorised comparison but every other date type
    (polars dates arrive as datetime64[ms]) with a Python function per value: casting once is
    ~30 % of validation's CPU time. A column with a date outside the ns range (a partner's year
    9999) keeps its type, so the result is the same, only slower.
    """
    lo, hi = _NS_RANGE
    casts = []
    for name, dtype in frame.schema.items():
        if dtype != pl.Date:
            continue
        column = frame.get_column(name)
        low, high = column.min(), column.max()
        if low is None or (lo <= low and high <= hi):
            casts.append(pl.col(name).cast(pl.Datetime("ns")))
    return frame.with_columns(casts) if casts else frame


def _to_pandas(parsed: pl.DataFrame) -> pd.DataFrame:
    """The columns the suite reads, indexed by source row; nullable booleans kept nullable."""
    frame = dates_as_ns(parsed.select(suite_columns() + [SOURCE_ROW])).to_pandas()
    for column in ("crisis_p", "bsn_elfproef"):
        frame[column] = frame[column].astype("boolean")
    frame["achterstand_dagen"] = frame["achterstand_dagen"].astype("Int64")
    frame = frame.set_index(SOURCE_ROW)
    # An unnamed index makes GX report failing rows as bare index values; with a named index it
    # reports {column: value, index: row} and so copies the failing value.
    frame.index.name = None
    return frame


def run_suites(parsed: pl.DataFrame,
               suites: Sequence[SuiteDeclaration]) -> tuple[Failures, list[RuleResult]]:
    """Failing (reason, column) pairs per source row, and per-rule counts over all suites."""
    failures: Failures = {}
    totals: dict[tuple[str, int], RuleResult] = {}
    for offset in range(0, max(parsed.height, 1), VALIDATION_ROWS):
        frame = _to_pandas(parsed.slice(offset, VALIDATION_ROWS))
        # Each suite gets only the columns it reads. GX filters the whole frame for every rule
        # with a row condition and fingerprints it for every validation, so a narrow frame makes
        # the partner types' suites several times cheaper (and shows GX less personal data).
        with _lock:
            context, batch_definition = _gx_batch_definition()
            batches: dict[tuple[str, ...], Any] = {}
            results = []
            for declaration in suites:
                columns = tuple(declaration.columns())
                if columns not in batches:
                    batches[columns] = batch_definition.get_batch(
                        batch_parameters={"dataframe": frame[list(columns)]})
                results.append((declaration.name, batches[columns].validate(
                    _registered_suite(context, declaration),
                    result_format={"result_format": "COMPLETE"})))
        del frame, batches
        for name, result in results:
            for position, outcome in enumerate(result.results):
                config = outcome.expectation_config
                reason, column = config.meta["reden"], config.meta["kolom"]
                if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                    # The exception text may quote data; only the rule is named.
                    raise ValidationSystemError(
                        f"regel {config.type} voor kolom {column} ({name}) kon niet draaien")
                rows = outcome.result.get("unexpected_index_list") or []
                for row in rows:
                    failures.setdefault(int(row), []).append((reason, column))
                checked = int(outcome.result.get("element_count") or 0)
                earlier = totals.get((name, position))
                if earlier is not None:
                    checked += earlier.checked
                    failed = earlier.failed + len(rows)
                    success = earlier.success and bool(outcome.success)
                else:
                    failed, success = len(rows), bool(outcome.success)
                totals[(name, position)] = RuleResult(
                    expectation=config.type, reason=reason, column=column, success=success,
                    checked=checked, failed=failed, suite=name)
    return failures, list(totals.values())
