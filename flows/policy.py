"""How every task runs: no persisted results, no cache, retries on transient failures only.

A task that fails because a database was briefly unreachable or locked by another process (the
DuckDB warehouse allows one writer) is retried with growing pauses. Bad data is never retried:
it ends as quarantined rows or a refused file inside the step, and a DeliveryError that does
escape would fail the same way again. Defects (any other exception) are not retried either: a
retry would hide them, and the flow's failure notification tells the data officer.

Every step is safe to repeat (tests/flows/test_crash_safety.py), so a retry never duplicates
signals or lists.
"""

from __future__ import annotations

from typing import Any

from vroeg.safety import is_transient
from vroeg.settings import Home

#: Pauses before the first, second and third retry (seconds).
RETRY_DELAYS = [10, 60, 300]


def retry_transient(task, task_run, state) -> bool:
    """Prefect's retry_condition_fn: retry only what may succeed a moment later."""
    error = state.data if isinstance(state.data, BaseException) else None
    if error is None:
        try:
            error = state.result(raise_on_failure=False)
        except Exception:
            return False
    return is_transient(error if isinstance(error, BaseException) else None)


def task_options() -> dict[str, Any]:
    """Prefect's task options for every step (imports Prefect: only for a Prefect run)."""
    from prefect.cache_policies import NO_CACHE

    return {
        "persist_result": False,
        "cache_policy": NO_CACHE,
        "retries": len(RETRY_DELAYS),
        "retry_delay_seconds": RETRY_DELAYS,
        "retry_condition_fn": retry_transient,
    }


def notify_failure(flow: str, run_name: str, run_id: str, gemeente: str, status: str,
                   error: str | None, *, in_prefect: bool) -> None:
    """The flow failed after its steps' retries; tell the data officer (codes and ids only, see
    vroeg.notify). Used by Prefect's hook and by a flow run without Prefect (flows.runner)."""
    from vroeg import notify
    from vroeg.config import load_municipality

    home = Home.from_env()
    try:
        municipality = load_municipality(home, gemeente)
    except Exception:
        return
    where = ("Bekijk de run in Prefect (UI of 'prefect flow-run inspect')" if in_prefect else
             "De run liep zonder Prefect-server; de uitvoer van het commando zegt wat er misging")
    body = "\n".join([
        f"Flow: {flow}",
        f"Flow-run: {run_name} ({run_id})",
        f"Status: {status}" + (f", fout: {error}" if error else ""),
        f"De taken zijn zo nodig opnieuw geprobeerd; de run is daarna mislukt. {where} en start "
        "hem opnieuw wanneer de oorzaak is verholpen: wat al klaar was, wordt niet dubbel gedaan.",
    ])
    notify.notify(home.database_url, municipality,
                  notify.Message("flow", run_id, f"Flow {flow} mislukt", body))


def flow_failed(flow, flow_run, state) -> None:
    """Prefect on_failure hook (see notify_failure)."""
    gemeente = (flow_run.parameters or {}).get("gemeente")
    if not gemeente:
        return
    error = None
    try:
        result = state.result(raise_on_failure=False)
        error = type(result).__name__ if isinstance(result, BaseException) else None
    except Exception:
        error = None
    notify_failure(flow.name, flow_run.name, str(flow_run.id), gemeente, state.name, error,
                   in_prefect=True)
