"""The issue's targets (issue 9, "Targets, on a 2-core machine") and how each is judged.

A target that was not measured in a run (e.g. `--no-prefect`) is reported with passed = None.
The figures are defined for the reference sizes (1,000,000 signals; about 450 for the small
scenario); at other sizes they are still computed but marked `at_reference_size: false`.
"""

from __future__ import annotations

REFERENCE_SIGNALS = {"large": 1_000_000, "small": 450}
E2E_LARGE_S = 30.0
E2E_LARGE_MB = 4096.0
PEER_FACTOR = 3.0
FLOOR_FACTOR = 3.0
E2E_SMALL_S = 10.0


def _target(id_: str, description: str, scenario: str, signals: int, value, limit: float,
            unit: str, better: str) -> dict:
    if value is None:
        passed = None
    elif better == "lower":
        passed = value < limit
    else:
        passed = value >= limit
    return {
        "id": id_, "description": description, "scenario": scenario, "value": value,
        "limit": limit, "unit": unit, "better": better, "passed": passed,
        "at_reference_size": signals == REFERENCE_SIGNALS.get(scenario),
    }


def evaluate(scenarios: dict) -> list[dict]:
    out: list[dict] = []
    large = scenarios.get("large")
    if large:
        n = large["signals"]
        e2e = large.get("prefect", {}).get("end_to_end")
        out.append(_target(
            "large.e2e_wall", "end to end through Prefect, standard CSV to published lists "
            "(server start-up not counted)", "large", n, e2e and e2e["wall_s"], E2E_LARGE_S, "s",
            "lower"))
        out.append(_target(
            "large.e2e_peak_memory", "peak memory (RSS) of the flow process, end to end", "large",
            n, e2e and e2e["peak_rss_mb"], E2E_LARGE_MB, "MB", "lower"))
        out.append(_target(
            "large.vs_peer", "times faster than the pandas peer (peer total / our end to end)",
            "large", n, large["totals"].get("peer_over_ours"), PEER_FACTOR, "x", "higher"))
        for row in large["comparison"]:
            out.append(_target(
                f"large.floor.{row['step']}", f"step '{row['step']}' within 3x of its DuckDB floor",
                "large", n, row.get("ratio_to_floor"), FLOOR_FACTOR, "x", "lower"))
    small = scenarios.get("small")
    if small:
        e2e = small.get("prefect", {}).get("end_to_end")
        out.append(_target(
            "small.e2e_wall", "monthly run of one municipality of 100,000 inhabitants, end to "
            "end through Prefect (server start-up not counted)", "small", small["signals"],
            e2e and e2e["wall_s"], E2E_SMALL_S, "s", "lower"))
    return out
