"""Keep personal data out of exceptions that leave a step.

Library exceptions may quote the data they choked on (a polars cast error lists the values; a
decoder shows the bytes). Anything unexpected that escapes a step is replaced by a StepFailed that
names the step, the exception type and where it was raised (file, line, function), which is
enough to find the defect and holds no data.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vroeg.errors import DeliveryError


class StepFailed(RuntimeError):
    """An unexpected failure inside a step, scrubbed of any message text. `transient` says
    whether the original error may pass by itself (a database briefly unreachable or locked):
    the flows retry only those (flows/policy.py)."""

    transient: bool = False


def transient_types() -> tuple[type[BaseException], ...]:
    import duckdb
    from sqlalchemy.exc import InterfaceError, OperationalError

    # duckdb.IOException: "Could not set lock on file" while another process writes.
    return (ConnectionError, TimeoutError, OperationalError, InterfaceError, duckdb.IOException)


def is_transient(error: BaseException | None) -> bool:
    """Worth retrying: a transient error, or a step failure that was one. Never bad data."""
    if error is None or isinstance(error, DeliveryError):
        return False
    if isinstance(error, StepFailed):
        return error.transient
    return isinstance(error, transient_types())


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))


@contextmanager
def scrubbed(step: str) -> Iterator[None]:
    try:
        yield
    except (DeliveryError, StepFailed):
        raise  # our own messages are written without values
    except Exception as exc:
        failed = StepFailed(f"stap '{step}' mislukt: {type(exc).__name__} bij {_where(exc)}")
        failed.transient = is_transient(exc)
        raise failed from None
