"""Comparison of the phases, and the tables printed at the end of a run."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bench.steps import STEPS


def _by_name(phase: dict | None) -> dict[str, dict]:
    """Measurements by step name. A floor may measure a step more than one way ("pseudonymise
    (python)" beside "pseudonymise"): the fastest is the floor."""
    if not phase:
        return {}
    out: dict[str, dict] = {}
    for m in phase["measurements"]:
        step = m["name"].split(" (")[0]
        if step not in out or m["wall_s"] < out[step]["wall_s"]:
            out[step] = m
    return out


def _total(phase: dict | None) -> float | None:
    if not phase:
        return None
    return sum(m["wall_s"] for m in _by_name(phase).values() if m["name"].split(" (")[0] in STEPS)


def compare(scenario: dict) -> tuple[list[dict], dict]:
    """Per step: ours, floor, peer and the ratios; and the totals."""
    ours, floor, peer = (_by_name(scenario.get(k)) for k in ("steps", "floor", "peer"))
    rows = []
    for step in STEPS:
        o, f, p = ours.get(step), floor.get(step), peer.get(step)
        row = {"step": step, "ours_s": o and o["wall_s"], "floor_s": f and f["wall_s"],
               "peer_s": p and p["wall_s"]}
        row["ratio_to_floor"] = (round(o["wall_s"] / f["wall_s"], 2)
                                 if o and f and f["wall_s"] > 0 else None)
        # CPU seconds are steadier on a busy machine; DuckDB's count both its threads.
        row["ratio_to_floor_cpu"] = (round(o["cpu_s"] / f["cpu_s"], 2)
                                     if o and f and f["cpu_s"] > 0 else None)
        row["peer_over_ours"] = (round(p["wall_s"] / o["wall_s"], 2)
                                 if o and p and o["wall_s"] > 0 else None)
        rows.append(row)
    totals = {
        "ours_steps_s": _total(scenario.get("steps")),
        "floor_s": _total(scenario.get("floor")),
        "peer_s": _total(scenario.get("peer")),
    }
    e2e = scenario.get("prefect", {}).get("end_to_end")
    direct = scenario.get("direct", {}).get("end_to_end")
    totals["prefect_end_to_end_s"] = e2e and e2e["wall_s"]
    totals["direct_end_to_end_s"] = direct and direct["wall_s"]
    # The ratio of the target: a command's default way (direct, no Prefect API) when measured,
    # else through Prefect, else the sum of the steps. Both end-to-end ratios are kept.
    reference, totals["ours_for_peer_ratio"] = next(
        ((value, name) for name, value in (
            ("direct_end_to_end", totals["direct_end_to_end_s"]),
            ("prefect_end_to_end", totals["prefect_end_to_end_s"]),
            ("steps", totals["ours_steps_s"])) if value), (None, "steps"))
    totals["peer_over_ours"] = (round(totals["peer_s"] / reference, 2)
                                if totals["peer_s"] and reference else None)
    for way in ("direct", "prefect"):
        value = totals[f"{way}_end_to_end_s"]
        totals[f"peer_over_{way}"] = (round(totals["peer_s"] / value, 2)
                                      if totals["peer_s"] and value else None)
    totals["ours_over_floor"] = (round(totals["ours_steps_s"] / totals["floor_s"], 2)
                                 if totals["ours_steps_s"] and totals["floor_s"] else None)
    return rows, totals


def _f(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _rate(m: dict) -> str:
    return _f(round(m["rows_per_s"]), 0) if m.get("rows_per_s") else "-"


def print_scenario(console: Console, name: str, scenario: dict) -> None:
    gen = scenario["generate"]
    console.print(
        f"\n[bold]Scenario {name}[/bold]: {scenario['signals']:,} signals, {gen['households']:,} "
        f"addresses, {gen['months']} months ({gen['first_day']} .. {gen['last_day']}), "
        f"{gen['bytes'] / 2**20:,.1f} MB CSV generated in {gen['seconds']:.1f} s")
    floor = _by_name(scenario.get("floor"))
    peer = _by_name(scenario.get("peer"))
    comparison = {r["step"]: r for r in scenario["comparison"]}
    table = Table(title=f"Steps ({name}), each a project step function, no Prefect",
                  title_justify="left")
    for col in ("step", "rows", "wall s", "rows/s", "cpu s", "peak RSS MB", "+MB", "floor s",
                "x floor", "x floor cpu", "peer s", "peer/ours"):
        table.add_column(col, justify="left" if col == "step" else "right")

    def add(m: dict, indent: str = "") -> None:
        step = m["name"]
        row = comparison.get(step, {})
        table.add_row(
            indent + step, _f(m["rows"]), _f(m["wall_s"]), _rate(m), _f(m["cpu_s"]),
            _f(m["peak_rss_mb"], 0), _f(m["peak_delta_mb"], 0),
            _f(floor[step]["wall_s"]) if step in floor and not indent else "",
            _f(row.get("ratio_to_floor"), 1) if not indent else "",
            _f(row.get("ratio_to_floor_cpu"), 1) if not indent else "",
            _f(peer[step]["wall_s"]) if step in peer and not indent else "",
            _f(row.get("peer_over_ours"), 2) if not indent else "",
        )
        for part in m.get("parts", []):
            add(part, indent + "  ")

    for m in scenario["steps"]["measurements"]:
        add(m)
    t = scenario["totals"]
    table.add_row("[bold]total (no setup)[/bold]", "", _f(t["ours_steps_s"]), "", "", "", "",
                  _f(t["floor_s"]), _f(t["ours_over_floor"], 1), "", _f(t["peer_s"]),
                  _f(round(t["peer_s"] / t["ours_steps_s"], 2) if t["peer_s"] and t["ours_steps_s"]
                     else None))
    console.print(table)
    prefect = scenario.get("prefect")
    if prefect:
        byname = _by_name(prefect)
        e2e = prefect["end_to_end"]
        parts = {p["name"]: p for p in e2e.get("parts", [])}
        console.print(
            f"Through Prefect: [bold]{e2e['wall_s']:.2f} s[/bold] end to end "
            f"(ingest_flow {parts['ingest_flow']['wall_s']:.2f} s + run_flow "
            f"{parts['run_flow']['wall_s']:.2f} s), peak RSS {e2e['peak_rss_mb']:,.0f} MB; "
            f"not counted: imports {byname['import']['wall_s']:.2f} s, warm-up flow "
            f"{byname['warm-up flow']['wall_s']:.2f} s; Prefect server CPU during the flows "
            f"{_f(prefect.get('server_cpu_s_during_flows'))} s"
            + (f"; peer / Prefect = {t['peer_over_prefect']:.2f}x." if t.get("peer_over_prefect")
               else "."))
    direct = scenario.get("direct")
    if direct:
        e2e = direct["end_to_end"]
        parts = {p["name"]: p for p in e2e.get("parts", [])}
        console.print(
            f"Directly (no Prefect API, a command's default): [bold]{e2e['wall_s']:.2f} s"
            f"[/bold] end to end, {e2e['cpu_s']:.2f} s CPU (ingest_flow "
            f"{parts['ingest_flow']['wall_s']:.2f} s + run_flow {parts['run_flow']['wall_s']:.2f}"
            f" s), peak RSS {e2e['peak_rss_mb']:,.0f} MB; not counted: imports "
            f"{_by_name(direct)['import']['wall_s']:.2f} s.")
    if t["peer_over_ours"] is not None:
        console.print(f"Peer (pandas + GX + hmac per value) total {t['peer_s']:.2f} s; peer / ours "
                      f"({t['ours_for_peer_ratio'].replace('_', ' ')}) = "
                      f"{t['peer_over_ours']:.2f}x.")


def print_interactive(console: Console, scenario: dict) -> None:
    m = scenario["interactive"]
    table = Table(title=f"Commands as a person runs them: {m['signals']} signals of "
                        f"{m['period']}, cold processes, no Prefect server configured",
                  title_justify="left")
    for col in ("what", "wall s", "x plain script"):
        table.add_column(col, justify="left" if col == "what" else "right")
    table.add_row("plain script (polars, hmac, AES-GCM, DuckDB, SQLite; mean of "
                  f"{len(m['plain_runs_s'])}: {', '.join(_f(x) for x in m['plain_runs_s'])})",
                  _f(m["plain_s"]), "1.0")
    crises = m.get("crisis_signals")
    table.add_row("vroeg ingest" if crises is None else
                  f"vroeg ingest ({crises} crisis signal(s): the crisis lane publishes them)",
                  _f(m["ingest_s"]), _f(m["ingest_over_plain"], 1))
    if "ingest_without_crisis_s" in m:
        table.add_row("  the same delivery without crisis signals (not a target)",
                      _f(m["ingest_without_crisis_s"]),
                      _f(m["ingest_without_crisis_over_plain"], 1))
    table.add_row(f"vroeg run --period {m['period']}", _f(m["run_s"]),
                  _f(m["run_over_plain"], 1))
    console.print(table)
    start, end = m.get("load_average_at_start"), m.get("load_average_at_end")
    if start and end:
        console.print(f"Load average (1 min) during these: {start[0]:.1f} at start, "
                      f"{end[0]:.1f} at end.")


def print_crisis(console: Console, scenario: dict) -> None:
    m = scenario["crisis"]
    table = Table(title=f"Served installation: a delivery of {m['period']} with a crisis signal "
                        f"({m['signals']} signals) dropped into an inbox; the watcher looks every "
                        f"{m['inbox_poll_seconds']:g} s", title_justify="left")
    for col in ("what", "wall s"):
        table.add_column(col, justify="left" if col == "what" else "right")
    table.add_row(f"file landed -> {m['end_point']}", _f(m["inbox_to_notification_s"]))
    steps = m.get("milestones") or {}
    for key, label in (("received_s", "  of which until the collect run received the file "
                                      "(watcher, runner, the run's start)"),
                       ("loaded_s", "  ... until the delivery was loaded"),
                       ("notified_s", "  ... until the crisis lane recorded the notification")):
        if steps.get(key) is not None:
            table.add_row(label, _f(steps[key]))
    table.add_row("vroeg serve start-up, until its deployments are registered (not counted)",
                  _f(m["serve_startup_s"]))
    console.print(table)
    start, end = m.get("load_average_at_start"), m.get("load_average_at_end")
    if start and end:
        console.print(f"Load average (1 min) during this: {start[0]:.1f} at start, "
                      f"{end[0]:.1f} at end.")


def print_portal(console: Console, scenario: dict) -> None:
    m = scenario["portal"]
    table = Table(title=f"Portal: list page of {m['list_households']:,} households "
                        f"({m['wijkteam']}), {m['coordinators']} coordinators x {m['rounds']} "
                        f"views, writer: {m['writer_batches']} x {m['writer_lines_per_batch']:,} "
                        "audit lines", title_justify="left")
    for col in ("load", "views", "p50 s", "p95 s", "max s", "mean s"):
        table.add_column(col, justify="left" if col == "load" else "right")
    for label, key in (("idle (one coordinator)", "idle"), ("under load", "under_load")):
        s = m[key]
        table.add_row(label, str(s["views"]), _f(s["p50_s"]), _f(s["p95_s"]), _f(s["max_s"]),
                      _f(s["mean_s"]))
    console.print(table)
    console.print(f"HTTP statuses under load: {m['statuses']}; p95 under load / idle median: "
                  f"{m['p95_over_idle']}x")


def print_ddas_api(console: Console, scenario: dict) -> None:
    m = scenario["ddas_api"]
    table = Table(title=f"DDAS API: page 1 of a month of {m['period_signals']:,} signals "
                        f"({m['paginering']})", title_justify="left")
    for col in ("answer", "signals", "seconds", "server peak MB"):
        table.add_column(col, justify="left" if col == "answer" else "right")
    table.add_row(f"page of {m['small_page_size']:,}", f"{m['small_page_size']:,}",
                  _f(m["small_page_s"]), _f(m["server_peak_mb_after_small_page"]))
    table.add_row(f"page of {m['page_size']:,} (best of {len(m['page_s'])})",
                  f"{m['page_signals']:,}", _f(m["page_best_s"]), _f(m["server_peak_mb"]))
    table.add_row("file export, whole month (in process)", f"{m['period_signals']:,}",
                  _f(m["export_s"]), "-")
    console.print(table)
    console.print(f"Answer: {m['page_bytes'] / 1e6:.1f} MB; statuses {m['statuses']}; page / "
                  f"export {m['page_over_export']}x")


def print_targets(console: Console, targets: list[dict]) -> None:
    table = Table(title="Targets (docs/benchmark.md)", title_justify="left")
    for col in ("target", "value", "limit", "result"):
        table.add_column(col, justify="left" if col == "target" else "right")
    for t in targets:
        op = (("<=" if t["unit"] == "x" else "<") if t["better"] == "lower" else ">=")
        result = {True: "[green]pass[/green]", False: "[red]FAIL[/red]",
                  None: "not measured"}[t["passed"]]
        if t["passed"] is not None and not t["at_reference_size"]:
            result += " (not at reference size)"
        table.add_row(t["id"], f"{_f(t['value'])} {t['unit']}" if t["value"] is not None else "-",
                      f"{op} {_f(t['limit'], 0)} {t['unit']}", result)
    console.print(table)
