"""Keep personal data out of exceptions that leave a step, and say in words what went wrong.

Library exceptions may quote the data they choked on (a polars cast error lists the values; a
decoder shows the bytes). Anything unexpected that escapes a step is replaced by a StepFailed that
names the step, the exception type and where it was raised (file, line, function), which is
enough to find the defect and holds no data.

A fault of a store (a full or read-only disk, a missing table, a damaged database file) is not a
defect: it is reported as its cause and the store it hit, in one Dutch sentence ("geen ruimte
meer op de schijf", "de outbox"), never with the path or the statement, and it is not retried,
since it fails the same way until someone acts. A store that is briefly locked or unreachable is
retried (flows/policy.py).
"""

from __future__ import annotations

import errno
import sqlite3
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from vroeg.errors import DeliveryError
from vroeg.stores import HOME_PARTS, Store


class StepFailed(RuntimeError):
    """An unexpected failure inside a step, scrubbed of any message text. `transient` says
    whether the original error may pass by itself (a database briefly unreachable or locked):
    the flows retry only those (flows/policy.py)."""

    transient: bool = False


class Cause(StrEnum):
    """What went wrong, in words (the end of the user's sentence)."""

    NO_SPACE = "er is geen ruimte meer op de schijf"
    READ_ONLY = "de schijf of het bestand is alleen-lezen"
    NO_PERMISSION = "het proces heeft geen toestemming om er te schrijven"
    SCHEMA = ("er ontbreekt een tabel of kolom (het schema is niet bijgewerkt of het bestand "
              "hoort bij een andere versie)")
    CORRUPT = "het databasebestand is beschadigd of is geen database"
    CANNOT_OPEN = "het databasebestand kan niet worden geopend"
    DISK_IO = "de schijf gaf een lees- of schrijffout"
    LOCKED = "de database is bezet door een ander proces"
    UNREACHABLE = "de database is niet bereikbaar"


#: Causes that may pass by themselves: retried.
TRANSIENT_CAUSES = (Cause.LOCKED, Cause.UNREACHABLE)

_ERRNO_CAUSES = {errno.ENOSPC: Cause.NO_SPACE, errno.EDQUOT: Cause.NO_SPACE,
                 errno.EROFS: Cause.READ_ONLY, errno.EACCES: Cause.NO_PERMISSION,
                 errno.EPERM: Cause.NO_PERMISSION, errno.EIO: Cause.DISK_IO}

#: Fixed phrases of SQLite's and DuckDB's messages (lower case; never data) and their cause.
_MESSAGE_CAUSES = (
    ("database or disk is full", Cause.NO_SPACE),
    ("no space left on device", Cause.NO_SPACE),
    ("readonly database", Cause.READ_ONLY),
    ("read-only file system", Cause.READ_ONLY),
    ("read-only mode", Cause.READ_ONLY),
    ("permission denied", Cause.NO_PERMISSION),
    ("no such table", Cause.SCHEMA),
    ("no such column", Cause.SCHEMA),
    ("has no column named", Cause.SCHEMA),
    ("does not exist", Cause.SCHEMA),  # DuckDB and PostgreSQL: Table/column ... does not exist
    ("file is not a database", Cause.CORRUPT),
    ("disk image is malformed", Cause.CORRUPT),
    ("unable to open database file", Cause.CANNOT_OPEN),
    ("disk i/o error", Cause.DISK_IO),
    ("database is locked", Cause.LOCKED),
    ("database table is locked", Cause.LOCKED),
    ("could not set lock", Cause.LOCKED),  # DuckDB while another process writes
    ("could not connect", Cause.UNREACHABLE),
    ("connection refused", Cause.UNREACHABLE),
    ("server closed the connection", Cause.UNREACHABLE),
)

#: PostgreSQL SQLSTATEs (psycopg's `sqlstate`) and their cause; class 08 is a lost connection.
_SQLSTATE_CAUSES = {"53100": Cause.NO_SPACE, "25006": Cause.READ_ONLY,
                    "42501": Cause.NO_PERMISSION, "42P01": Cause.SCHEMA, "42703": Cause.SCHEMA,
                    "XX001": Cause.CORRUPT, "XX002": Cause.CORRUPT, "55P03": Cause.LOCKED,
                    "40P01": Cause.LOCKED, "40001": Cause.LOCKED, "57P01": Cause.UNREACHABLE,
                    "53300": Cause.UNREACHABLE}


