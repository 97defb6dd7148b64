"""Validate a parsed delivery against the declared suites: a file verdict and a reason per bad row.

The suites (quality.suite) are Great Expectations expectations declared as data. They run on
one of two engines with the same result: `compiled` (quality.compiled, one polars pass, the
default and the production path: no GX import) or `gx` (quality.gx_engine, GX's own pandas
engine, the reference the equality test compares with). Either gives row numbers, reason codes
and per-rule counts (RuleResult), never a value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from connectors.table import READ_PROBLEM
from quality import compiled
from quality.declaration import SuiteDeclaration
from quality.quarantine_reasons import message
from quality.rule_results import Failures, RuleResult, ValidationSystemError
from quality.suite import build_suites, suite_name
from vroeg.config import Municipality
from vroeg.schema import SOURCE_ROW

__all__ = ["Engine", "QuarantineEntry", "RuleResult", "ValidationOutcome",
           "ValidationSystemError", "clean_signals", "conflicting_duplicates", "run_suite",
           "suites_needed", "validate"]

#: Which executor runs the suites: the compiled polars pass, or Great Expectations' engine.
Engine = Literal["compiled", "gx"]


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


def suites_needed(parsed: pl.DataFrame, municipality: Municipality,
                  today: dt.date) -> list[SuiteDeclaration]:
    """The schema suite, and the suites of the partner types that occur in the delivery."""
    present = set(parsed.get_column("partner_type").drop_nulls().unique().to_list())
    rules = municipality.effective_partner_types()
    needed = {suite_name(municipality)} | {
        suite_name(municipality, t) for t in present & set(rules)}
    return [suite for suite in build_suites(municipality, today) if suite.name in needed]


def run_suite(parsed: pl.DataFrame, municipality: Municipality, today: dt.date,
              engine: Engine = "compiled") -> tuple[Failures, list[RuleResult]]:
    """Failing (reason, column) pairs per source row, and per-rule counts over all suites."""
    suites = suites_needed(parsed, municipality, today)
    if engine == "compiled":
        return compiled.run_suites(parsed, suites)
    if engine == "gx":
        # Imported here: the module imports pandas and, when it runs, Great Expectations.
        from quality import gx_engine

        return gx_engine.run_suites(parsed, suites)
    raise ValueError(f"onbekende validatie-engine {engine!r} (compiled of gx)")


def conflicting_duplicates(parsed: pl.DataFrame, bad_rows: set[int]) -> list[int]:
    """Rows whose signal occurs more than once in the delivery with different content.

    The same signal repeated exactly is harmless (it is counted as a duplicate when loading);
    repeated with another amount, date or address, the file contradicts itself and no row of
    that signal can be trusted, so all of them are quarantined. Compared on the parsed values,
    so "620,00" and "620.00" are the same amount. Rows already quarantined do not count.
    """
    # The repeated signals are found on the two key columns alone: a copy of every column of a
    # million rows would cost more than the rest of validation (issue 14).
    keys = parsed.select("partner_id", "signaal_id", SOURCE_ROW)
    if bad_rows:
        keys = keys.filter(~pl.col(SOURCE_ROW).is_in(sorted(bad_rows)))
    rows = keys.filter(pl.struct("partner_id", "signaal_id").is_duplicated()).get_column(SOURCE_ROW)
    if rows.is_empty():
        return []
    repeated = clean_signals(parsed.filter(pl.col(SOURCE_ROW).is_in(rows.to_list())))
    content = [c for c in repeated.columns if c != SOURCE_ROW]
    conflicting = (
        repeated.group_by("partner_id", "signaal_id")
        .agg(pl.struct(content).n_unique().alias("versies"), pl.col(SOURCE_ROW))
        .filter(pl.col("versies") > 1)
    )
    return sorted(conflicting.get_column(SOURCE_ROW).explode().to_list())


def validate(parsed: pl.DataFrame, municipality: Municipality, filename: str,
             today: dt.date,
             file_columns: Mapping[str, Sequence[str]] | None = None,
             engine: Engine = "compiled") -> ValidationOutcome:
    """file_columns: per standard field, the partner's configured column names
    (connectors.mapping.configured_columns), named in each message beside the standard field.
    engine: which executor runs the suites (see the module's docstring); the same outcome."""
    rows = parsed.height
    own = file_columns or {}
    if rows == 0:
        return ValidationOutcome(clean=clean_signals(parsed), rows=0, quarantined_rows=0)
    failures, results = run_suite(parsed, municipality, today, engine)

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
        pl.col("uiterste_datum_p").alias("uiterste_datum"),
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
