"""Issue 19, point 5: every file with personal data is the owner's only (0600, folders 0700),
whatever the umask, and `vroeg check` reports and repairs an installation that is more open.

The stores are made by the real components: an ingest through every step (archive, operational
database, vault, warehouse), a published list; first in this process under a
permissive umask (the explicit modes must hold by themselves), then as the installed `vroeg`
started from a shell with umask 000 (the command's own umask covers what libraries and Prefect
create).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import row, standard_file

VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"


def _open_to_others(root: Path) -> list[str]:
    """Every file or folder under `root` (itself included) that group or others may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
            found.append(f"{stat.S_IMODE(mode):04o} {path.relative_to(root)}")
    return sorted(found)


@pytest.fixture
def umask():
    """Set the process's umask for one test, and put the old one back after."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield os.umask
    os.umask(previous)


@pytest.mark.parametrize("mask", [0o022, 0o000])
def test_the_stores_are_private_whatever_the_umask(tmp_path, monkeypatch, umask, mask):
    from flows.ingest import ingest_files
    from privacy.context import context
    from privacy.keys import init_keys
    from publishing.visit_list import ListRow, PageHeading, write_list
    from vroeg.settings import Home

    umask(mask)
    root = tmp_path / "home"
    monkeypatch.setenv("VROEG_HOME", str(root))
    monkeypatch.delenv("VROEG_KEY_0080", raising=False)
    home = Home(root).ensure()
    init_keys(home, "0080")
    delivery = tmp_path / "invoer" / "levering.csv"
    delivery.parent.mkdir()
    delivery.write_bytes(standard_file([row(signaal_id="PRIV-1")]))

    [summary] = ingest_files("0080", [str(delivery)])
    assert summary["status"] == "geladen", summary
    line = ListRow(rang=1, score=10, naam="A. Testpersoon", straatnaam="Proefstraat",
                   postcode="8911 AB", huisnummer="12", huisnummertoevoeging="",
                   woonplaats="Leeuwarden", telefoon="0580000001", signalen="Huur",
                   totaal_bedrag_cent=62000, crisis=False, redenen="huur")
    written = write_list(home.outbox_dir("0080") / "wt-centrum", "2026-10", "wt-centrum", [line],
                         title="Bezoeklijst", about=[],
                         heading=PageHeading("Wijkteam Centrum", "oktober 2026", "test"))
    ctx = context("0080")
    assert ctx.vault.count() >= 1  # the vault file exists and holds the identity

    # What must be there, so the walk below looks at the real stores.
    for expected in ("vroeg.sqlite", "vault/0080.sqlite", "warehouse/0080.duckdb", "keys/0080.key"):
        assert (root / expected).is_file(), expected
    assert written.csv_path.is_file() and written.xlsx_path.is_file()
    assert any((root / "archive" / "0080").rglob("*.bin"))
    assert _open_to_others(root) == []


def test_vroeg_started_with_umask_000_leaves_nothing_open(prefect_server, tmp_path):
    """The installed command, as an operator with a careless shell runs it; Prefect's own
    database (flow parameters, log lines) is in its home too."""
    root = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VROEG_", "PREFECT_HOME"))}
    env.update(VROEG_HOME=str(root))
    delivery = tmp_path / "levering.csv"
    delivery.write_bytes(standard_file([row(signaal_id="PRIV-2")]))

    def vroeg(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([VROEG, *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=600, preexec_fn=lambda: os.umask(0))

    for args in (["keys", "init"], ["ingest", str(delivery), "--json"]):
        done = vroeg(*args)
        assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["leveringen"][0]["status"] == "geladen"
    assert (root / "vault" / "0080.sqlite").is_file()
    assert _open_to_others(root) == []


def test_check_reports_and_fixes_an_installation_that_is_too_open(tmp_path, monkeypatch):
    from cli import app

    root = tmp_path / "home"
    (root / "outbox" / "0080" / "wt-centrum").mkdir(parents=True)
    plain = root / "outbox" / "0080" / "wt-centrum" / "2026-10.csv"
    plain.write_text("naam\n")
    (root / "vroeg.sqlite").write_bytes(b"")
    for path, mode in ((root, 0o755), (root / "outbox", 0o755), (plain, 0o644),
                       (root / "vroeg.sqlite", 0o664)):
        os.chmod(path, mode)
    os.chmod(root / "outbox" / "0080", 0o700)
    os.chmod(root / "outbox" / "0080" / "wt-centrum", 0o700)
    monkeypatch.setenv("VROEG_HOME", str(root))
    runner = CliRunner()

    found = runner.invoke(app, ["check"])
    assert found.exit_code == 1, found.output
    assert "Te open (0644): bestand home/outbox/0080/wt-centrum/2026-10.csv" in found.output
    assert "Te open (0664): bestand home/vroeg.sqlite" in found.output
    assert "vroeg check --fix" in found.output
    assert len(_open_to_others(root)) == 4  # checking changes nothing

    fixed = runner.invoke(app, ["check", "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert "Hersteld: 4" in fixed.output
    assert _open_to_others(root) == []
    assert stat.S_IMODE(plain.stat().st_mode) == 0o600
    assert stat.S_IMODE(root.stat().st_mode) == 0o700

    again = runner.invoke(app, ["check", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["te_open"] == []
