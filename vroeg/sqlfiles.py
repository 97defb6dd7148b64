"""SQL lives in sql/ as one statement per file; this is how code finds, reads and hashes it."""

from __future__ import annotations

import hashlib
from functools import cache

from vroeg.settings import SQL_DIR


@cache
def sql(name: str) -> str:
    """The text of sql/<name>.sql, e.g. sql("model/household_scores")."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents:
        raise ValueError(f"{name!r} is outside the sql folder")
    return path.read_text(encoding="utf-8")


def sql_hash(name: str) -> str:
    """SHA-256 of a statement, recorded with every run so results can be traced to the SQL."""
    return hashlib.sha256(sql(name).encode()).hexdigest()


def schema_statements() -> list[str]:
    """The warehouse schema, in file order."""
    return [sql(f"schema/{p.stem}") for p in sorted((SQL_DIR / "schema").glob("*.sql"))]
