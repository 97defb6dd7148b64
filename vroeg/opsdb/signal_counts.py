"""Signals per month and partner type, copied from the warehouse into the operational database.

The portal draws its charts from these counts so that it never opens the warehouse: DuckDB allows
one writing process per file, and a portal holding the file open would block (or be blocked by)
the flows. The ingestion flow counts in the warehouse with the connection it already holds
(scoring.load.month_counts) and hands the rows here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete

from vroeg.opsdb import db
from vroeg.opsdb.models import SignalMonthCount


def refresh(database_url: str, gemeente: str, rows: Iterable[tuple[str, str, int]]) -> int:
    """Replace the municipality's counts by `rows` (month, partner type, signals); returns how
    many rows were written."""
    now = dt.datetime.now(dt.UTC)
    counts = [SignalMonthCount(gemeente=gemeente, maand=maand, partner_type=partner_type,
                               signalen=count, bijgewerkt_op=now)
              for maand, partner_type, count in rows]
    with db.session(database_url) as s:
        s.execute(delete(SignalMonthCount).where(SignalMonthCount.gemeente == gemeente))
        s.add_all(counts)
    return len(counts)
