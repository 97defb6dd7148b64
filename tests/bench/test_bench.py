"""Smoke test of the benchmark (bench/): it runs, measures every step, and its floor is honest.

No timing is asserted here (speed is the benchmark's own report, never a test's verdict); this
checks that `python -m bench` runs end to end on a small file, writes complete results, that the
DuckDB floor's SQL HMAC equals Python's hmac, and that floor and pipeline agree on what they did.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests import REPO_ROOT

ROOT = REPO_ROOT
SIGNALS = 2000


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--signals", str(SIGNALS), "--scenario", "large",
         "--no-prefect", "--out", str(out), "--workdir", str(tmp / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Targets (docs/benchmark.md)" in done.stdout
    return json.loads(out.read_text(encoding="utf-8"))


def _positive(measurement: dict) -> None:
    assert measurement["wall_s"] > 0, measurement["name"]
    assert measurement["peak_rss_mb"] > 0, measurement["name"]
    assert measurement["rows"] is None or measurement["rows"] > 0, measurement["name"]


def test_every_step_is_measured_with_positive_numbers(results):
    from bench.steps import STEPS

    large = results["scenarios"]["large"]
    assert large["signals"] == SIGNALS
    for phase, expected in (("steps", STEPS), ("floor", STEPS),
                            ("peer", ("read", "validate", "pseudonymise", "score", "publish"))):
        by_name = {m["name"]: m for m in large[phase]["measurements"]}
        assert set(expected) <= set(by_name), phase
        for name in expected:
            _positive(by_name[name])
            assert by_name[name]["rows"], (phase, name)
    assert [r["step"] for r in large["comparison"]] == list(STEPS)
    assert all(r["ratio_to_floor"] > 0 for r in large["comparison"])
    assert large["totals"]["peer_over_ours"] > 0


def test_floor_hmac_equals_python_hmac(results):
    check = results["scenarios"]["large"]["floor"]["hmac_check"]
    assert check["equal"] is True
    assert check["compared"] >= 15 and check["mismatches"] == 0


def test_floor_and_pipeline_did_the_same_work(results):
    large = results["scenarios"]["large"]
    ours, floor = large["steps"]["counts"], large["floor"]["counts"]
    assert ours["rows_read"] == floor["rows_read"] == SIGNALS
    assert ours["adds_up"]
    assert ours["rows_quarantined"] == floor["rows_quarantined"] > 0
    assert (ours["households"], ours["listed"]) == (floor["households"], floor["listed"])
    assert ours["listed_written"] == ours["listed"]


def test_results_describe_machine_and_targets(results):
    machine = results["machine"]
    assert machine["cores"] >= 1 and machine["python"]
    assert all(machine["versions"][p] for p in ("duckdb", "polars", "pandas",
                                                  "great_expectations", "prefect"))
    ids = {t["id"] for t in results["targets"]}
    assert {"large.e2e_wall", "large.vs_peer", "large.floor.validate"} <= ids
    skipped = next(t for t in results["targets"] if t["id"] == "large.e2e_wall")
    assert skipped["passed"] is None  # --no-prefect: not measured, not "passed"


def test_direct_end_to_end_does_the_work_of_the_steps(results):
    """The end to end as a command runs it by default (no Prefect API): the same rows read,
    loaded and quarantined, the same households listed as the step functions one by one."""
    large = results["scenarios"]["large"]
    direct, ours = large["direct"], large["steps"]["counts"]
    assert direct["end_to_end"]["wall_s"] > 0
    assert direct["counts"]["adds_up"] and direct["counts"]["status"]
    for key in ("rows_read", "rows_loaded", "rows_quarantined", "households", "listed"):
        assert direct["counts"][key] == ours[key], key
    assert large["totals"]["ours_for_peer_ratio"] == "direct_end_to_end"
    assert large["totals"]["peer_over_direct"] == large["totals"]["peer_over_ours"] > 0
    assert "large.e2e_wall_direct" in {t["id"] for t in results["targets"]}
