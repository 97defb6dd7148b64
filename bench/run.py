"""The benchmark: where the time goes, against the DuckDB floor and against a pandas peer.

    make bench                                       # both scenarios, 1,000,000 signals
    .venv/bin/python -m bench --scenario large --signals 200000 --no-prefect
    .venv/bin/python -m bench --scenario large --profile          # + py-spy profile per step

For each scenario: generate the standard-format file, then run in separate processes
(bench/phase.py) our steps one by one, the floor (bench/floor.py), the pandas peer, and the two
flows through Prefect against a server started once beforehand. The interactive scenario times
`vroeg ingest` and `vroeg run` as cold commands against a plain script (bench/interactive.py).
The crisis scenario times a served installation from a file landing in an inbox to the crisis
notification (bench/crisis.py).
Prints per-step tables and the targets, and writes everything as JSON
(bench/results/latest.json). See docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bench import machine, report, targets
from bench.generate import generate
from vroeg.process import OFFLINE

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
#: The day the deliveries are validated on and the month that is scored: fixed, so that a run
#: does not depend on the calendar (the data ends in October 2026).
TODAY = "2026-11-22"
END_MONTH = "2026-10"
SMALL_SIGNALS = 450
SMALL_HOUSEHOLDS_SHARE = 0.89  # 11 % of signalled households have more than one signal a month
#: The portal scenario: one month with enough signals that a wijkteam's list holds 2,000-3,600
#: households (issue 19, point 19), as in a large municipality.
PORTAL_SIGNALS = 30_000
#: The DDAS API scenario: one month with more signals than fit in one page of 50,000 (issue 15).
DDAS_API_SIGNALS = 60_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--signals", type=int, default=1_000_000,
                   help="signals in the large scenario (default 1,000,000)")
    p.add_argument("--small-signals", type=int, default=SMALL_SIGNALS,
                   help="signals in the small scenario: one month of a municipality of "
                        "100,000 inhabitants (default 450)")
    p.add_argument("--months", type=int, default=12, help="months in the large scenario")
    p.add_argument("--scenario",
                   choices=("small", "large", "portal", "interactive", "ddas-api", "crisis",
                            "all"),
                   nargs="+", default=["all"], help="one or more scenarios (default: all)")
    p.add_argument("--portal-signals", type=int, default=PORTAL_SIGNALS,
                   help="signals (one month) in the portal scenario (default 30,000)")
    p.add_argument("--ddas-api-signals", type=int, default=DDAS_API_SIGNALS,
                   help="signals (one month) in the ddas-api scenario (default 60,000)")
    p.add_argument("--coordinators", type=int, default=20,
                   help="coordinators viewing a list at once in the portal scenario")
    p.add_argument("--no-prefect", action="store_true", help="skip the end to end through Prefect")
    p.add_argument("--no-direct", action="store_true",
                   help="skip the end to end run directly (no Prefect API, a command's default)")
    p.add_argument("--no-peer", action="store_true", help="skip the pandas peer")
    p.add_argument("--no-floor", action="store_true", help="skip the DuckDB floor")
    p.add_argument("--profile", action="store_true",
                   help="run the steps under py-spy and report hot spots per step")
    p.add_argument("--seed", type=int, default=9)
    p.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where files and stores go (default: a temporary folder, removed after)")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    return p.parse_args(argv)


def _phase(name: str, scenario_dir: Path, csv: Path, env: dict, console: Console, *,
           server=None, profile_to: Path | None = None, py_spy: str | None = None,
           extra: tuple[str, ...] = ()) -> dict:
    home = scenario_dir / name
    home.mkdir(parents=True, exist_ok=True)
    out = scenario_dir / f"{name}.json"
    cmd = [sys.executable, "-m", "bench.phase", name, "--csv", str(csv), "--home", str(home),
           "--out", str(out), "--today", TODAY, "--period", END_MONTH, *extra]
    phase_env = dict(env)
    if server is not None:
        cmd += ["--server-pid", str(server.pid)]
        phase_env["PREFECT_API_URL"] = server.url
    if profile_to is not None and py_spy:
        from bench.profile import command

        cmd = command(py_spy, profile_to) + cmd
    log = scenario_dir / f"{name}.log"
    console.print(f"  {name} ...", end="")
    started = time.perf_counter()
    with open(log, "wb") as handle:
        done = subprocess.run(cmd, cwd=ROOT, env=phase_env, stdout=handle, stderr=subprocess.STDOUT)
    console.print(f" {time.perf_counter() - started:.1f} s")
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"phase {name} failed (exit {done.returncode}); log {log}:\n{tail}")
    result = json.loads(out.read_text(encoding="utf-8"))
    if name in ("prefect", "direct"):
        result["end_to_end"] = next(m for m in result["measurements"] if m["name"] == "end to end")
    return result


def _interactive(scenario_dir: Path, env: dict, municipality, seed: int,
                 console: Console) -> dict:
    """Issue 14's commands as a person runs them (bench/interactive.py). The commands validate
    against today's date, so the delivery is of the last complete month before today."""
    from bench import interactive
    from scoring.score import Period

    month = str(Period.of(municipality))
    console.print(f"[bold]interactive[/bold]: {interactive.SIGNALS} signals of {month}; plain "
                  "script, vroeg ingest, vroeg run, plain script (cold processes) ...", end="")
    gen = generate(municipality, scenario_dir / "levering.csv", signals=interactive.SIGNALS,
                   months=1, end=month,
                   households=round(interactive.SIGNALS * SMALL_HOUSEHOLDS_SHARE), seed=seed)
    started = time.perf_counter()
    result = interactive.run(scenario_dir, env, gen.path, month, ROOT)
    console.print(f" {time.perf_counter() - started:.1f} s")
    return {"signals": interactive.SIGNALS, "generate": gen.as_dict(), "interactive": result}


