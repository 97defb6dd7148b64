"""What the flows add to their audit lines: hashes of input and output, SQL and rule versions, and
one line per published household. Kept here so flows/ stays orchestration only.
"""

from __future__ import annotations

import duckdb

from privacy.audit import Audit
from scoring import warehouse
from scoring.score import ranked_list
from vroeg.context import Context
from vroeg.sqlfiles import sql, sql_hash

#: The warehouse load's statements, hashed into the load step's audit line.
LOAD_SQL = ("load/classify_staging", "load/record_updates", "load/update_signals",
            "load/insert_signals")


def sql_hashes(names: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 per SQL file, as recorded in a bulk audit line."""
    return {name: sql_hash(name) for name in names}


def run_output_digest(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    return con.execute(sql("privacy/run_scores_digest"), {"run_id": run_id}).fetchone()[0]


def record_publication(ctx: Context, audit: Audit, run_id: str, wijkteam: str, trace_id: str,
                       parent: str | None, **attributes) -> int:
    """One "publicatie" line per household on the team's list (the list was disclosed to them)."""
    with warehouse.connect(ctx.warehouse_path) as con:
        households = ranked_list(con, run_id, wijkteam)["huishouden_pseudoniem"].to_list()
    audit.subjects("publicatie", trace_id, parent, households, run=run_id, wijkteam=wijkteam,
                   **attributes)
    return len(households)
