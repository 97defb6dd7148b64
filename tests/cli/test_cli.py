"""The `vroeg` command as users run it: help for every command, and a real ingest and run.

The ingest and run tests start the installed `vroeg` in a subprocess with an empty VROEG_HOME,
without a Prefect server, exactly as a data officer on the embedded default would use it.
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

from cli import app
from tests.builders import row, standard_file

runner = CliRunner()
VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"


@pytest.mark.parametrize("command", [[], ["generate"], ["ingest"], ["run"], ["demo"], ["keys"],
                                     ["keys", "init"], ["algorithm-card"], ["exclusions"],
                                     ["exclusions", "load"], ["exclusions", "status"]])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_ingest_and_run_document_json_and_partner():
    assert "--partner" in runner.invoke(app, ["ingest", "--help"]).output
    for command in ("ingest", "run"):
        assert "--json" in runner.invoke(app, [command, "--help"]).output
    assert "--period" in runner.invoke(app, ["run", "--help"]).output
    run_help = runner.invoke(app, ["run", "--help"]).output
    assert "--dry-run" in run_help and "--weights" in run_help and "--set" in run_help


def test_keys_init_in_an_empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("VROEG_HOME", str(tmp_path / "leeg"))
    monkeypatch.delenv("VROEG_KEY_0080", raising=False)
    first = runner.invoke(app, ["keys", "init"])
    assert first.exit_code == 0, first.output
    key = tmp_path / "leeg" / "keys" / "0080.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    second = runner.invoke(app, ["keys", "init"])
    assert second.exit_code == 2 and "bestaat al" in second.output


def test_ingest_refuses_an_unknown_partner_and_a_missing_key(tmp_path, monkeypatch):
    monkeypatch.setenv("VROEG_HOME", str(tmp_path / "h"))
    monkeypatch.delenv("VROEG_KEY_0080", raising=False)
    file = tmp_path / "a.csv"
    file.write_bytes(standard_file([row()]))
    no_key = runner.invoke(app, ["ingest", str(file)])
    assert no_key.exit_code == 2 and "vroeg keys init" in no_key.output
    runner.invoke(app, ["keys", "init"])
    unknown = runner.invoke(app, ["ingest", str(file), "--partner", "bestaat-niet"])
    assert unknown.exit_code == 2 and "Onbekende partner 'bestaat-niet'" in unknown.output


def _vroeg(home: Path, *args: str) -> subprocess.CompletedProcess:
    # No Prefect server: the embedded default a data officer starts with (flows.runner).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VROEG_", "PREFECT_API"))}
    env.update(VROEG_HOME=str(home))
    return subprocess.run([VROEG, *args], env=env, capture_output=True, text=True, timeout=300,
                          cwd=home.parent)


def test_keys_init_ingest_and_run_in_an_empty_home(tmp_path):
    """The shipped sample configuration is the default: three commands, nothing else set up."""
    import datetime as dt

    from scoring.score import Period

    home = tmp_path / "var"
    period = Period.last_complete("Europe/Amsterdam")
    day = (period.start + dt.timedelta(days=3)).isoformat()
    start = (period.start - dt.timedelta(days=40)).isoformat()
    good = [row(signaal_id=f"C-{i}", huisnummer=str(i), signaaldatum=day, ontstaansdatum=start)
            for i in range(1, 6)]
    bad = row(signaal_id="C-9", postcode="12AB34", signaaldatum=day, ontstaansdatum=start)
    delivery = tmp_path / "levering.csv"
    delivery.write_bytes(standard_file([*good, bad]))
    garbage = tmp_path / "kapot.csv"
    garbage.write_bytes(b"\x00\x01\x02 geen tekst \xff")

    assert _vroeg(home, "keys", "init").returncode == 0
    ingested = _vroeg(home, "ingest", str(delivery), "--json")
    assert ingested.returncode == 0, ingested.stderr
    report = json.loads(ingested.stdout)
    assert report["totaal"] == {"rijen_gelezen": 6, "rijen_geladen": 5, "rijen_quarantaine": 1,
                                "rijen_dubbel": 0, "leveringen": 1, "klopt": True,
                                "crisishuishoudens": 0}
    assert report["leveringen"][0]["status"] == "geladen"
    assert report["leveringen"][0]["partner"] == "standaard"
    import duckdb

    con = duckdb.connect(str(home / "warehouse" / "0080.duckdb"), read_only=True)
    # Each row names its partner; a configured partner's name is recognised as that partner.
    assert con.execute("SELECT DISTINCT partner_id FROM signals").fetchall() == [("wonen-fryslan",)]
    con.close()

    again = json.loads(_vroeg(home, "ingest", str(delivery), "--json").stdout)
    assert again["totaal"]["rijen_dubbel"] == 6 and again["totaal"]["rijen_geladen"] == 0

    refused = _vroeg(home, "ingest", str(garbage), "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["leveringen"][0]["status"] == "onleesbaar"

    ran = _vroeg(home, "run", "--json")
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["periode"] == str(period)
    assert result["op_lijst"] == 5 and len(result["lijsten"]) == 9
    centrum = next(x for x in result["lijsten"] if x["wijkteam"] == "wt-centrum")
    assert centrum["huishoudens"] == 5
    assert Path(centrum["csv"]).is_relative_to(home / "outbox" / "0080" / "wt-centrum")
    assert Path(centrum["xlsx"]).exists()
    # Human output: a table on stdout, progress on stderr.
    human = _vroeg(home, "run")
    assert "wt-centrum" in human.stdout and "huishoudens gematcht" in human.stdout
