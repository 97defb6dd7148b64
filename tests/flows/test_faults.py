"""Issue 19, point 18: a store's fault fails at once and says what happened.

A full disk, a read-only disk, a missing table or a damaged database fails the same way until
someone acts, so it is not retried (a locked database is); the user gets one Dutch sentence with
the cause and the store, exit code 1, no traceback. A failed write leaves no file behind.
Real SQLite, real DuckDB, real file systems (a small tmpfs where the test may mount one), the real
`vroeg` command in a subprocess on the session's Prefect server.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo_home import checkpoint, demo_copy
from tests.filesystems import fill, read_only, tmpfs

VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"


def _scrub(error: BaseException) -> BaseException:
    from vroeg.safety import scrubbed

    try:
        with scrubbed("test"):
            raise error
    except BaseException as caught:
        return caught


def _raised(fn) -> BaseException:
    try:
        fn()
    except Exception as error:
        return error
    raise AssertionError("no error")


def test_store_faults_are_not_retried_and_named(tmp_path):
    from sqlalchemy import create_engine, text

    from vroeg.opsdb import db
    from vroeg.safety import Cause, fault_of, is_transient
    from vroeg.stores import Store

    opsdb = db.create(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    vault = db.create(f"sqlite:///{tmp_path / 'kluis.sqlite'}", store=Store.VAULT)

    def fill_up():
        with opsdb.begin() as c:
            c.execute(text("CREATE TABLE t (x BLOB)"))
            c.execute(text("PRAGMA max_page_count = 8"))  # SQLite's own "disk is full"
            for _ in range(50):
                c.execute(text("INSERT INTO t VALUES (zeroblob(4000))"))

    def missing_table():
        with vault.begin() as c:
            c.execute(text("SELECT * FROM identiteiten_bestaat_niet"))

    path = tmp_path / "ro.sqlite"
    sqlite3.connect(path).close()
    ro = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    db.name_store(ro, Store.OPSDB)

    def read_only_write():
        with ro.begin() as c:
            c.execute(text("CREATE TABLE t (x INTEGER)"))

    full, missing, readonly = _raised(fill_up), _raised(missing_table), _raised(read_only_write)
    for error in (full, missing, readonly):
        assert not is_transient(error), error
        assert not is_transient(_scrub(error)), error
    assert fault_of(full).cause is Cause.NO_SPACE and fault_of(full).store is Store.OPSDB
    assert fault_of(missing).cause is Cause.SCHEMA and fault_of(missing).store is Store.VAULT
    assert fault_of(readonly).cause is Cause.READ_ONLY
    assert str(_scrub(full)) == ("Stap 'test' mislukt in de operationele database: er is geen "
                                 "ruimte meer op de schijf.")

    # A database locked by another writer passes by itself: retried.
    locker = sqlite3.connect(path.with_name("lock.sqlite"), isolation_level=None)
    locker.execute("CREATE TABLE t (x INTEGER)")
    locker.execute("BEGIN IMMEDIATE")
    waiting = create_engine(f"sqlite:///{path.with_name('lock.sqlite')}",
                            connect_args={"timeout": 0})

    def write():
        with waiting.begin() as c:
            c.execute(text("INSERT INTO t VALUES (1)"))

    try:
        locked = _raised(write)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert is_transient(locked) and is_transient(_scrub(locked))


def test_file_faults_name_the_store(tmp_path, monkeypatch):
    import errno

    from vroeg.safety import fault_of
    from vroeg.stores import Store

    monkeypatch.setenv("VROEG_HOME", str(tmp_path))
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "outbox" / "x.csv"))
    readonly = OSError(errno.EROFS, "Read-only file system", str(tmp_path / "archive" / "a.bin"))
    assert fault_of(full).sentence("publiceren") == (
        "Stap 'publiceren' mislukt in de outbox: er is geen ruimte meer op de schijf.")
    assert fault_of(readonly).store is Store.ARCHIVE
    # A path outside the stores (a partner's file name, say) is never quoted.
    elsewhere = OSError(errno.ENOSPC, "No space left on device", "/elders/Jansen.csv")
    assert "Jansen" not in fault_of(elsewhere).sentence()


def test_a_full_archive_leaves_no_temporary_file(tmp_path, keys):
    from privacy import archive

    root = tmp_path / "archief"
    with tmpfs(root, 256):
        with pytest.raises(OSError) as raised:
            archive.store(root, os.urandom(1024 * 1024), keys)
        assert raised.value.errno == 28  # ENOSPC
        assert [p for p in root.rglob("*") if p.is_file()] == []


# ----------------------------------------------------------------------------------------------
# The command as users run it
# ----------------------------------------------------------------------------------------------


def _vroeg(home, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    # No Prefect server: the command runs its flow directly (flows.runner), as on the embedded
    # default; what it says about a fault is the same through Prefect (the step's sentence).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VROEG_", "PREFECT_API"))
           and k != "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"}
    env.update(VROEG_HOME=str(home.root))
    return subprocess.run([VROEG, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=home.root.parent)


def _forget_digests(home) -> None:
    """Make the month's lists look published before list versions existed, so a run publishes
    every team's list again (tests/flows/test_crash_safety.py)."""
    connection = sqlite3.connect(home.root / "vroeg.sqlite")
    with connection:
        connection.execute("UPDATE publications SET content_sha256 = NULL")
    connection.close()
    checkpoint(home.root / "vroeg.sqlite")


