"""What every process the project starts sets first: no telemetry.

Called at the entry of the `vroeg` command (cli.main), by the portal's factory, by the benchmark
and by `flows.prefect_env.configure` (which every flow's process calls before importing Prefect),
so the settings hold however a process was started.

- **Telemetry off.** The software runs inside a municipality's network beside personal data;
  nothing it starts may phone home. Prefect has two kinds (the server's analytics, and the SDK's,
  switched off only by DO_NOT_TRACK: without it the first interactive run prints "Prefect
  collects anonymous usage data" and sends events), Great Expectations a third. These are forced,
  not defaults: no environment turns them back on by accident.
"""

from __future__ import annotations

import os

#: Forced in every process the project starts.
OFFLINE = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
}


def offline() -> None:
    """Switch off every library's telemetry (before the library is imported)."""
    os.environ.update(OFFLINE)


def harden() -> None:
    """The first thing an entry point does."""
    offline()
