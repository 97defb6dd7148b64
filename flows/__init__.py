"""Prefect flows: orchestration only. Each task calls one step function from the packages beside
this one and records the audit trail; no business logic lives here.

Import `flows.prefect_env.configure` (the CLI and the tests do) before Prefect is imported, so
that Prefect keeps its state under VROEG_HOME and persists no results.
"""
