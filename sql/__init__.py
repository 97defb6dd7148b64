"""The warehouse's SQL: one statement per file in the folders below, and how code reads them.

The statements are package data, so an installed package finds them without the repository.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent


@cache
def sql(name: str) -> str:
    """The text of sql/<name>.sql, e.g. sql("model/household_scores")."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR not in path.parents:
        raise ValueError(f"{name!r} is outside the sql folder")
    return path.read_text(encoding="utf-8")


def sql_hash(name: str) -> str:
    """SHA-256 of a statement, recorded with every run so results can be traced to the SQL."""
    return hashlib.sha256(sql(name).encode()).hexdigest()


def sql_hashes(names: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 per statement, as recorded in a step's audit line."""
    return {name: sql_hash(name) for name in names}


def schema_statements() -> list[str]:
    """The warehouse schema, in file order."""
    return [sql(f"schema/{p.stem}") for p in sorted((SQL_DIR / "schema").glob("*.sql"))]
