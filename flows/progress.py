"""Progress messages from inside flows, for the person at the terminal.

Inside a Prefect run, messages go through Prefect's run logger, so they also reach Prefect's UI;
in a run without Prefect (flows.runner) and outside flows (tests, the benchmark), they go to the
standard `vroeg` logger. Messages meant as progress carry the `vroeg` marker; the CLI shows
exactly those on the terminal and keeps Prefect's own task-state chatter out of sight (it stays in
Prefect's logs).
"""

from __future__ import annotations

from flows.runner import MARKER, progress

__all__ = ["MARKER", "progress"]
