"""How a flow and its steps run: as Prefect flow and tasks when a Prefect API is configured, or
directly in this process when none is.

Why two ways (docs/design.md, "Commands without a Prefect server"): a command on the embedded
default has no Prefect server to report to. Starting one per command cost 13-18 s, and importing
Prefect 1.7 s, where the work of a 150-row delivery takes about one second; a data officer's
`vroeg ingest` then took half a minute. So when no Prefect API is configured, the same flow
function and the same step functions run directly, with the same retry policy, the same
failure notification and the same progress lines, and Prefect is never imported. When an API is
configured (PREFECT_API_URL in the environment or in Prefect's active profile), and always under
`vroeg serve`, the very same functions run as a Prefect flow with Prefect tasks, so every run
appears in Prefect's UI and database.

Nothing else differs: the steps, their audit lines and the operational records (deliveries,
runs, heartbeats) are the same code in both ways. A direct run has no Prefect flow-run id, so
none is recorded for it.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import os
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows import policy
from vroeg.safety import is_transient

#: Progress lines carry this marker; the CLI shows exactly those on the terminal.
MARKER = "vroeg_voortgang"


@dataclass(frozen=True)
class DirectRun:
    """A flow running in this process without Prefect: its own id for log lines."""

    id: str
    flow: str


_DIRECT: contextvars.ContextVar[DirectRun | None] = contextvars.ContextVar(
    "vroeg_direct_run", default=None)


# ----------------------------------------------------------------------------------------------
# Which way
# ----------------------------------------------------------------------------------------------


def _profile_api_url() -> str | None:
    """PREFECT_API_URL as Prefect's active profile sets it (`prefect config set ...` writes it
    to profiles.toml under PREFECT_HOME), read without importing Prefect."""
    path = os.environ.get("PREFECT_PROFILES_PATH") or str(
        Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser() / "profiles.toml")
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or data.get("active")
    profile = data.get("profiles", {}).get(active, {}) if active else {}
    value = profile.get("PREFECT_API_URL") if isinstance(profile, dict) else None
    return value or None


def prefect_configured() -> bool:
    """Is there a Prefect API to run flows against? In the environment, in Prefect's active
    profile, or in the settings of a Prefect already imported (a test harness sets them there)."""
    if os.environ.get("PREFECT_API_URL") or _profile_api_url():
        return True
    if "prefect" in sys.modules:
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    return False


def in_prefect_run() -> bool:
    """Inside a Prefect flow run (a served run, or a flow started with an API configured)?
    Without Prefect imported there cannot be one, and it is not imported to find out."""
    if "prefect" not in sys.modules:
        return False
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def current_run_id() -> str | None:
    """The Prefect flow-run id of the run we are in; None outside Prefect (a direct run)."""
    if in_prefect_run():
        from prefect.runtime import flow_run

        return flow_run.get_id()
    return None


def progress() -> logging.LoggerAdapter:
    """The logger for progress lines: Prefect's run logger inside a Prefect run (so the line
    also reaches Prefect's UI), else the `vroeg` logger. Both carry the marker."""
    if in_prefect_run():
        from prefect import get_run_logger
        from prefect.exceptions import MissingContextError

        try:
            return get_run_logger(**{MARKER: True})
        except MissingContextError:
            pass
    return logging.LoggerAdapter(logging.getLogger("vroeg"), {MARKER: True})


# ----------------------------------------------------------------------------------------------
# Steps and flows
# ----------------------------------------------------------------------------------------------


