"""Engine, sessions and migrations for the operational database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from vroeg.files import private_file
from vroeg.stores import Store

MIGRATIONS = Path(__file__).parent / "migrations"


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
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    return eng


def name_store(eng: Engine, store: Store) -> None:
    """Mark every database error of `eng` with the store it belongs to."""
    @event.listens_for(eng, "handle_error")
    def _name(context) -> None:  # pragma: no cover - trivial
        if context.sqlalchemy_exception is not None:
            context.sqlalchemy_exception.vroeg_store = store


@cache
def engine(url: str) -> Engine:
    """The operational database, migrated to the newest schema."""
    eng = create(url)
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
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

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
