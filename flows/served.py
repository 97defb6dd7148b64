"""The scheduled flows as Prefect flow objects, for `vroeg serve` and the runs it starts.

A flow is a flows.runner.Flow, which makes its Prefect flow only when one is needed (a command
without a Prefect server never imports Prefect). A served deployment's entrypoint must name a
Prefect flow, so this module, imported by `vroeg serve` only, holds them under the names of the
flows they are made from.
"""

from __future__ import annotations

from flows import inbox, retention, run

collect_flow = inbox.collect_flow.as_flow()
run_flow = run.run_flow.as_flow()
retention_flow = retention.retention_flow.as_flow()
