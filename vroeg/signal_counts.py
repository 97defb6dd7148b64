"""Signals per month and partner type, copied from the warehouse into the operational database.

The portal draws its charts from these counts so that it never opens the warehouse: DuckDB allows
one writing process per file, and a portal holding the file open would block (or be blocked by)
the flows. The ingestion flow refreshes the counts with the connection it already holds.
"""

from __future__ import annotations

import datetime as dt

import duckdb
from sqlalchemy import delete

from vroeg.context import Context
from vroeg.opsdb import db
from vroeg.opsdb.models import SignalMonthCount
from vroeg.sqlfiles import sql


def refresh(ctx: Context, con: duckdb.DuckDBPyConnection) -> int:
    """Replace the municipality's counts with the warehouse's current ones; returns the rows."""
    rows = con.execute(sql("model/signal_month_counts")).fetchall()
    now = dt.datetime.now(dt.UTC)
    with db.session(ctx.database_url) as s:
        s.execute(delete(SignalMonthCount).where(SignalMonthCount.gemeente == ctx.gemeente))
        s.add_all(SignalMonthCount(gemeente=ctx.gemeente, maand=maand, partner_type=partner_type,
                                   signalen=count, bijgewerkt_op=now)
                  for maand, partner_type, count in rows)
    return len(rows)
