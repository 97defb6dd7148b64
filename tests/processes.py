"""Processes a test starts (vroeg serve, Prefect workers), each with its own log, stopped at the
end by their own ids: SIGINT first (Prefect pauses schedules and finishes cleanly), then kill."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class Processes:
    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[tuple[subprocess.Popen, object]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(args, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def stop(self) -> None:
        for process, log in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()
