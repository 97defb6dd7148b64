"""Load a delivery's pseudonymised facts into the warehouse: new, updated or duplicate per row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from scoring.warehouse import transaction
from vroeg.sqlfiles import sql


@dataclass(frozen=True)
class LoadCounts:
    inserted: int
    updated: int
    duplicates: int

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated


def deduplicate(facts: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The same signal twice in one delivery counts once; the later rows are duplicates."""
    unique = facts.unique(subset="signaal_pseudoniem", keep="first", maintain_order=True)
    return unique, facts.height - unique.height


def load_signals(con: duckdb.DuckDBPyConnection, facts: pl.DataFrame, delivery_id: str) -> LoadCounts:
    """Insert new signals, update changed ones, count the rest as duplicates; one transaction."""
    staged, in_file_duplicates = deduplicate(facts)
    now = dt.datetime.now(dt.UTC)
    params = {"levering_id": delivery_id, "nu": now}
    with transaction(con, staging=staged):
        new, updated, duplicate = con.execute(sql("load/classify_staging")).fetchone()
        con.execute(sql("load/record_updates"), params)
        con.execute(sql("load/update_signals"), params)
        con.execute(sql("load/insert_signals"), params)
    return LoadCounts(inserted=new, updated=updated, duplicates=duplicate + in_file_duplicates)
