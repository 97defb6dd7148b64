"""Match and score households for a period, with SQL from sql/model; read a team's ranked list.

The rules come from the municipality's configuration (scoring.rules turns them into SQL inputs);
all matching and scoring happens in one SQL statement over the pseudonymised warehouse, so it
scales with DuckDB and not with Python loops.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from scoring import rules as rulebook
from scoring.warehouse import connect, transaction
from sql import sql
from vroeg.config import Municipality
from vroeg.config.operations import CLOSING_DAY, Cadence
from vroeg.formats import today_in

#: Kept for callers of the first model; the list of rule SQL now lives in scoring.rules.
SCORING_SQL = rulebook.RULE_SQL

#: What score_period returns (counts only), in order.
TOTALS = ("huishoudens", "op_lijst", "wachtlijst", "crisis", "onder_drempel", "herhaling",
          "buiten_termijn", "uitgesloten", "signalen", "signalen_geteld", "signalen_herhaling",
          "signalen_uitgesloten")


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Period:
    """A matching period: `months` calendar months ending with (year, month); named by that
    month."""

    year: int
    month: int
    months: int = 1

    @classmethod
    def parse(cls, text: str, months: int = 1) -> Period:
        m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not m:
            raise ValueError(f"periode '{text}' is niet in de vorm JJJJ-MM (bijvoorbeeld 2026-10)")
        if not 1 <= int(m.group(2)) <= 12:
            # The form is right; the month is not (2026-13): say that, not "wrong form".
            raise ValueError(f"periode '{text}' bestaat niet: de maand moet 01 tot en met 12 "
                             "zijn")
        return cls(int(m.group(1)), int(m.group(2)), months)

    @classmethod
    def last_complete(cls, timezone: str, today: dt.date | None = None, months: int = 1) -> Period:
        """The last month that has fully passed in the municipality's time zone."""
        today = today or today_in(timezone)
        first = today.replace(day=1)
        previous = first - dt.timedelta(days=1)
        return cls(previous.year, previous.month, months)

    @classmethod
    def of(cls, municipality: Municipality, text: str | None = None) -> Period:
        """The named period (default: the last complete one) with the configured length."""
        months = municipality.matching.period_months
        if text:
            return cls.parse(text, months)
        return cls.last_complete(municipality.timezone, months=months)

    @classmethod
    def to_run(cls, municipality: Municipality, text: str | None = None,
               today: dt.date | None = None) -> Period:
        """The period a run publishes: the named one; else, in the monthly cadence, the last
        complete month; in a shorter cadence (weekly, daily) the current month, re-published
        as versions while its signals arrive, except up to the closing day, when the previous
        month's last run still takes its late monthly files (vroeg.config.operations)."""
        if text or municipality.operations.cadence == "monthly":
            return cls.of(municipality, text)
        today = today or today_in(municipality.timezone)
        if today.day <= CLOSING_DAY:
            return cls.last_complete(municipality.timezone, today,
                                     months=municipality.matching.period_months)
        return cls(today.year, today.month, municipality.matching.period_months)

    @property
    def start(self) -> dt.date:
        year, month = _add_months(self.year, self.month, -(self.months - 1))
        return dt.date(year, month, 1)

    @property
    def end(self) -> dt.date:
        """First day after the period."""
        last_month_start = dt.date(self.year, self.month, 1)
        return last_month_start + dt.timedelta(days=calendar.monthrange(self.year, self.month)[1])

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def months_before(self, months: int) -> dt.date:
        """First day of the month `months` months before the period starts."""
        year, month = _add_months(self.start.year, self.start.month, -months)
        return dt.date(year, month, 1)

    @property
    def label(self) -> str:
        """'2026-10', or '2026-08 t/m 2026-10' for a longer period."""
        if self.months == 1:
            return str(self)
        return f"{self.start:%Y-%m} t/m {self}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class PeriodRefused(ValueError):
    """A run for this period would publish lists that mean nothing (a month that has not ended,
    a month without signals); the message (Dutch) says why and what to do."""


