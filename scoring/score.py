"""Match and score households for a period, with SQL from sql/model; read a team's ranked list."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from scoring.warehouse import transaction
from vroeg.config import Municipality
from vroeg.sqlfiles import sql, sql_hash

SCORING_SQL = ("model/household_scores", "model/visit_list")


@dataclass(frozen=True)
class Period:
    """A matching period: one calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"periode '{text}' is niet in de vorm JJJJ-MM")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def last_complete(cls, timezone: str, today: dt.date | None = None) -> Period:
        """The last month that has fully passed in the municipality's time zone."""
        today = today or dt.datetime.now(ZoneInfo(timezone)).date()
        first = today.replace(day=1)
        previous = first - dt.timedelta(days=1)
        return cls(previous.year, previous.month)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        """First day after the period."""
        return self.start + dt.timedelta(days=calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def rules_version(municipality: Municipality) -> str:
    """A short hash of everything that decides a list: the scoring rules and the SQL."""
    payload = {
        "scoring": municipality.scoring.model_dump(mode="json"),
        "sql": {name: sql_hash(name) for name in SCORING_SQL},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


def score_period(con: duckdb.DuckDBPyConnection, municipality: Municipality, period: Period,
                 run_id: str) -> dict[str, int]:
    """Write the run's household scores; returns the run's totals (counts only)."""
    rules = municipality.scoring
    points = pl.DataFrame(
        {"partner_type": list(rules.partner_type_points),
         "punten": list(rules.partner_type_points.values())},
        schema={"partner_type": pl.String, "punten": pl.Int32},
    )
    with transaction(con, partner_type_points=points):
        con.execute(sql("model/delete_run_scores"), {"run_id": run_id})
        con.execute(sql("model/household_scores"), {
            "run_id": run_id,
            "periode": str(period),
            "begin": period.start,
            "einde": period.end,
            "minimum_cent": round(rules.minimum_amount * 100),
            "overige_punten": rules.other_partner_type_points,
            "cent_per_punt": rules.euros_per_amount_point * 100,
            "max_bedragpunten": rules.amount_points_max,
            "meervoudig_punten": rules.multiple_points,
            "crisis_punten": rules.crisis_points,
        })
    row = con.execute(sql("model/run_totals"), {"run_id": run_id}).fetchone()
    return dict(zip(("huishoudens", "op_lijst", "crisis", "signalen"), row, strict=True))


def ranked_list(con: duckdb.DuckDBPyConnection, run_id: str, wijkteam: str) -> pl.DataFrame:
    """The team's listed households for a run, ranked (pseudonyms and points only)."""
    return con.execute(sql("model/visit_list"), {"run_id": run_id, "wijkteam": wijkteam}).pl()
