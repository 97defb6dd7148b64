"""Shared fixtures. Prefect is configured before anything imports it (see flows.prefect_env)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from vroeg.process import offline

# Before any test module imports Prefect: its home, no analytics, no result persistence.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="vroeg-tests-"))
os.environ.setdefault("PREFECT_HOME", str(_SESSION_DIR / "prefect"))
for _key, _value in {
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "GX_ANALYTICS_ENABLED": "false",
}.items():
    os.environ.setdefault(_key, _value)
os.environ.pop("VROEG_GEMEENTE", None)
offline()  # DO_NOT_TRACK and the rest, as in every process the project starts
os.environ.pop("VROEG_DATABASE_URL", None)

from tests.builders import standard_file  # noqa: E402, F401  (re-exported for tests

# PostgreSQL fixtures for every test module that asks for one by name.
from tests.postgres import pg_database_url, pg_schema_url  # noqa: E402, F401


def pytest_sessionfinish(session, exitstatus):
    """The session's demo snapshots and Prefect home go with it (they hold synthetic personal
    data and test servers' databases)."""
    import shutil

    from tests.demo_home import remove_snapshots

    remove_snapshots()
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test server for the whole session (it takes ~15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(autouse=True)
def _flows_run_directly_unless_prefect(request):
    """A test that asks for `prefect_server` runs its flows through Prefect; every other test
    runs them directly (flows.runner), as a command on the embedded default does. Without this,
    a flow would take whichever way an earlier test left Prefect's settings."""
    if "prefect_server" in request.fixturenames:
        yield
        return
    from flows.runner import direct_runs

    with direct_runs():
        yield


@pytest.fixture(scope="module")
def direct_flows():
    """For a module-scoped fixture that runs flows: directly, like the tests that use it."""
    from flows.runner import direct_runs

    with direct_runs():
        yield


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty VROEG_HOME with a fresh key for the sample municipality."""
    from privacy.keys import init_keys
    from vroeg.settings import Home

    root = tmp_path / "home"
    monkeypatch.setenv("VROEG_HOME", str(root))
    monkeypatch.delenv("VROEG_KEY_0080", raising=False)
    home = Home(root).ensure()
    init_keys(home, "0080")
    return home


@pytest.fixture
def municipality(home):
    from vroeg.config import load_municipality

    return load_municipality(home, "0080")


@pytest.fixture
def ctx(home):
    from privacy.context import context

    return context("0080")


@pytest.fixture
def keys(home):
    from privacy.keys import load_keys

    return load_keys(home, "0080")