@dataclass(frozen=True)
class Fault:
    """A store's fault: what went wrong and where (None: a store this process cannot name)."""

    cause: Cause
    store: Store | None = None

    @property
    def transient(self) -> bool:
        return self.cause in TRANSIENT_CAUSES

    def sentence(self, step: str | None = None) -> str:
        where = f" in {self.store}" if self.store else ""
        before = f"Stap '{step}' mislukt" if step else "Mislukt"
        return f"{before}{where}: {self.cause}."


def store_of_path(path: str | Path | None, root: Path | None = None) -> Store | None:
    """The store a file belongs to, by its place under VROEG_HOME (None elsewhere)."""
    if not path:
        return None
    if root is None:
        from vroeg.settings import Home  # settings reads the environment: only when asked

        root = Home.from_env().root
    try:
        relative = Path(path).resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return HOME_PARTS.get(relative.parts[0]) if relative.parts else None


def _cause_of_message(message: str) -> Cause | None:
    text = message.lower()
    return next((cause for phrase, cause in _MESSAGE_CAUSES if phrase in text), None)


def fault_of(error: BaseException | None) -> Fault | None:
    """The store fault `error` is (directly or as the cause of a library's wrapper), or None."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        fault = _fault(error)
        if fault is not None:
            return fault
        error = error.__cause__ or error.__context__
    return None


def _duckdb():
    """DuckDB's module if this process has loaded it, else None: an error can only be DuckDB's
    when DuckDB was loaded, and the portal, which never opens the warehouse, must not load it
    just to classify a database error (pyproject's import contract)."""
    return sys.modules.get("duckdb")


def _fault(error: BaseException) -> Fault | None:
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError):
        # The engine's store is set by vroeg.opsdb.db.create (a handle_error listener).
        store = getattr(error, "vroeg_store", None)
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        cause = _SQLSTATE_CAUSES.get(sqlstate) or (
            Cause.UNREACHABLE if sqlstate.startswith("08") else None)
        return _known(cause or _cause_of_message(str(error.orig)), store)
    if isinstance(error, sqlite3.Error):
        # The sqlite3 driver used directly (vroeg.opsdb.db.driver_errors names the store).
        return _known(_cause_of_message(str(error)), getattr(error, "vroeg_store", None))
    duckdb = _duckdb()
    if duckdb is not None and isinstance(error, duckdb.Error):
        return _known(_cause_of_message(str(error)), Store.WAREHOUSE)
    if isinstance(error, OSError) and error.errno in _ERRNO_CAUSES:
        return Fault(_ERRNO_CAUSES[error.errno],
                     store_of_path(error.filename) or store_of_path(error.filename2))
    return None


def _known(cause: Cause | None, store: Store | None) -> Fault | None:
    return Fault(cause, store) if cause is not None else None


def transient_types() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import InterfaceError, OperationalError

    # duckdb.IOException: "Could not set lock on file" while another process writes.
    duckdb = _duckdb()
    return (ConnectionError, TimeoutError, OperationalError, InterfaceError,
            *((duckdb.IOException,) if duckdb is not None else ()))


def is_transient(error: BaseException | None) -> bool:
    """Worth retrying: a transient error, or a step failure that was one. Never bad data, and
    never a store's fault that stays until someone acts (a full or read-only disk, a missing
    table, a damaged file)."""
    if error is None or isinstance(error, DeliveryError):
        return False
    if isinstance(error, StepFailed):
        return error.transient
    fault = fault_of(error)
    if fault is not None:
        return fault.transient
    return isinstance(error, transient_types())


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))


@contextmanager
def scrubbed(step: str) -> Iterator[None]:
    try:
        yield
    except (DeliveryError, StepFailed):
        raise  # our own messages are written without values
    except Exception as exc:
        fault = fault_of(exc)
        if fault is not None:
            failed = StepFailed(fault.sentence(step))
        else:
            failed = StepFailed(f"stap '{step}' mislukt: {type(exc).__name__} bij {_where(exc)}")
        failed.transient = is_transient(exc)
        raise failed from None
