"""Engine, sessions and migrations for the operational database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from vroeg.files import private_file

MIGRATIONS = Path(__file__).parent / "migrations"


def create(url: str, *, wal: bool = True, foreign_keys: bool = True) -> Engine:
    """An engine for any SQLAlchemy URL; on SQLite with the pragmas every store here needs.

    Shared by the operational database and the identity vault, which both live in SQLite files
    by default and on PostgreSQL in production.
    """
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the mode of
        # the database file, so all three are the owner's only, whatever the umask.
        private_file(Path(url.removeprefix("sqlite:///")))
    eng = create_engine(url, future=True)
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
