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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import polars as pl

from connectors.table import READ_PROBLEM
from quality.quarantine_reasons import message
from quality.suite import PARTNER_TYPE_COLUMNS, build_suites, suite_columns, suite_name
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
    #: The suite the expectation belongs to: the schema suite or a partner type's suite.
    suite: str = ""


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
            context,
            source.add_dataframe_asset("levering").add_batch_definition_whole_dataframe("geheel"),
        )
    return _batch_definition


# Registering a suite with the context costs more than validating a monthly delivery with it;
# suites depend only on the municipality's rules and the day, so they are registered once per pair.
_suites: dict[tuple[str, str, dt.date], dict[str, object]] = {}

#: Rows handed to Great Expectations at a time. Every rule is a per-row rule, so validating in
#: slices gives the same result as validating the whole, with a bounded pandas copy.
VALIDATION_ROWS = 200_000


def _registered_suites(context, municipality: Municipality, today: dt.date) -> dict[str, object]:
    """Suite name -> registered suite; the schema suite first, then one per partner type."""
    key = (municipality.code, municipality.validation.model_dump_json(), today)
    if key not in _suites:
        _suites.clear()  # a new day or new rules: the old suites are never used again
        _suites[key] = {
            suite.name: context.suites.add_or_update(suite)
            for suite in build_suites(municipality, today)
        }
    return _suites[key]


#: The instants a pandas datetime64[ns] can hold (about 1677-09-21 to 2262-04-11), a day inside.
_NS_RANGE = (dt.date(1677, 9, 22), dt.date(2262, 4, 10))


def _dates_as_ns(frame: pl.DataFrame) -> pl.DataFrame:
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
    frame = _dates_as_ns(parsed.select(suite_columns() + [SOURCE_ROW])).to_pandas()
    for column in ("crisis_p", "bsn_elfproef"):
        frame[column] = frame[column].astype("boolean")
    frame["achterstand_dagen"] = frame["achterstand_dagen"].astype("Int64")
    frame = frame.set_index(SOURCE_ROW)
    # An unnamed index makes GX report failing rows as bare index values; with a named index it
    # reports {column: value, index: row} and so copies the failing value.
    frame.index.name = None
    return frame


def _suites_needed(parsed: pl.DataFrame, municipality: Municipality) -> set[str]:
    """The schema suite, and the suites of the partner types that occur in the delivery."""
    present = set(parsed.get_column("partner_type").drop_nulls().unique().to_list())
    rules = municipality.effective_partner_types()
    return {suite_name(municipality)} | {suite_name(municipality, t) for t in present & set(rules)}


def run_suite(parsed: pl.DataFrame, municipality: Municipality,
              today: dt.date) -> tuple[dict[int, list[tuple[str, str]]], list[RuleResult]]:
    """Failing (reason, column) pairs per source row, and per-rule counts over all suites."""
    failures: dict[int, list[tuple[str, str]]] = defaultdict(list)
    totals: dict[tuple[str, int], RuleResult] = {}
    needed = _suites_needed(parsed, municipality)
    schema_suite = suite_name(municipality)
    for offset in range(0, max(parsed.height, 1), VALIDATION_ROWS):
        frame = _to_pandas(parsed.slice(offset, VALIDATION_ROWS))
        # A partner type's suite reads four columns: it gets only those. GX filters the whole
        # frame for every rule with a row condition and fingerprints it for every validation, so
        # a narrow frame makes those suites several times cheaper (and shows GX less personal
        # data). A rule on another column would fail loudly (ValidationSystemError), not pass.
        narrow = frame[list(PARTNER_TYPE_COLUMNS)]
        with _lock:
            context, batch_definition = _gx_batch_definition()
            suites = _registered_suites(context, municipality, today)
            batches = {
                wide: batch_definition.get_batch(
                    batch_parameters={"dataframe": frame if wide else narrow})
                for wide in {name == schema_suite for name in suites if name in needed}
            }
            results = [(name, batches[name == schema_suite].validate(
                            suite, result_format={"result_format": "COMPLETE"}))
                       for name, suite in suites.items() if name in needed]
        del frame, narrow, batches
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
                    failures[int(row)].append((reason, column))
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


def conflicting_duplicates(parsed: pl.DataFrame, bad_rows: set[int]) -> list[int]:
    """Rows whose signal occurs more than once in the delivery with different content.

    The same signal repeated exactly is harmless (it is counted as a duplicate when loading);
    repeated with another amount, date or address, the file contradicts itself and no row of
    that signal can be trusted, so all of them are quarantined. Compared on the parsed values,
    so "620,00" and "620.00" are the same amount. Rows already quarantined do not count.
    """
    good = parsed.filter(~pl.col(SOURCE_ROW).is_in(sorted(bad_rows))) if bad_rows else parsed
    clean = clean_signals(good)
    content = [c for c in clean.columns if c != SOURCE_ROW]
    repeated = clean.filter(pl.struct("partner_id", "signaal_id").is_duplicated())
    if repeated.is_empty():
        return []
    conflicting = (
        repeated.group_by("partner_id", "signaal_id")
        .agg(pl.struct(content).n_unique().alias("versies"), pl.col(SOURCE_ROW))
        .filter(pl.col("versies") > 1)
    )
    return sorted(conflicting.get_column(SOURCE_ROW).explode().to_list())


def validate(parsed: pl.DataFrame, municipality: Municipality, filename: str,
             today: dt.date,
             file_columns: Mapping[str, Sequence[str]] | None = None) -> ValidationOutcome:
    """file_columns: per standard field, the partner's configured column names
    (connectors.mapping.configured_columns), named in each message beside the standard field."""
    rows = parsed.height
    own = file_columns or {}
    if rows == 0:
        return ValidationOutcome(clean=clean_signals(parsed), rows=0, quarantined_rows=0)
    failures, results = run_suite(parsed, municipality, today)

    # A row the reader could not take apart has shifted or missing fields: its other "failures"
    # would only mislead, so it carries the reading problem alone.
    read_problems = dict(
        parsed.filter(pl.col(READ_PROBLEM).is_not_null())
        .select(SOURCE_ROW, READ_PROBLEM).iter_rows()
    )
    entries: list[QuarantineEntry] = []
    for row, problem in read_problems.items():
        entries.append(QuarantineEntry(row, problem, None, message(problem, filename, row, None)))
    for row, pairs in failures.items():
        if row in read_problems:
            continue
        for reason, column in dict.fromkeys(pairs):  # de-duplicate, keep order
            entries.append(QuarantineEntry(row, reason, column, message(
                reason, filename, row, column, own.get(column, ()))))
    bad_rows = set(failures) | set(read_problems)
    for row in conflicting_duplicates(parsed, bad_rows):
        entries.append(QuarantineEntry(row, "SIGNAAL_ID_DUBBEL", "signaal_id", message(
            "SIGNAAL_ID_DUBBEL", filename, row, "signaal_id", own.get("signaal_id", ()))))
        bad_rows.add(row)
    entries.sort(key=lambda e: (e.row or 0, e.reason, e.column or ""))

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
