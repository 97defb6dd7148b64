"""What every process the project starts sets first: private files, no telemetry.

Called at the entry of the `vroeg` command (cli.main), by the portal's factory, by the benchmark
and by `flows.prefect_env.configure` (which every flow's process calls before importing Prefect),
so the settings hold however a process was started.

- **umask 077.** Nearly every file the project writes holds personal data or can lead to it (the
  operational database, the vault, the warehouse and its WAL, the archive, the outbox, exports,
  feedback files, keys, Prefect's database with its logs). Libraries create many of them
  (SQLite, DuckDB, openpyxl, Prefect): a restrictive umask is the one setting that reaches them
  all, whatever the operator's shell has. The stores we create ourselves are also created with
  explicit modes (vroeg.files, vroeg.opsdb.db, privacy.keys, privacy.archive,
  scoring.warehouse), which hold even under umask 000; `vroeg check` finds and repairs
  what an older installation (or another program) left more open (vroeg.files.too_open).
- **Telemetry off.** The software runs inside a municipality's network beside personal data;
  nothing it starts may phone home. Prefect has two kinds (the server's analytics, and the SDK's,
  switched off only by DO_NOT_TRACK: without it the first interactive run prints "Prefect
  collects anonymous usage data" and sends events), Great Expectations a third. These are forced,
  not defaults: no environment turns them back on by accident.
"""

from __future__ import annotations

import os

#: New files 0600 and folders 0700 (vroeg.files.PRIVATE_FILE, PRIVATE_DIR), whoever creates them.
UMASK = 0o077

#: Forced in every process the project starts.
OFFLINE = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
}


def offline() -> None:
    """Switch off every library's telemetry (before the library is imported)."""
    os.environ.update(OFFLINE)


def private_umask() -> None:
    """Files and folders created from now on, by us or by a library, are the owner's only."""
    os.umask(UMASK)


def harden() -> None:
    """Both: the first thing an entry point does."""
    private_umask()
    offline()
