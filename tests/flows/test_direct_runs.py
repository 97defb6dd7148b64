"""Commands without a Prefect server (flows.runner, docs/design.md): the same flows and steps
run directly in the process, Prefect is never imported, and the promises hold as they do through
Prefect: retries of transient failures only, a failed flow mailed, the same summaries.

The command tests run the installed `vroeg` as a data officer on the embedded default would:
no PREFECT_API_URL anywhere, Python's own import log (`-X importtime`) as the witness.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import row, standard_file
from tests.flows.test_flows import _valid_bsn
from tests.flows.test_notifications import notifications, notifying_home, smtp  # noqa: F401

VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"

#: Packages a command on the embedded default must not load: Prefect (no server to report to),
#: and Great Expectations' engine (the rules run compiled; quality/).
NOT_IMPORTED = ("prefect", "great_expectations")


def _imported(stderr: str) -> set[str]:
    """Top-level packages named in `python -X importtime`'s log."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def _command(root: Path, *args: str) -> tuple[dict, set[str]]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VROEG_", "PREFECT_"))}
    env.update(VROEG_HOME=str(root / "home"), PREFECT_HOME=str(root / "prefect"))
    result = subprocess.run([sys.executable, "-X", "importtime", VROEG, *args, "--json"],
                            env=env, capture_output=True, text=True, timeout=300, cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout), _imported(result.stderr)


def test_ingest_and_run_without_a_prefect_server_never_import_prefect(tmp_path):
    from privacy.keys import init_keys
    from vroeg.settings import Home

    init_keys(Home(tmp_path / "home").ensure(), "0080")
    rows = [row(signaal_id=f"DIRECT-{i}", bsn=_valid_bsn(f"999977{i}"), huisnummer=str(10 + i),
                signaaldatum="2026-11-10", bedrag="450,00") for i in range(3)]
    rows.append(row(signaal_id="DIRECT-BAD", bedrag="geen bedrag"))
    delivery = tmp_path / "levering.csv"
    delivery.write_bytes(standard_file(rows))

    ingested, modules = _command(tmp_path, "ingest", str(delivery))
    assert not modules & set(NOT_IMPORTED), modules & set(NOT_IMPORTED)
    [summary] = ingested["leveringen"]
    assert (summary["status"], summary["rijen_geladen"], summary["rijen_quarantaine"]) == (
        "geladen", 3, 1)

    run, modules = _command(tmp_path, "run", "--period", "2026-11")
    assert not modules & set(NOT_IMPORTED), modules & set(NOT_IMPORTED)
    assert run["huishoudens"] == 3 and run["lijsten"]

    # Nothing of Prefect's was made: no database, no home.
    assert not (tmp_path / "prefect").exists()
    # The operational records are those of a run through Prefect, without a Prefect run id.
    con = sqlite3.connect(tmp_path / "home" / "vroeg.sqlite")
    try:
        assert con.execute("SELECT status, flow_run_id FROM runs").fetchall() == [
            ("gepubliceerd", None)]
        assert con.execute("SELECT count(*) FROM deliveries WHERE status = 'geladen'"
                           ).fetchone() == (1,)
    finally:
        con.close()


def test_a_direct_step_retries_a_transient_failure_and_nothing_else(monkeypatch):
    from flows import policy
    from flows.runner import Step
    from vroeg.errors import DeliveryError

    monkeypatch.setattr(policy, "RETRY_DELAYS", [0, 0, 0])
    calls: list[str] = []

    def away_once(value: int) -> int:
        calls.append("try")
        if len(calls) == 1:
            raise ConnectionError("database even weg")
        return value * 2

    assert Step(away_once, "even-weg")(21) == 42
    assert calls == ["try", "try"]

    def bad_data() -> None:
        calls.append("bad")
        raise DeliveryError("kapot bestand", "BESTAND_KAPOT")

    with pytest.raises(DeliveryError):
        Step(bad_data, "slechte-data")()
    assert calls.count("bad") == 1  # bad data is never retried

    def always_away() -> None:
        calls.append("locked")
        raise ConnectionError("database blijft weg")

    with pytest.raises(ConnectionError):
        Step(always_away, "blijft-weg")()
    assert calls.count("locked") == 1 + len(policy.RETRY_DELAYS)


def test_a_failed_direct_flow_is_mailed(notifying_home, smtp):  # noqa: F811
    from flows.run import run_flow

    inbox, _ = smtp
    with pytest.raises(ValueError):
        run_flow.run_directly(gemeente="0080", period="2026-13")  # no such month
    assert inbox.subjects() == ["[Vroegsignalering 0080] Flow matchen-en-publiceren mislukt"]
    body = inbox.messages[0].get_payload()
    assert "fout: ValueError" in body and "zonder Prefect-server" in body
    assert "2026-13" not in body  # the exception's message is not passed on, only its type
    assert [n.kind for n in notifications(notifying_home)] == ["flow"]
