"""Does the operational database match this version of vroeg? Checked before anything uses it.

Alembic trusts the revision in `alembic_version`: a database marked at the newest migration is
never migrated again, whatever it holds. So a database whose revision this version does not know
(made by a newer version, or by one whose migrations were ordered differently) stops Alembic with
a traceback, and a database marked at the newest migration while tables or columns are missing
(made before shipped migrations were re-chained) fails later, in every command, with "no such
table". Both are found here, before any command or the portal starts its work, and reported in
Dutch with what to do. Nothing is changed by the check.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    create_engine,
    inspect,
    make_url,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from vroeg.errors import DatabaseMismatch
from vroeg.opsdb.models import Base

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"

#: The newest migration. A database already marked at it is recognised with one query, without
#: loading Alembic and its scripts (half a second of every command's start on a small machine).
#: tests/vroeg/test_migration_chain.py checks that it is Alembic's head: set it when adding one.
HEAD = "i17_0001"

#: Alembic's bookkeeping table, read without Alembic.
_VERSIONS = Table("alembic_version", MetaData(), Column("version_num", String(32)))

#: Where docs/operations.md explains the two cases (shown in the message).
DOCS = "docs/operations.md, 'De database klopt niet met deze versie'"


@cache
def scripts() -> ScriptDirectory:
    # Alembic is imported only when a database is not at HEAD (see HEAD).
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def where(url: str) -> str:
    """The database as the message names it: the file, or the URL without its password."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return parsed.database or url
    return parsed.render_as_string(hide_password=True)


def missing(connection: Connection) -> list[str]:
    """Tables, and columns of existing tables, that the models have and the database lacks."""
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    out: list[str] = []
    for table in Base.metadata.sorted_tables:
        if table.name not in present:
            out.append(table.name)
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        out += [f"{table.name}.{c.name}" for c in table.columns if c.name not in columns]
    return out


def revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions the database is marked at (none for a new database)."""
    if not inspect(connection).has_table(_VERSIONS.name):
        return ()
    return tuple(connection.execute(select(_VERSIONS.c.version_num)).scalars())


def at_head(connection: Connection, url: str) -> bool:
    """Is the database marked at the newest migration (HEAD)? Then it is also checked for
    missing tables and columns (DatabaseMismatch), and nothing needs Alembic."""
    if revisions(connection) != (HEAD,):
        return False
    _complete(connection, url, HEAD)
    return True


def check_connection(connection: Connection, url: str) -> None:
    """Raise DatabaseMismatch when the database's revision is unknown, or when it is marked at the
    newest revision but lacks tables or columns. A database behind the newest revision passes:
    migrating it is what happens next."""
    if at_head(connection, url):
        return
    known = scripts()
    head = known.get_current_head()
    current = revisions(connection)
    for revision in current:
        if revision not in {r.revision for r in known.walk_revisions()}:
            raise DatabaseMismatch(
                f"De operationele database ({where(url)}) staat op migratie '{revision}', die "
                f"deze versie van vroeg niet kent (de nieuwste die zij kent is '{head}'). De "
                "database is bijgewerkt door een andere versie van vroeg. Wat te doen: start de "
                "versie van vroeg waarmee de database het laatst is gebruikt, of zet de "
                "reservekopie van de database terug die vóór die update is gemaakt. Er is niets "
                f"gewijzigd. Zie {DOCS}.")
    if tuple(current) == (head,):
        _complete(connection, url, head)


def _complete(connection: Connection, url: str, head: str) -> None:
    lacking = missing(connection)
    if lacking:
        shown = ", ".join(lacking[:12]) + (f" en nog {len(lacking) - 12}" if len(lacking) > 12
                                           else "")
        raise DatabaseMismatch(
            f"De operationele database ({where(url)}) is gemarkeerd als bijgewerkt tot de "
            f"nieuwste migratie ('{head}'), maar mist {len(lacking)} tabel(len) of kolom(men): "
            f"{shown}. Zo'n database is gemaakt met een versie van vroeg waarvan de migraties "
            "later in een andere volgorde zijn gezet, en elke opdracht zou erop vastlopen. Wat "
            "te doen: zet de reservekopie van de database terug die vóór de laatste update is "
            "gemaakt en start opnieuw (de ontbrekende migraties lopen dan vanzelf), of laat de "
            "beheerder de database terugzetten naar de laatste migratie waarvan alle tabellen "
            f"bestaan. Er is niets gewijzigd. Zie {DOCS}.")


def check(url: str) -> None:
    """Check the operational database at `url` (see check_connection), if it exists and
    answers: a missing SQLite file is created and migrated by the command itself, and a database
    that does not answer is reported by the command that needs it."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        if not parsed.database or parsed.database == ":memory:":
            return
        if not Path(parsed.database).is_file():
            return
    eng = create_engine(url)
    try:
        with eng.connect() as connection:
            check_connection(connection, url)
    except SQLAlchemyError:
        return
    finally:
        eng.dispose()
