"""Scheduled operation: one deployment per flow and municipality, served by `vroeg serve`.

Deployments are named by the municipality code, so `prefect deployment ls` shows
`leveringen-ophalen/0080`, `matchen-en-publiceren/0080` and `bewaartermijnen/0080`, and a run is
started by hand with `prefect deployment run matchen-en-publiceren/0080`. Schedules come from the
municipality's configuration (operations.schedules) in its own time zone, so a monthly run at
06:00 stays at 06:00 across daylight saving time. The only parameter is the municipality code:
keys and configuration are read by the flow itself, never stored in Prefect's database. Between
the collect schedule's runs, flows.watch starts a collect run as soon as a file lands in an inbox.
The run's schedule follows the matching cadence (operations.cadence) unless set explicitly.
"""

from __future__ import annotations

from flows.watch import InboxWatcher
from vroeg.config import Municipality
from vroeg.settings import Home

#: (flow, schedule field of operations.schedules), in the order `vroeg serve` lists them.
SCHEDULED = (
    ("flows.served:collect_flow", "collect"),
    ("flows.served:run_flow", "run"),
    ("flows.served:retention_flow", "retention"),
)


def flow_of(path: str):
    import importlib

    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def deployments(municipality: Municipality) -> list:
    """The municipality's scheduled deployments (Prefect RunnerDeployment objects)."""
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.types.entrypoint import EntrypointType

    result = []
    for path, field in SCHEDULED:
        fn = flow_of(path)
        cron = CronSchedule(cron=municipality.operations.cron(field),
                            timezone=municipality.timezone)
        deployment = fn.to_deployment(
            name=municipality.code,
            schedule=cron,
            parameters={"gemeente": municipality.code},
            tags=[f"gemeente-{municipality.code}"],
            description=f"{fn.description or fn.name} ({municipality.name})",
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        # Prefect derives the entrypoint from the function, whose module attribute is the
        # flows.runner.Flow around it; the Prefect flow itself lives in flows.served.
        deployment.entrypoint = path.replace(":", ".")
        result.append(deployment)
    return result


def serve(municipalities: list[Municipality], limit: int | None = None,
          home: Home | None = None) -> None:
    """Register the deployments and run their scheduled and hand-started runs until stopped;
    meanwhile watch the inbox folders and start a collect run when a file is ready
    (flows.watch)."""
    from prefect import serve as prefect_serve

    home = home or Home.from_env()
    _, stop = InboxWatcher([(home, m) for m in municipalities]).start_thread()
    try:
        prefect_serve(*[d for m in municipalities for d in deployments(m)], limit=limit,
                      print_starting_message=False)
    finally:
        stop.set()
