"""The register of requests to the DDAS API (issue 15): one row per request, answered or not.

Written by the API (reporting/ddas_api) after the answer is built; read by tests and by the data
officer (SQL). What a row may hold is said on the model (vroeg.opsdb.models.DdasRequest).
"""

from __future__ import annotations

from sqlalchemy import select

from vroeg.opsdb import db
from vroeg.opsdb.models import DdasRequest


def record(database_url: str, **fields) -> int:
    """Add one request; returns its id."""
    row = DdasRequest(**fields)
    with db.session(database_url) as s:
        s.add(row)
        s.flush()
        return row.id


def recent(database_url: str, limit: int = 100) -> list[DdasRequest]:
    """The newest requests first."""
    with db.session(database_url) as s:
        rows = s.scalars(select(DdasRequest).order_by(DdasRequest.id.desc()).limit(limit)).all()
        s.expunge_all()
        return list(rows)
