"""Upcoming and recent flow runs from Prefect's REST API, when a Prefect server is configured.

Read with a short time-out and nothing more: a slow or absent Prefect server must not slow the
portal, which then shows the runs recorded in the operational database only. Only names, states
and times are shown; flow parameters are codes and paths by the project's rule, and not shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class FlowRunInfo:
    name: str
    flow: str
    state: str
    state_type: str
    expected_start: dt.datetime | None
    start: dt.datetime | None
    end: dt.datetime | None


@dataclass(frozen=True)
class PrefectRuns:
    upcoming: list[FlowRunInfo]
    recent: list[FlowRunInfo]
    error: str | None = None


def _time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _ours(run: dict, gemeente: str) -> bool:
    """Runs of this municipality (a regional server runs several); runs without one are shown."""
    parameters = run.get("parameters") or {}
    return parameters.get("gemeente") in (None, gemeente)


def flow_runs(api_url: str, gemeente: str, *, limit: int = 15, timeout: float = 3.0) -> PrefectRuns:
    base = api_url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=timeout) as client:
            upcoming = client.post("/flow_runs/filter", json={
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                "sort": "EXPECTED_START_TIME_ASC", "limit": 50})
            upcoming.raise_for_status()
            recent = client.post("/flow_runs/filter", json={
                "flow_runs": {"state": {"type": {"not_any_": ["SCHEDULED"]}}},
                "sort": "EXPECTED_START_TIME_DESC", "limit": 50})
            recent.raise_for_status()
            runs = [r for r in upcoming.json() + recent.json() if _ours(r, gemeente)]
            flow_ids = sorted({r["flow_id"] for r in runs if r.get("flow_id")})
            names: dict[str, str] = {}
            if flow_ids:
                flows = client.post("/flows/filter", json={"flows": {"id": {"any_": flow_ids}}})
                flows.raise_for_status()
                names = {f["id"]: f["name"] for f in flows.json()}
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return PrefectRuns([], [], f"Prefect-server niet bereikbaar ({type(exc).__name__}).")

    def info(run: dict) -> FlowRunInfo:
        state = run.get("state") or {}
        return FlowRunInfo(
            name=run.get("name", ""), flow=names.get(run.get("flow_id", ""), ""),
            state=state.get("name") or run.get("state_name") or "",
            state_type=state.get("type") or run.get("state_type") or "",
            expected_start=_time(run.get("expected_start_time")),
            start=_time(run.get("start_time")), end=_time(run.get("end_time")))

    return PrefectRuns(
        upcoming=[info(r) for r in upcoming.json() if _ours(r, gemeente)][:limit],
        recent=[info(r) for r in recent.json() if _ours(r, gemeente)][:limit])
