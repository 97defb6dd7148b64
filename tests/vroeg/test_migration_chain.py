"""The operational database's migrations: shipped ones are never re-chained, and a database that
does not match this version is reported when a command starts, in Dutch, with what to do.

A re-chained migration (a shipped revision given another `down_revision`, or a new one inserted
before a shipped one) leaves databases made earlier marked at a revision that no longer means
the same tables: Alembic then skips migrations they never had. The recorded chain below makes
that a failing test; the start-up check catches the databases already affected.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.portal_support import free_port

VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"

#: Every shipped migration, oldest first, with its down_revision. Append a line when a migration
#: ships; never change or reorder one (a new migration chains after the last line).
SHIPPED: list[tuple[str, str | None]] = [
    ("0001", None),
    ("i6_0001", "0001"),
    ("i5_0001", "i6_0001"),
    ("i3_0001", "i5_0001"),
    ("i7_0001", "i3_0001"),
    ("i13_0001", "i7_0001"),
    ("i19_0001", "i13_0001"),
    ("i19_0002", "i19_0001"),
    ("i19_0003", "i19_0002"),
    ("i15_0001", "i19_0003"),
    ("i17_0001", "i15_0001"),
]


def test_shipped_migrations_are_never_rechained():
    from vroeg.opsdb.schema_check import scripts

    known = scripts()
    chain = [(r.revision, r.down_revision) for r in reversed(list(known.walk_revisions()))]
    assert len(known.get_heads()) == 1, "the migrations have more than one head"
    # The shipped ones come first, in their order, with their down_revision; new ones follow.
    assert chain[:len(SHIPPED)] == SHIPPED, (
        "a shipped migration was re-chained or a new one inserted before it; chain new "
        f"migrations after {SHIPPED[-1][0]} instead. Now: {chain}")


def test_the_head_commands_recognise_without_alembic_is_alembics_head():
    from vroeg.opsdb.schema_check import HEAD, scripts

    assert scripts().get_current_head() == HEAD, "set schema_check.HEAD to the new migration"


def _database(root: Path) -> Path:
    """A home whose operational database is migrated to the newest revision."""
    from vroeg.opsdb import db
    from vroeg.settings import Home

    home = Home(root)
    db.engine(home.database_url).dispose()
    return Path(home.database_url.removeprefix("sqlite:///"))


def _state(path: Path) -> tuple:
    with sqlite3.connect(path) as con:
        return (con.execute("SELECT version_num FROM alembic_version").fetchall(),
                con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall())


def _vroeg(home: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VROEG_")}
    env["VROEG_HOME"] = str(home)
    return subprocess.run([VROEG, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=home.parent)


def _assert_reported(result: subprocess.CompletedProcess, *phrases: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "alembic" not in output.lower(), output
    assert "Fout:" in output and "Wat te doen" in output, output
    assert "Er is niets gewijzigd" in " ".join(output.split()), output
    for phrase in phrases:
        assert phrase in " ".join(output.split()), output


@pytest.mark.parametrize("kind", ["tabel ontbreekt", "onbekende migratie"])
def test_a_mismatched_database_is_reported_at_the_start_of_a_command_and_the_portal(
        home, kind):
    path = _database(home.root)
    with sqlite3.connect(path) as con:
        if kind == "tabel ontbreekt":
            # What a database made before a re-chain looks like: marked at head, tables missing.
            con.execute("DROP TABLE notifications")
            phrases = ("gemarkeerd als bijgewerkt", "notifications", "reservekopie")
        else:
            # Made by a newer version of vroeg (or a chain this version does not know).
            con.execute("UPDATE alembic_version SET version_num = 'i99_0001'")
            phrases = ("'i99_0001'", "niet kent", "reservekopie")
    before = _state(path)

    _assert_reported(_vroeg(home.root, "users", "list"), *phrases)
    # The portal refuses to start the same way, instead of serving pages that fail.
    _assert_reported(_vroeg(home.root, "portal", "--port", str(free_port())), *phrases)
    assert _state(path) == before  # nothing was changed by the check