def with_retries(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a step as Prefect would with the task policy (flows.policy): a transient failure is
    tried again after the same pauses; bad data and defects are raised at once."""
    for delay in [*policy.RETRY_DELAYS, None]:
        try:
            return fn(*args, **kwargs)
        except Exception as error:
            if delay is None or not is_transient(error):
                raise
            progress().warning("Stap %s: tijdelijk probleem (%s); over %d s opnieuw.", name,
                               type(error).__name__, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


class Step:
    """A step of a flow. Inside a Prefect run it is a Prefect task (named `name`, with the task
    policy of flows.policy); elsewhere a plain call with the same retries. `fn` is the function
    itself (tests replace it to simulate a crash after the work)."""

    def __init__(self, fn: Callable[..., Any], name: str) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name = name
        self._tasks: dict[Callable[..., Any], Any] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if in_prefect_run():
            return self.as_task()(*args, **kwargs)
        return with_retries(self.name, self.fn, *args, **kwargs)

    def as_task(self) -> Any:
        """The Prefect task of the current `fn` (made once per function)."""
        task = self._tasks.get(self.fn)
        if task is None:
            from prefect import task as prefect_task

            task = self._tasks[self.fn] = prefect_task(name=self.name,
                                                       **policy.task_options())(self.fn)
        return task


def in_threads(fn: Callable[[Any], Any], items: list[Any], *, workers: int) -> list[Any]:
    """fn(item) for every item, `workers` at a time in threads, results in the items' order.

    Each call runs in a copy of this context, so a step called there belongs to this flow run
    (a Prefect task of the flow run, or a direct run), as with Prefect's own thread runner. The
    first failure is raised once the calls already started have finished; calls not yet
    started are not started. With one worker the calls run one after another in this thread.
    """
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vroeg-stap") as pool:
        futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
        for future in futures:
            if future.exception() is not None:
                for later in futures:
                    later.cancel()
                break
    return [future.result() for future in futures]


def step(name: str) -> Callable[[Callable[..., Any]], Step]:
    """Decorator: the function as a Step named `name` (the name Prefect shows for its task)."""
    return lambda fn: Step(fn, name)


class Flow:
    """A flow. With a Prefect API configured, or inside a Prefect run (a subflow), it runs as a
    Prefect flow; otherwise directly in this process: the same function, failures notified the
    same way (when `notify` is set), Prefect never imported."""

    def __init__(self, fn: Callable[..., Any], name: str, *, notify: bool = True) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name = name
        self.notify = notify
        self._flow: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # A subflow runs the way its parent does: a direct run's subflows stay direct.
        if _DIRECT.get() is None and (in_prefect_run() or prefect_configured()):
            return self.as_flow()(*args, **kwargs)
        return self.run_directly(*args, **kwargs)

    def run_directly(self, *args: Any, **kwargs: Any) -> Any:
        run = DirectRun(uuid.uuid4().hex, self.name)
        token = _DIRECT.set(run)
        try:
            return self.fn(*args, **kwargs)
        except BaseException as error:
            if self.notify and isinstance(error, Exception):
                gemeente = self._gemeente(args, kwargs)
                if gemeente:
                    policy.notify_failure(self.name, f"lokaal {run.id[:8]}", run.id, gemeente,
                                   "Failed", type(error).__name__, in_prefect=False)
            raise
        finally:
            _DIRECT.reset(token)

    def _gemeente(self, args: tuple, kwargs: dict) -> str | None:
        try:
            bound = inspect.signature(self.fn).bind_partial(*args, **kwargs)
        except TypeError:
            return None
        value = bound.arguments.get("gemeente")
        return value if isinstance(value, str) else None

    def as_flow(self) -> Any:
        """The Prefect flow (made once): what `vroeg serve` deploys and a configured API runs."""
        if self._flow is None:
            from prefect import flow as prefect_flow

            hooks = [policy.flow_failed] if self.notify else []
            self._flow = prefect_flow(name=self.name, persist_result=False,
                                      on_failure=hooks)(self.fn)
        return self._flow


@contextmanager
def direct_runs() -> Iterator[None]:
    """Every flow started inside this block runs directly, also with a Prefect API configured
    (tests that are not about Prefect, and the benchmark's steps, use it)."""
    token = _DIRECT.set(DirectRun(uuid.uuid4().hex, "direct"))
    try:
        yield
    finally:
        _DIRECT.reset(token)


def flow(name: str, *, notify: bool = True) -> Callable[[Callable[..., Any]], Flow]:
    """Decorator: the function as a Flow named `name` (Prefect's flow name when it runs there)."""
    return lambda fn: Flow(fn, name, notify=notify)
