"""Engine, sessions and migrations for the operational database."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from vroeg.files import private_file
from vroeg.opsdb import schema_check
from vroeg.safety import Cause, fault_of
from vroeg.stores import Store

MIGRATIONS = Path(__file__).parent / "migrations"

#: How long a statement waits for another writer's lock before it fails, in milliseconds: SQLite's
#: busy_timeout, PostgreSQL's lock_timeout (None: PostgreSQL's default, wait indefinitely). The
#: flows wait long (a run's writes queue behind each other and nobody watches them); the portal
#: waits briefly (`set_lock_wait`) and answers 503 instead, as a person is waiting.
_lock_wait: dict[str, int | None] = {"sqlite": 30_000, "postgresql": None}


def set_lock_wait(seconds: float) -> None:
    """How long statements of this process wait for another writer's lock (SQLite's
    busy_timeout, PostgreSQL's lock_timeout). SQLite's applies from the next statement on;
    PostgreSQL's is read when a connection is opened, so call it when the process starts (the
    portal does)."""
    ms = max(int(seconds * 1000), 1)
    _lock_wait.update(sqlite=ms, postgresql=ms)


def sqlite_lock_wait() -> float:
    """How long this process's SQLite statements wait for another writer's lock, in seconds."""
    return (_lock_wait["sqlite"] or 0) / 1000


def busy(error: BaseException) -> bool:
    """The database was busy with another writer (locked, or a conflicting transaction): the
    same request may well succeed in a moment. Not: a full disk, a missing table, bad SQL.
    One home for what counts as locked: vroeg.safety (SQLite's and DuckDB's phrases, PostgreSQL's
    lock_not_available, serialization_failure and deadlock_detected)."""
    fault = fault_of(error) if isinstance(error, DBAPIError) else None
    return fault is not None and fault.cause is Cause.LOCKED


def create(url: str, *, wal: bool = True, foreign_keys: bool = True,
           store: Store = Store.OPSDB) -> Engine:
    """An engine for any SQLAlchemy URL; on SQLite with the pragmas every store here needs.

    Shared by the operational database and the identity vault, which both live in SQLite files
    by default and on PostgreSQL in production. `store` is named on the engine's errors, so a
    fault (a full disk, a missing table) says which store it hit (vroeg.safety.fault_of).
    """
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the mode of
        # the database file, so all three are the owner's only, whatever the umask.
        private_file(Path(url.removeprefix("sqlite:///")))
    eng = create_engine(url, future=True)
    name_store(eng, store)
    if eng.dialect.name == "sqlite":
        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            # WAL lets readers (the portal) work while a flow writes; foreign keys are off by
            # default in SQLite and the cascades (quarantine, cases) need them.
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            if foreign_keys:
                cursor.execute("PRAGMA foreign_keys=ON")
            # Destroyed rows (identities, cases, the household pseudonyms of destroyed lists)
            # are zeroed on disk, not left in free pages; Debian's SQLite does this by default,
            # other builds not.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()
        _busy_timeout_on_checkout(eng)
    elif eng.dialect.name == "postgresql":
        @event.listens_for(eng, "connect")
        def _pg_lock_timeout(dbapi_connection, _record):  # pragma: no cover - trivial
            if _lock_wait["postgresql"] is not None:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute(f"SET lock_timeout = {int(_lock_wait['postgresql'])}")
                dbapi_connection.commit()
    return eng


def _busy_timeout_on_checkout(eng: Engine) -> None:
    """SQLite's busy_timeout set each time a pooled connection is handed out (a PRAGMA costs
    microseconds), so `set_lock_wait` holds for connections opened before it was called too."""

    @event.listens_for(eng, "checkout")
    def _busy_timeout(dbapi_connection, _record, _proxy):  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(_lock_wait['sqlite'])}")
        cursor.close()


@contextmanager
def driver_errors(store: Store) -> Iterator[None]:
    """Around code that uses the sqlite3 driver itself (a fast path past SQLAlchemy): its errors
    name the store, as SQLAlchemy's do through name_store, so that a failure says where
    (vroeg.safety.fault_of) instead of ending in a traceback."""
    try:
        yield
    except sqlite3.Error as error:
        error.vroeg_store = store
        raise


def name_store(eng: Engine, store: Store) -> None:
    """Mark every database error of `eng` with the store it belongs to."""
    @event.listens_for(eng, "handle_error")
    def _name(context) -> None:  # pragma: no cover - trivial
        if context.sqlalchemy_exception is not None:
            context.sqlalchemy_exception.vroeg_store = store


@cache
def engine(url: str) -> Engine:
    """The operational database, migrated to the newest schema.

    First checked against this version's migrations and models (vroeg.opsdb.schema_check): a
    database with an unknown revision, or marked at the newest one with tables missing, raises
    DatabaseMismatch with what to do, instead of failing in Alembic or in every query after."""
    eng = create(url)
    with eng.connect() as connection:
        if schema_check.at_head(connection, url):
            return eng  # nothing to migrate: Alembic is not even loaded
        schema_check.check_connection(connection, url)
    migrate(eng)
    return eng


def migrate(eng: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with eng.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it (Alembic's batch mode) and dropping the
            # original; with foreign keys on, that drop would delete the rows pointing to it
            # (ON DELETE CASCADE: a delivery's quarantine). SQLite's own procedure: foreign keys
            # off outside the transaction, checked before it commits, on again afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("a migration left rows whose foreign key points nowhere")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


@contextmanager
def session(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    factory = sessionmaker(engine(url), expire_on_commit=False)
    with factory() as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


@cache
def immediate_engine(url: str) -> Engine:
    """A second engine on a SQLite file whose transactions start with BEGIN IMMEDIATE (the write
    lock first, so a read-then-write is not interleaved with another writer's: the sign-in throttle,
    the audit chain's appends). SQLAlchemy's
    recipe "pysqlite: serializable isolation": switch off pysqlite's own BEGIN and emit ours."""
    eng = create_engine(url, future=True)
    name_store(eng, Store.OPSDB)

    @event.listens_for(eng, "connect")
    def _connect(dbapi_connection, _record):  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    _busy_timeout_on_checkout(eng)

    @event.listens_for(eng, "begin")
    def _begin(connection):  # pragma: no cover - trivial
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return eng


@contextmanager
def serialised(url: str, name: str) -> Iterator[Session]:
    """A session whose transaction runs alone among those serialised under the same `name`, so
    that what it counts is still true when it writes (a check-then-insert, such as the sign-in
    throttle's). PostgreSQL: a transaction-level advisory lock on a hash of the name; SQLite:
    BEGIN IMMEDIATE, the database's write lock. Commits on success; keep it short."""
    main = engine(url)  # migrated first
    eng = immediate_engine(url) if main.dialect.name == "sqlite" else main
    factory = sessionmaker(eng, expire_on_commit=False)
    with factory() as s:
        try:
            if eng.dialect.name == "postgresql":
                key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big",
                                     signed=True)
                s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            else:
                s.connection()  # begin now: BEGIN IMMEDIATE takes the lock before any read
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