def _registered(home) -> set[str]:
    connection = sqlite3.connect(home.root / "vroeg.sqlite")
    try:
        rows = connection.execute("SELECT csv_path, xlsx_path FROM publications").fetchall()
    finally:
        connection.close()
    return {path for row in rows for path in row}


def _said(result: subprocess.CompletedProcess) -> str:
    return " ".join((result.stdout + result.stderr).split())


def test_run_with_a_missing_table_fails_at_once_in_one_sentence(tmp_path, monkeypatch):
    """Today "no such table" is retried for 6.5 minutes and ends in ~1000 lines of traceback.

    The operational database is checked when a command starts (tests/vroeg/
    test_migration_chain.py), so the missing column here is in the identity vault, which only
    the publishing step opens."""
    home, demo = demo_copy(tmp_path, monkeypatch)
    _forget_digests(home)
    connection = sqlite3.connect(home.root / "vault" / "0080.sqlite")
    connection.execute("ALTER TABLE identiteiten DROP COLUMN verzegeld")  # the sealed records
    connection.close()

    result = _vroeg(home, "run", "--period", demo["periode"], timeout=150)
    said = _said(result)
    assert result.returncode == 1, said
    assert ("Fout: Stap 'publiceren' mislukt in de kluis: er ontbreekt een "
            "tabel of kolom") in said
    assert "Traceback" not in said and "OperationalError" not in said
    outbox = home.outbox_dir("0080")
    assert {str(p) for p in outbox.rglob("*") if p.is_file()} <= _registered(home)


@pytest.mark.parametrize("fault, says", [
    ("vol", "mislukt in de outbox: er is geen ruimte meer op de schijf."),
    ("alleen-lezen", "mislukt in de outbox: de schijf of het bestand is alleen-lezen."),
])
def test_run_into_a_full_or_read_only_outbox(tmp_path, monkeypatch, fault, says):
    home, demo = demo_copy(tmp_path, monkeypatch)
    _forget_digests(home)
    outbox = home.outbox_dir("0080")
    shutil.rmtree(outbox)
    with tmpfs(outbox, 128) as mounted:
        if fault == "vol":
            fill(mounted)
        else:
            read_only(mounted)
        result = _vroeg(home, "run", "--period", demo["periode"], timeout=150)
        said = _said(result)
        assert result.returncode == 1, said
        assert says in said
        assert "Traceback" not in said and "OSError" not in said and "files.py" not in said
        # Nothing half-written and nothing unregistered (no .tmp, no lone .xlsx).
        left = {str(p) for p in mounted.rglob("*") if p.is_file()
                and not p.name.startswith("vulling")}
        assert left <= _registered(home), left
