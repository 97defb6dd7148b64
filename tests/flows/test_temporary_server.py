"""Issue 19, point 17: Prefect's temporary server does not outlive `vroeg serve` killed outright.

A real `vroeg serve` without PREFECT_API_URL starts a temporary Prefect server for itself; the
command is killed with SIGKILL (no exit handler runs) once it serves, and the server process must
be gone shortly after. (Other commands start no server at all without PREFECT_API_URL: they run
their flows directly, tests/flows/test_direct_runs.py.)
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.demo_home import demo_copy
from tests.flows.test_faults import VROEG
from tests.processes import Processes

PROC = Path("/proc")


def _children(pid: int) -> dict[int, str]:
    """Child processes of `pid`: their id and command line."""
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(
                    b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
    return found


def _running(pid: int) -> bool:
    try:
        state = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _servers_of(pid: int) -> list[int]:
    """The temporary Prefect servers `pid` started (Prefect's own or ours)."""
    return [child for child, line in _children(pid).items()
            if "prefect.server.api.server" in line or "flows.temporary_server" in line]


def _kill_and_expect_gone(command, server: int, what: str) -> None:
    """kill -9 the command (no exit handler runs); its server must stop within 30 s."""
    os.kill(command.pid, signal.SIGKILL)
    command.wait(timeout=30)
    gone_by = time.monotonic() + 30
    while time.monotonic() < gone_by and _running(server):
        time.sleep(0.2)
    assert not _running(server), f"de tijdelijke Prefect-server van {what} draait nog"


@pytest.mark.skipif(not PROC.is_dir(), reason="zonder /proc zijn de kindprocessen niet te zien")
def test_the_temporary_server_dies_with_a_killed_serve(tmp_path, monkeypatch):
    """`vroeg serve` without PREFECT_API_URL: its temporary server goes when it is killed."""
    home, _demo = demo_copy(tmp_path, monkeypatch)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VROEG_") and k != "PREFECT_API_URL"}
    env.update(VROEG_HOME=str(home.root), COLUMNS="200")
    processes = Processes(tmp_path)
    server = None
    try:
        command = processes.start("serve", [VROEG, "serve", "--gemeente", "0080"], env)
        deadline = time.monotonic() + 240
        # Serving: the deployments are registered with the temporary server.
        while (time.monotonic() < deadline and command.poll() is None
               and "Bezig; stop met Ctrl-C" not in processes.log("serve")):
            time.sleep(0.2)
        assert "Bezig; stop met Ctrl-C" in processes.log("serve"), processes.log("serve")
        servers: list[int] = []
        while time.monotonic() < deadline and command.poll() is None and not servers:
            servers = _servers_of(command.pid)
            time.sleep(0.2)
        assert len(servers) == 1, _children(command.pid)
        time.sleep(5)  # serving: the deployments are registered and the runner polls
        server = servers[0]
        _kill_and_expect_gone(command, server, "vroeg serve")
    finally:
        if server is not None and _running(server):
            os.kill(server, signal.SIGKILL)
        processes.stop()
