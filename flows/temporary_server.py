"""Prefect's temporary server for one command, in a process that dies with the command.

Prefect starts its own temporary ("ephemeral") server as a uvicorn subprocess that is stopped
only by an exit handler of the process that started it: a command killed outright (kill -9, the
OOM killer) left it running for good. So the command starts the same server itself
(`flows.prefect_env.start_temporary_server`), as this module run with `python -m`: it watches
its parent and stops (uvicorn's own graceful shutdown, SIGTERM) the moment the parent is gone.

Started before Prefect is imported in the command, so Prefect finds PREFECT_API_URL set and
starts no server of its own. The settings are Prefect's own for its temporary server
(prefect.server.api.server.SubprocessASGIServer): no UI, ephemeral services.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

#: What Prefect sets for its temporary server (SubprocessASGIServer._run_uvicorn_command).
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
              "PREFECT__SERVER_FINAL": "1"}
#: How often the server looks whether the command that started it is still there (seconds).
WATCH_SECONDS = 0.5


def watch_parent(parent: int) -> None:
    """Stop this process (SIGTERM: uvicorn shuts down cleanly) once `parent` is gone: the
    process is then re-parented, so its parent id changes."""
    def loop() -> None:
        while os.getppid() == parent:
            threading.Event().wait(WATCH_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=loop, name="parent-watch", daemon=True).start()


def main(parent: int, port: int) -> None:
    if os.getppid() != parent:
        return  # the command died before this process got going
    watch_parent(parent)
    import uvicorn

    uvicorn.run("prefect.server.api.server:create_app", factory=True, host="127.0.0.1",
                port=port, log_level="error", lifespan="on")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
