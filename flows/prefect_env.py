"""Prefect settings for this application, applied before Prefect is imported.

- Prefect's home (its SQLite database and logs) lives under VROEG_HOME, not in ~/.prefect, so
  that one installation's state stays together and can be inspected and cleaned as a whole.
- Results are never persisted: tasks pass frames of personal data to each other in memory, and
  Prefect must not write them to its result storage.
- Telemetry is off (`vroeg.process.harden`): forced, whatever the environment says.
Other values already in the environment win, so an operator can point PREFECT_API_URL at a real
server.
"""

from __future__ import annotations

import os

from vroeg.process import harden
from vroeg.settings import Home

DEFAULTS = {
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    # The ephemeral server takes ~15 s to start on a small machine; leave room on a busy one.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure(home: Home) -> None:
    harden()
    os.environ.setdefault("PREFECT_HOME", str(home.prefect_home))
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
