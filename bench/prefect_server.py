"""A Prefect server for the benchmark: started once, timed on its own, stopped at the end.

`prefect server start` (SQLite, no UI, analytics off) in its own session and Prefect home under
the benchmark's work folder; the flows then run against it through PREFECT_API_URL, as a data
officer's commands do against a running server. Its start-up is reported separately and never
counted in an end-to-end figure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.measure import cpu_seconds_of, peak_mb_of
from flows.prefect_env import free_port
from vroeg.process import OFFLINE


def _children(pid: int) -> list[int]:
    """The process and all its descendants (Linux /proc), so the server's workers are counted."""
    by_parent: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        by_parent.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += by_parent.get(current, [])
    return tree


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    startup_s: float
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_s(self) -> float:
        return sum(cpu_seconds_of(p) or 0.0 for p in _children(self.pid))

    def peak_rss_mb(self) -> float:
        return sum(peak_mb_of(p) or 0.0 for p in _children(self.pid))

    def stop(self) -> None:
        if self.process.poll() is None:
            # The server runs in its own session (process group = its pid): stop that group only.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start(workdir: Path, timeout: float = 180.0, extra_env: dict[str, str] | None = None) -> Server:
    """`extra_env`: more settings, e.g. PREFECT_API_DATABASE_CONNECTION_URL for a server on
    PostgreSQL (the scale-out test)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(os.environ)
    env.update({
        **OFFLINE,  # no telemetry from the server either (vroeg/process.py)
        "PREFECT_HOME": str(workdir / "prefect-server"),
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    })
    env.pop("PREFECT_API_URL", None)
    env.update(extra_env or {})
    log = workdir / "prefect-server.log"
    prefect = Path(sys.executable).with_name("prefect")
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port),
             "--analytics-off", "--no-ui"],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server stopped at start-up; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.perf_counter() - started > timeout:
            Server(process, url, 0.0, log).stop()
            raise RuntimeError(f"prefect server did not answer within {timeout:.0f} s; see {log}")
        time.sleep(0.2)
    return Server(process, url, time.perf_counter() - started, log)
