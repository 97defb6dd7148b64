"""Prefect settings for this application, applied before Prefect is imported.

- Prefect's home (its SQLite database and logs) lives under VROEG_HOME, not in ~/.prefect, so
  that one installation's state stays together and can be inspected and cleaned as a whole.
- Results are never persisted: tasks pass frames of personal data to each other in memory, and
  Prefect must not write them to its result storage.
- Telemetry is off (`vroeg.process.harden`): forced, whatever the environment says.
- Without PREFECT_API_URL, a command starts Prefect's temporary server itself
  (`start_temporary_server`, flows/temporary_server.py), so that it dies with the command.
Other values already in the environment win, so an operator can point PREFECT_API_URL at a real
server.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

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


class ServerDidNotStart(RuntimeError):
    """Prefect's temporary server did not answer in time (the message says so in Dutch)."""


def free_port() -> int:
    """A loopback port nobody listens on right now (the benchmark and the tests use it too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_temporary_server() -> subprocess.Popen | None:
    """Start Prefect's temporary server for this command (unless PREFECT_API_URL names one) and
    point PREFECT_API_URL at it. Call after `configure` and before Prefect is imported.

    The server stops when the command exits, and also when it is killed outright: it watches
    its parent (flows/temporary_server.py). Prefect's own temporary server outlives a command
    killed with kill -9.
    """
    from flows.temporary_server import SERVER_ENV

    if os.environ.get("PREFECT_API_URL"):
        return None
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.temporary_server", str(os.getpid()), str(port)],
        env={**os.environ, **SERVER_ENV}, stdin=subprocess.DEVNULL)
    atexit.register(_stop, process)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + float(
        os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    os.environ["PREFECT_API_URL"] = url
                    return process
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    _stop(process)
    raise ServerDidNotStart("De tijdelijke Prefect-server start niet (binnen "
                            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS).")