def _crisis(scenario_dir: Path, env: dict, municipality, server, seed: int,
            console: Console) -> dict:
    """Issue 17's served installation (bench/crisis.py): a late delivery of last month with a
    crisis signal dropped into an inbox, timed until the coordinators' notification exists."""
    from bench import crisis
    from scoring.score import Period

    month = str(Period.of(municipality))
    scenario_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]crisis[/bold]: vroeg serve, a delivery of {month} with a crisis signal "
                  "into an inbox ...", end="")
    gen = generate(municipality, scenario_dir / "gegenereerd.csv", signals=crisis.SIGNALS,
                   months=1, end=month, households=crisis.SIGNALS, bad_share=0.0, seed=seed)
    delivery = scenario_dir / "levering.csv"
    crisis.with_one_crisis(gen.path, delivery)
    started = time.perf_counter()
    result = crisis.run(scenario_dir, env, server.url, delivery, month)
    console.print(f" {time.perf_counter() - started:.1f} s")
    return {"signals": crisis.SIGNALS, "generate": gen.as_dict(), "crisis": result}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vroeg-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    # A throwaway key for synthetic data; phases get it from the environment, never a file.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VROEG_", "PREFECT_API_URL"))}
    env.update({
        "VROEG_KEY_0080": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "PREFECT_LOGGING_LEVEL": "WARNING",
        **OFFLINE,  # the phases and the Prefect server it starts: no telemetry (vroeg/process.py)
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    chosen = (["interactive", "large", "small", "portal", "ddas-api", "crisis"]
              if "all" in args.scenario
              else list(dict.fromkeys(args.scenario)))
    py_spy = None
    if args.profile:
        from bench.profile import available

        py_spy = available()
        if not py_spy:
            console.print("[yellow]py-spy not found: install the bench extra (pip install "
                          "'.[bench]'); running without profile.[/yellow]")

    from vroeg.config import load_municipality
    from vroeg.settings import Home

    municipality = load_municipality(Home(workdir), "0080")
    results: dict = {
        "benchmark": "vroegsignalering pipeline (issues 9 and 14)",
        "machine": machine.info(ROOT),
        "settings": {"scenarios": chosen, "signals": args.signals,
                     "small_signals": args.small_signals, "months": args.months,
                     "seed": args.seed, "today": TODAY, "period": END_MONTH,
                     "prefect": not args.no_prefect, "direct": not args.no_direct,
                     "peer": not args.no_peer,
                     "floor": not args.no_floor, "profile": bool(py_spy)},
        "prefect_server": None,
        "scenarios": {},
    }
    server = None
    try:
        # The crisis scenario serves an installation: it needs the server, --no-prefect or not.
        if (not args.no_prefect and set(chosen) & {"large", "small"}) or "crisis" in chosen:
            from bench import prefect_server

            console.print("Starting a Prefect server (not counted) ...", end="")
            server = prefect_server.start(workdir / "prefect")
            console.print(f" {server.startup_s:.1f} s")
            results["prefect_server"] = {"startup_s": round(server.startup_s, 2), "url": server.url}
        for name in chosen:
            scenario_dir = workdir / name
            if name == "portal":
                console.print(f"[bold]portal[/bold]: generating {args.portal_signals:,} signals "
                              "...", end="")
                gen = generate(municipality, scenario_dir / "signalen_portal.csv",
                               signals=args.portal_signals, months=1, end=END_MONTH,
                               households=round(args.portal_signals * SMALL_HOUSEHOLDS_SHARE),
                               seed=args.seed)
                console.print(f" {gen.seconds:.1f} s")
                results["scenarios"][name] = {
                    "signals": args.portal_signals, "generate": gen.as_dict(),
                    "portal": _phase("portal", scenario_dir, gen.path, env, console,
                                     extra=("--coordinators", str(args.coordinators)))}
                continue
            if name == "interactive":
                results["scenarios"][name] = _interactive(scenario_dir, env, municipality,
                                                          args.seed, console)
                continue
            if name == "crisis":
                results["scenarios"][name] = _crisis(scenario_dir, env, municipality, server,
                                                     args.seed, console)
                continue
            if name == "ddas-api":
                signals = args.ddas_api_signals
                console.print(f"[bold]ddas-api[/bold]: generating {signals:,} signals ...",
                              end="")
                gen = generate(municipality, scenario_dir / "signalen_ddas_api.csv",
                               signals=signals, months=1, end=END_MONTH,
                               households=round(signals * SMALL_HOUSEHOLDS_SHARE),
                               seed=args.seed)
                console.print(f" {gen.seconds:.1f} s")
                results["scenarios"][name] = {
                    "signals": signals, "generate": gen.as_dict(),
                    "ddas_api": _phase("ddas-api", scenario_dir, gen.path, env, console)}
                continue
            if name == "large":
                signals, months, households = args.signals, args.months, None
            else:
                signals, months = args.small_signals, 1
                households = max(1, round(signals * SMALL_HOUSEHOLDS_SHARE))
            console.print(f"[bold]{name}[/bold]: generating {signals:,} signals ...", end="")
            gen = generate(municipality, scenario_dir / f"signalen_{name}.csv", signals=signals,
                           months=months, end=END_MONTH, households=households, seed=args.seed)
            console.print(f" {gen.seconds:.1f} s")
            scenario: dict = {"signals": signals, "generate": gen.as_dict()}
            profile_raw = scenario_dir / "profile.txt" if py_spy and name == "large" else None
            scenario["steps"] = _phase("steps", scenario_dir, gen.path, env, console,
                                       profile_to=profile_raw, py_spy=py_spy)
            if not args.no_floor:
                scenario["floor"] = _phase("floor", scenario_dir, gen.path, env, console)
            if not args.no_peer:
                scenario["peer"] = _phase("peer", scenario_dir, gen.path, env, console)
            if not args.no_direct:
                scenario["direct"] = _phase("direct", scenario_dir, gen.path, env, console)
            if server is not None:
                scenario["prefect"] = _phase("prefect", scenario_dir, gen.path, env, console,
                                             server=server)
            scenario["comparison"], scenario["totals"] = report.compare(scenario)
            if profile_raw and profile_raw.exists():
                from bench.profile import summarise

                scenario["profile"] = summarise(profile_raw)
                RESULTS.mkdir(exist_ok=True)
                shutil.copy(profile_raw, RESULTS / f"profile-{name}.txt")
            results["scenarios"][name] = scenario
        if server is not None:
            results["prefect_server"]["peak_rss_mb"] = round(server.peak_rss_mb(), 1)
            results["prefect_server"]["cpu_s_total"] = round(server.cpu_s(), 2)
    finally:
        if server is not None:
            server.stop()
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    results["machine"]["load_average_at_end"] = (os.getloadavg() if hasattr(os, "getloadavg")
                                                 else None)
    results["targets"] = targets.evaluate(results["scenarios"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")

    m = results["machine"]
    method = next((s["steps"]["memory_method"] for s in results["scenarios"].values()
                   if "steps" in s), None)
    console.print(f"\nMachine: {m['cores']} cores, {m['ram_gb']} GB RAM, {m['cpu']}; Python "
                  f"{m['python']}; memory: {method}")
    # Every ratio below was measured with the machine this busy (1, 5, 15 minute averages).
    console.print("Load average at start: "
                  + ", ".join(f"{x:.1f}" for x in m.get("load_average_at_start") or [])
                  + "; at end: "
                  + ", ".join(f"{x:.1f}" for x in m.get("load_average_at_end") or []))
    busy = max((m.get("load_average_at_start") or [0])[0],
               (m.get("load_average_at_end") or [0])[0])
    if busy > 0.5 * m["cores"]:
        console.print("[yellow]The machine was busy "
                      f"(load average up to {busy:.1f} on {m['cores']} cores): wall times are "
                      "inflated; compare CPU seconds too.[/yellow]")
    if results["prefect_server"]:
        console.print(f"Prefect server start-up (not counted): "
                      f"{results['prefect_server']['startup_s']:.1f} s")
    for name in chosen:
        if name == "portal":
            report.print_portal(console, results["scenarios"][name])
            continue
        if name == "interactive":
            report.print_interactive(console, results["scenarios"][name])
            continue
        if name == "crisis":
            report.print_crisis(console, results["scenarios"][name])
            continue
        if name == "ddas-api":
            report.print_ddas_api(console, results["scenarios"][name])
            continue
        report.print_scenario(console, name, results["scenarios"][name])
        if "profile" in results["scenarios"][name]:
            from bench.profile import print_summary

            print_summary(console, results["scenarios"][name]["profile"])
            console.print("Raw profile (py-spy, collapsed stacks): "
                          f"{RESULTS / f'profile-{name}.txt'}")
    report.print_targets(console, results["targets"])
    console.print(f"Results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
