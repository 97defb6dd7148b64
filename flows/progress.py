"""Progress messages from inside flows, for the person at the terminal.

Flows log through Prefect's run logger, so every message also reaches Prefect's UI. Messages meant
as progress carry the `vroeg` marker; the CLI shows exactly those on the terminal and keeps
Prefect's own task-state chatter out of sight (it stays in Prefect's logs).

Step functions also run outside Prefect (tests, the benchmark): there, messages go to the
standard `vroeg` logger instead.
"""

from __future__ import annotations

import logging

from prefect import get_run_logger
from prefect.exceptions import MissingContextError

MARKER = "vroeg_voortgang"


def progress() -> logging.LoggerAdapter:
    try:
        return get_run_logger(**{MARKER: True})
    except MissingContextError:
        return logging.LoggerAdapter(logging.getLogger("vroeg"), {MARKER: True})