def check_period(warehouse_path: Path, period: Period, today: dt.date,
                 cadence: Cadence = "monthly") -> None:
    """Refuse a period whose lists would be empty or incomplete, before anything is written.

    A month that has not ended yet has not received its signals; a month without any signal in
    the warehouse would give every team an empty list that the portal then shows as current.
    In a shorter cadence (weekly, daily) the current month is published while it runs, as list
    versions; a month that has not begun still is refused. Read-only: a refused run registers
    no run, scores nothing and publishes nothing (and a missing warehouse, nothing ingested yet,
    is not created).
    """
    running = dt.date(period.year, period.month, 1) <= today < period.end
    if period.end > today and not (running and cadence != "monthly"):
        raise PeriodRefused(
            f"Periode {period.label} is nog niet voorbij (vandaag is {today:%d-%m-%Y}): de "
            "signalen van die maand zijn nog niet binnen. Kies een maand die voorbij is; zonder "
            "--period wordt de laatste volledige maand gekozen. (Alleen met een kortere "
            "matchfrequentie, operations.cadence weekly of daily, wordt de lopende maand "
            "gepubliceerd.)")
    signals = 0
    if warehouse_path.exists():
        with connect(warehouse_path) as con:
            signals = con.execute(sql("model/period_signal_count"), {
                "begin": period.start, "einde": period.end}).fetchone()[0]
    if signals == 0:
        raise PeriodRefused(
            f"Periode {period.label} heeft geen signalen: er is niets te publiceren en er is "
            "niets geschreven. Lees eerst de leveringen van die maand in (vroeg ingest) en start "
            "de run daarna opnieuw.")


def rules_version(municipality: Municipality) -> str:
    """A short hash of everything that decides a list; the algorithm card shows the same one."""
    return rulebook.rules_version(municipality)


def score_rules(con: duckdb.DuckDBPyConnection, municipality: Municipality, period: Period,
                run_id: str, households: list[str] | None = None) -> dict[str, int]:
    """Write a run's household scores inside the caller's transaction; returns its totals.

    For callers that combine scoring with other statements in one transaction (the what-if
    comparison scores twice and rolls back). Most callers want score_period. `households`
    (pseudonyms) restricts the run to those households, with the same SQL (the crisis lane,
    flows/crisis.py); None scores every household of the period.
    """
    params, frames = rulebook.sql_inputs(municipality, period)
    params["alle_huishoudens"] = households is None
    frames["scope_households"] = pl.DataFrame({"huishouden_pseudoniem": households or []},
                                              schema={"huishouden_pseudoniem": pl.String})
    for name, frame in frames.items():
        con.register(name, frame.to_arrow())
    try:
        con.execute(sql("model/delete_run_scores"), {"run_id": run_id})
        con.execute(sql("model/household_scores"), {"run_id": run_id, **params})
    finally:
        for name in frames:
            con.unregister(name)
    return run_totals(con, run_id)


def score_period(con: duckdb.DuckDBPyConnection, municipality: Municipality, period: Period,
                 run_id: str, households: list[str] | None = None) -> dict[str, int]:
    """Write the run's household scores (one transaction); returns the run's totals (counts).
    `households`: see score_rules."""
    with transaction(con):
        return score_rules(con, municipality, period, run_id, households)


def run_totals(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    row = con.execute(sql("model/run_totals"), {"run_id": run_id}).fetchone()
    return dict(zip(TOTALS, row, strict=True))


def team_totals(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, dict[str, int]]:
    rows = con.execute(sql("model/team_totals"), {"run_id": run_id}).fetchall()
    return {team: {"bezoeklijst": a, "wachtlijst": b, "crisis": c} for team, a, b, c in rows}


def ranked_list(con: duckdb.DuckDBPyConnection, run_id: str, wijkteam: str) -> pl.DataFrame:
    """The team's listed households for a run, ranked: bezoeklijst, then wachtlijst (`sectie`).

    Pseudonyms and points only; nobody is re-identified here.
    """
    return con.execute(sql("model/visit_list"), {"run_id": run_id, "wijkteam": wijkteam}).pl()


def run_output_digest(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """A digest of the run's scores, recorded as the scoring step's output in the audit trail."""
    return con.execute(sql("privacy/run_scores_digest"), {"run_id": run_id}).fetchone()[0]
