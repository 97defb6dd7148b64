"""Validate a parsed delivery with Great Expectations: a file verdict and a reason per bad row.

Great Expectations reports failing rows by their index, which we set to the source row number.
Its detailed result also copies the failing *values*; those are personal data, so the raw result
never leaves this module: it is reduced at once to row numbers and per-rule counts
(RuleResult), and only that reduction is returned, stored or logged.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd
import polars as pl

from connectors.table import READ_PROBLEM
from quality.reasons import message
from quality.suite import build_suite, suite_columns
from vroeg.config import Municipality
from vroeg.schema import SOURCE_ROW


@dataclass(frozen=True)
class RuleResult:
    """One expectation's outcome for a delivery: counts only, never values."""

    expectation: str
    reason: str
    column: str
    success: bool
    checked: int
    failed: int


@dataclass(frozen=True)
class QuarantineEntry:
    """Why one row (or, with row None, the whole file) was quarantined."""

    row: int | None
    reason: str
    column: str | None
    message: str


@dataclass
class ValidationOutcome:
    clean: pl.DataFrame
    rows: int
    quarantined_rows: int
    entries: list[QuarantineEntry] = field(default_factory=list)
    results: list[RuleResult] = field(default_factory=list)
    rejected: bool = False

    @property
    def bad_share(self) -> float:
        return self.quarantined_rows / self.rows if self.rows else 0.0


class ValidationSystemError(RuntimeError):
    """An expectation itself failed to run: a defect in the suite, not bad data."""


# One ephemeral GX context per process; GX is not documented as thread-safe, and Prefect may run
# tasks in threads, so validations are serialised.
_lock = threading.Lock()
_batch_definition = None


def _gx_batch_definition():
    global _batch_definition
    if _batch_definition is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("vroeg")
        _batch_definition = (
            context, source.add_dataframe_asset("levering").add_batch_definition_whole_dataframe("geheel")
        )
    return _batch_definition


# Registering a suite with the context costs more than validating a monthly delivery with it;
# a suite depends only on the municipality's rules and the day, so it is registered once per pair.
_suites: dict[tuple[str, str, dt.date], object] = {}


def _registered_suite(context, municipality: Municipality, today: dt.date):
    key = (municipality.code, municipality.validation.model_dump_json(), today)
    if key not in _suites:
        _suites.clear()  # a new day or new rules: the old suites are never used again
        _suites[key] = context.suites.add_or_update(build_suite(municipality, today))
    return _suites[key]


def _to_pandas(parsed: pl.DataFrame) -> pd.DataFrame:
    """The columns the suite reads, indexed by source row; nullable booleans kept nullable."""
    frame = parsed.select(suite_columns() + [SOURCE_ROW]).to_pandas()
    for column in ("crisis_p", "bsn_elfproef"):
        frame[column] = frame[column].astype("boolean")
    frame = frame.set_index(SOURCE_ROW)
    # An unnamed index makes GX report failing rows as bare index values; with a named index it
    # reports {column: value, index: row} and so copies the failing value.
    frame.index.name = None
    return frame


def run_suite(parsed: pl.DataFrame, municipality: Municipality,
              today: dt.date) -> tuple[dict[int, list[tuple[str, str]]], list[RuleResult]]:
    """Failing (reason, column) pairs per source row, and per-rule counts."""
    frame = _to_pandas(parsed)
    with _lock:
        context, batch_definition = _gx_batch_definition()
        suite = _registered_suite(context, municipality, today)
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"})
    failures: dict[int, list[tuple[str, str]]] = defaultdict(list)
    summaries: list[RuleResult] = []
    for outcome in result.results:
        config = outcome.expectation_config
        reason, column = config.meta["reden"], config.meta["kolom"]
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            # The exception text may quote data; only the rule is named.
            raise ValidationSystemError(f"regel {config.type} voor kolom {column} kon niet draaien")
        rows = outcome.result.get("unexpected_index_list") or []
        for row in rows:
            failures[int(row)].append((reason, column))
        summaries.append(RuleResult(
            expectation=config.type,
            reason=reason,
            column=column,
            success=bool(outcome.success),
            checked=int(outcome.result.get("element_count") or 0),
            failed=len(rows),
        ))
    return failures, summaries


def validate(parsed: pl.DataFrame, municipality: Municipality, filename: str,
             today: dt.date) -> ValidationOutcome:
    rows = parsed.height
    if rows == 0:
        return ValidationOutcome(clean=clean_signals(parsed), rows=0, quarantined_rows=0)
    failures, results = run_suite(parsed, municipality, today)

    # A row the reader could not take apart has shifted or missing fields: its other "failures"
    # would only mislead, so it carries the reading problem alone.
    read_problems = dict(
        parsed.filter(pl.col(READ_PROBLEM).is_not_null()).select(SOURCE_ROW, READ_PROBLEM).iter_rows()
    )
    entries: list[QuarantineEntry] = []
    for row, problem in read_problems.items():
        entries.append(QuarantineEntry(row, problem, None, message(problem, filename, row, None)))
    for row, pairs in failures.items():
        if row in read_problems:
            continue
        for reason, column in dict.fromkeys(pairs):  # de-duplicate, keep order
            entries.append(QuarantineEntry(row, reason, column, message(reason, filename, row, column)))
    entries.sort(key=lambda e: (e.row or 0, e.reason, e.column or ""))
    bad_rows = set(failures) | set(read_problems)

    max_share = municipality.validation.max_bad_share
    if len(bad_rows) / rows > max_share:
        entries.insert(0, QuarantineEntry(
            None, "BESTAND_AFGEKEURD", None,
            f"{filename}: het hele bestand is afgekeurd: {len(bad_rows)} van {rows} rijen bevatten "
            f"fouten (meer dan {max_share:.0%}). Herstel het bestand en lever het opnieuw aan."))
        return ValidationOutcome(clean=clean_signals(parsed.clear()), rows=rows,
                                 quarantined_rows=rows, entries=entries, results=results,
                                 rejected=True)
    good = parsed.filter(~pl.col(SOURCE_ROW).is_in(sorted(bad_rows)))
    return ValidationOutcome(clean=clean_signals(good), rows=rows, quarantined_rows=len(bad_rows),
                             entries=entries, results=results)


def clean_signals(parsed: pl.DataFrame) -> pl.DataFrame:
    """Valid rows in the clean signal schema: typed facts and normalised identity fields."""
    return parsed.select(
        pl.col("partner_id"),
        pl.col("signaal_id"),
        pl.col("partner_type"),
        pl.col("partner_naam"),
        pl.col("signaaldatum_p").alias("signaaldatum"),
        pl.col("ontstaansdatum_p").alias("ontstaansdatum"),
        pl.col("bedrag_p").alias("bedrag_cent"),
        pl.col("crisis_p").alias("crisis"),
        pl.col("bsn_p").alias("bsn"),
        pl.col("voornamen"),
        pl.col("tussenvoegsel"),
        pl.col("achternaam"),
        pl.col("geboortedatum_p").alias("geboortedatum"),
        pl.col("straatnaam"),
        pl.col("postcode_p").alias("postcode"),
        pl.col("huisnummer_p").alias("huisnummer"),
        # The normalised addition identifies the household; the partner's spelling is shown.
        pl.col("toevoeging_p").alias("toevoeging_sleutel"),
        pl.coalesce(pl.col("huisnummertoevoeging"), pl.col("toevoeging_p").replace("", None))
        .alias("huisnummertoevoeging"),
        pl.col("woonplaats"),
        pl.col("telefoon"),
        pl.col("email"),
        pl.col("wijkteam"),
        pl.col(SOURCE_ROW),
    )
