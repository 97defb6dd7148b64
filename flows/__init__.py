"""Flows: orchestration only. Each step calls one step function from the packages beside this
one and records the audit trail; no business logic lives here.

A flow runs through Prefect when a Prefect API is configured (and under `vroeg serve`), and
directly in the command's process when none is (flows.runner). Import
`flows.prefect_env.configure` (the CLI and the tests do) before Prefect is imported, so that
Prefect keeps its state under VROEG_HOME and persists no results.
"""
