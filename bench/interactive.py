"""The commands as a person runs them: cold processes, against a plain script in the same run.

A data officer types `vroeg ingest <file>` and then `vroeg run --period <month>` on a home with
the embedded defaults (SQLite, DuckDB, no Prefect server configured: no PREFECT_API_URL). Each is
a new process, so its imports, its start-up and whatever it starts are part of what the person
waits for; that is what is measured here, from the command's start to its exit.

Against it, in the same run on the same machine: a plain script in one new process
(`python -m bench.plain`) doing the same kind of work on the same file: read the 150 rows with
polars, an HMAC per row, an AES-GCM seal per identity, write the facts to DuckDB and the sealed
identities to SQLite, its imports included. The ratios (command / plain script) are issue 14's
interactive targets (ingest within 3x, run within 4x); the load average at the start and end is
printed with them, as the commands wait for the CPU like everything else on a shared machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

#: One delivery of a municipality of 100,000 inhabitants in a month (issue 14's "150-row delivery").
SIGNALS = 150
#: The plain script runs before and after the commands; the ratio uses the mean of the two, so
#: that a change in the machine's load during the commands weighs on both sides alike.
PLAIN_REPEATS = 2


def _timed(cmd: list[str], *, cwd: Path, env: dict, log: Path) -> float:
    started = time.perf_counter()
    with open(log, "ab") as handle:
        done = subprocess.run(cmd, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    took = time.perf_counter() - started
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd[1:3])} failed (exit {done.returncode}); log {log}:\n"
                           f"{tail}")
    return took


def _without_crisis(csv_path: Path, target: Path) -> tuple[int, Path]:
    """A copy of the delivery whose crisis signals are ordinary ones (every value kept as
    text); and how many there were."""
    import polars as pl

    frame = pl.read_csv(csv_path, separator=";", infer_schema=False)
    crises = frame.filter(pl.col("crisis") == "ja").height
    frame.with_columns(pl.lit("nee").alias("crisis")).write_csv(target, separator=";")
    return crises, target


def _load() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def run(workdir: Path, env: dict, csv_path: Path, period: str, root: Path) -> dict:
    """Time the plain script, the two commands and the plain script again; each a new process."""
    vroeg = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    # The embedded default: no Prefect server configured, nothing started beforehand.
    command_env = {k: v for k, v in env.items() if not k.startswith("PREFECT_API")}
    command_env["VROEG_HOME"] = str(home)
    log = workdir / "interactive.log"
    load_start = _load()
    plain = []
    plain_dir = workdir / "plain"

    def plain_once() -> None:
        shutil.rmtree(plain_dir, ignore_errors=True)
        plain_dir.mkdir()
        plain.append(_timed([sys.executable, "-m", "bench.plain", str(csv_path), str(plain_dir)],
                            cwd=root, env=env, log=log))

    plain_once()
    ingest_s = _timed([vroeg, "ingest", str(csv_path), "--gemeente", "0080"], cwd=workdir,
                      env=command_env, log=log)
    run_s = _timed([vroeg, "run", "--period", period, "--gemeente", "0080"], cwd=workdir,
                   env=command_env, log=log)
    # The same delivery without its crisis signals, into a home of its own: `vroeg ingest` of a
    # delivery with one publishes the crisis households in the same command (issue 17's crisis
    # lane), which the plain script does not do. Shown beside the target, not instead of it.
    crises, calm_csv = _without_crisis(csv_path, workdir / "zonder-crisis.csv")
    calm_env = {**command_env, "VROEG_HOME": str(workdir / "home-zonder-crisis")}
    calm_s = _timed([vroeg, "ingest", str(calm_csv), "--gemeente", "0080"], cwd=workdir,
                    env=calm_env, log=log)
    for _ in range(PLAIN_REPEATS - 1):
        plain_once()
    plain_s = sum(plain) / len(plain)
    return {
        "signals": SIGNALS,
        "period": period,
        "ingest_s": round(ingest_s, 3),
        "run_s": round(run_s, 3),
        "plain_s": round(plain_s, 3),
        "plain_runs_s": [round(p, 3) for p in plain],
        "ingest_over_plain": round(ingest_s / plain_s, 2),
        "run_over_plain": round(run_s / plain_s, 2),
        "crisis_signals": crises,
        "ingest_without_crisis_s": round(calm_s, 3),
        "ingest_without_crisis_over_plain": round(calm_s / plain_s, 2),
        "load_average_at_start": load_start,
        "load_average_at_end": _load(),
        "prefect_api_url": None,
    }
