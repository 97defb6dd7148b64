"""The DuckDB warehouse of one municipality: a file holding pseudonymised facts only.

DuckDB allows one writing process per file. Only flows write (`connect(write=True)`), briefly;
readers open it read-only. Connections are short-lived so that a reader never waits long.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from sql import schema_statements, sql
from vroeg.files import PRIVATE_FILE, private_dir


@contextmanager
def connect(path: Path, *, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    if write:
        # A private folder: DuckDB creates the file and its .wal with the umask's mode, so the
        # folder is what keeps them the owner's only (and the files are narrowed below).
        private_dir(path.parent)
    elif not path.exists():
        # A read-only open of a missing file fails; an empty warehouse is a valid state.
        with connect(path, write=True):
            pass
    con = duckdb.connect(str(path), read_only=not write)
    if write:
        os.chmod(path, PRIVATE_FILE)
    try:
        if write:
            if con.execute(sql("upgrade/household_scores_is_v1")).fetchone()[0]:
                con.execute(sql("upgrade/household_scores_keep_v1"))
            for statement in schema_statements():
                con.execute(statement)
        yield con
    finally:
        con.close()
        if write:
            for file in (path, path.with_name(path.name + ".wal")):
                if file.exists():
                    os.chmod(file, PRIVATE_FILE)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, **frames) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction with polars frames registered as views (name=frame) for its duration.

    Either every statement inside takes effect or none does: a load or a scoring run that fails
    half-way leaves the warehouse as it was.
    """
    for name, frame in frames.items():
        con.register(name, frame.to_arrow())
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        for name in frames:
            con.unregister(name)


@contextmanager
def scratch(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction that is always rolled back: work inside it leaves the warehouse untouched.

    The what-if comparison scores the period twice in one and reads the difference; nothing of
    it stays behind, whatever happens.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    finally:
        con.execute("ROLLBACK")


def _literal(path: Path) -> str:
    # ATTACH takes no bound parameters; the path is ours (VROEG_HOME), quoted as a SQL literal.
    return "'" + str(path).replace("'", "''") + "'"


def compact(path: Path) -> None:
    """Rewrite the warehouse file with its live data only, then swap it in.

    DuckDB does not overwrite the blocks of deleted rows; while other tables (the exclusion
    lists in force) keep the file's tail in use, deleted pseudonyms stay readable in free blocks.
    Retention and erasure call this after deleting, so that what was destroyed is gone from the
    file too. Needs the warehouse closed by everyone else (flows hold it only briefly).
    """
    if not path.exists():
        return
    fresh = path.with_name(f".{path.name}.compact")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_literal(path)} AS bron (READ_ONLY)")
        con.execute(f"ATTACH {_literal(fresh)} AS doel")
        con.execute("COPY FROM DATABASE bron TO doel")
        con.execute("DETACH doel")
        con.execute("DETACH bron")
    except BaseException:
        con.close()
        fresh.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(fresh, path)
