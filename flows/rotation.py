"""Key rotation as a Prefect flow: one task per step of governance.rotation's state machine.

The state lives in the key file and the operational database, not in Prefect: a failed or killed
flow run is resumed by starting the flow again (`vroeg keys rotate`). Parameters: the municipality
code only.
"""

from __future__ import annotations

from contextlib import contextmanager

from flows.progress import progress
from flows.runner import flow, step
from governance import rotation
from privacy.audit import new_trace_id
from privacy.keys import KeyProblem
from vroeg.safety import StepFailed, scrubbed
from vroeg.settings import Home


@contextmanager
def _own_messages():
    """Our own messages (counts and paths, never data) survive scrubbing; anything else does not."""
    try:
        yield
    except (rotation.RotationError, KeyProblem) as exc:
        raise StepFailed(str(exc)) from None


@step("sleutelrotatie-starten")
def start_task(gemeente: str) -> dict:
    with scrubbed("sleutelrotatie-starten"), _own_messages():
        state = rotation.start(Home.from_env(), gemeente)
    return {"van_versie": state.from_version, "naar_versie": state.to_version,
            "stap": state.step}


@step("sleutelrotatie-stap")
def step_task(gemeente: str, step: str, trace_id: str) -> dict:
    with scrubbed(f"sleutelrotatie-{step}"), _own_messages():
        return rotation.run_step(Home.from_env(), gemeente, step, trace_id=trace_id)


@flow("sleutelrotatie", notify=False)
def rotation_flow(gemeente: str) -> dict:
    """Re-key vault, warehouse and archive to a new key version (or finish an interrupted run)."""
    logger = progress()
    started = start_task(gemeente)
    logger.info("Sleutelrotatie van versie %d naar %d (%s).", started["van_versie"],
                started["naar_versie"],
                "nieuw" if started["stap"] == "sleutel" else f"hervat na stap {started['stap']}")
    trace_id = new_trace_id()
    summary = {"gemeente": gemeente, **started}
    for name in rotation.STEPS[1:]:
        counts = step_task(gemeente, name, trace_id)
        if counts:
            logger.info("Stap %s klaar: %s.", name,
                        ", ".join(f"{k} {v}" for k, v in counts.items()))
        summary[name] = counts
    return summary
