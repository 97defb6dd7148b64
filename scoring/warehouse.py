"""The DuckDB warehouse of one municipality: a file holding pseudonymised facts only.

DuckDB allows one writing process per file. Only flows write (`connect(write=True)`), briefly;
readers open it read-only. Connections are short-lived so that a reader never waits long.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from vroeg.sqlfiles import schema_statements


@contextmanager
def connect(path: Path, *, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.exists():
        # A read-only open of a missing file fails; an empty warehouse is a valid state.
        with connect(path, write=True):
            pass
    con = duckdb.connect(str(path), read_only=not write)
    try:
        if write:
            for statement in schema_statements():
                con.execute(statement)
        yield con
    finally:
        con.close()
