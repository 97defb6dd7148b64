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
    """An unexpected failure inside a step, scrubbed of any message text."""


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))


@contextmanager
def scrubbed(step: str) -> Iterator[None]:
    try:
        yield
    except (DeliveryError, StepFailed):
        raise  # our own messages are written without values
    except Exception as exc:  # noqa: BLE001
        raise StepFailed(f"stap '{step}' mislukt: {type(exc).__name__} bij {_where(exc)}") from None
