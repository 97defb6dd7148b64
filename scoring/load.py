"""Load a delivery's pseudonymised facts into the warehouse: new, updated or duplicate per row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from scoring.warehouse import transaction
from sql import sql

#: The load's statements, in the order load_signals runs them; their hashes go into the load
#: step's audit line.
LOAD_SQL = ("load/classify_staging", "load/record_updates", "load/update_signals",
            "load/insert_signals")


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


def load_signals(con: duckdb.DuckDBPyConnection, facts: pl.DataFrame, delivery_id: str,
                 sha256: str | None = None) -> LoadCounts:
    """Insert new signals, update changed ones, count the rest as duplicates; one transaction.

    With `sha256` (the delivery's file hash) the load is also recorded in `loads`, in the same
    transaction, so an attempt that dies after this commit can be finished by `adopt_load`.
    """
    staged, in_file_duplicates = deduplicate(facts)
    now = dt.datetime.now(dt.UTC)
    params = {"levering_id": delivery_id, "nu": now}
    with transaction(con, staging=staged):
        classify, *changes = LOAD_SQL
        new, updated, duplicate = con.execute(sql(classify)).fetchone()
        for statement in changes:
            con.execute(sql(statement), params)
        counts = LoadCounts(inserted=new, updated=updated,
                            duplicates=duplicate + in_file_duplicates)
        if sha256 is not None:
            con.execute(sql("load/record_load"), {
                **params, "sha256": sha256, "nieuw": counts.inserted,
                "bijgewerkt": counts.updated, "dubbel": counts.duplicates})
    return counts


def adopt_load(con: duckdb.DuckDBPyConnection, sha256: str, delivery_id: str,
               unfinished: set[str]) -> LoadCounts | None:
    """The counts of a committed load of this file by an attempt that never finished (its
    delivery id in `unfinished`, or `delivery_id` itself when its task is retried), handed over
    to `delivery_id`; None when there is none.

    Loading again instead would count every signal of the file as a duplicate: the delivery
    that finally succeeds would report nothing loaded although its rows are all in.
    """
    row = con.execute(sql("load/earlier_load"), {"sha256": sha256}).fetchone()
    if row is None or (row[0] not in unfinished and row[0] != delivery_id):
        return None
    old, new, updated, duplicates = row
    if old == delivery_id:  # this delivery's own load, committed before a retried step failed
        return LoadCounts(inserted=new, updated=updated, duplicates=duplicates)
    params = {"oud": old, "nieuw_id": delivery_id}
    with transaction(con):
        con.execute(sql("load/adopt_load"), params)
        con.execute(sql("load/adopt_signals"), params)
        con.execute(sql("load/adopt_updates"), params)
    return LoadCounts(inserted=new, updated=updated, duplicates=duplicates)


def month_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Signals per month of the signal date and partner type (counts only), for the portal."""
    return con.execute(sql("model/signal_month_counts")).fetchall()
