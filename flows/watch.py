"""`vroeg serve` looks into the inbox folders between the collect schedule's runs (issue 17).

A crisis signal must reach the wijkteam within minutes, not at the next hourly collect run. A
thread of `vroeg serve` lists every inbox partner's folder each `operations.inbox_poll_seconds`
(60 by default): one directory listing, no file opened, nothing written, no Prefect call. Only
when a file is ready (connectors.inbox.ready: the same test the claim applies, so a file still
being written, or not matching the partner's pattern, starts nothing) does it start a run of the
municipality's collect deployment for that partner, which claims and ingests it as the
scheduled run would (and the crisis lane publishes what it holds).

Why not a deployment on a 60-second interval schedule: it would make 1,440 flow runs a day per
municipality, nearly all of them empty, in Prefect's run history and database, burying the runs
that did something; this watcher starts a run only for a delivery.

One triggered run per municipality at a time: files that arrive while it works are picked up
when it has finished. A file the finished run left in the inbox (it could not be claimed: the
folder's permissions, say) starts no second run; a changed or new file does. Files are known
here by name, size and time only, and never logged: a partner's file name may hold a
resident's name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from connectors.inbox import ready
from flows.progress import progress
from vroeg.config import Municipality
from vroeg.settings import Home

#: Name of the collect deployment of a municipality (flows.serve names them by code).
COLLECT_FLOW = "leveringen-ophalen"

#: After a failed look (Prefect not reachable, the deployment not yet registered), look again
#: this soon rather than a whole interval later.
RETRY_SECONDS = 10.0

#: A ready file as the watcher knows it: (name, size, modification time in ns).
Signature = tuple[str, int, int]


def ready_files(home: Home, municipality: Municipality,
                now: float | None = None) -> dict[str, frozenset[Signature]]:
    """Inbox partner id -> the signatures of its ready files, for the partners that have any."""
    found: dict[str, frozenset[Signature]] = {}
    for partner in municipality.partners.values():
        if partner.channel != "inbox":
            continue
        folder = home.inbox_dir(municipality.code) / partner.id
        entries = ready(folder, pattern=partner.inbox.pattern,
                        min_age_seconds=partner.inbox.min_age_seconds, now=now)
        signatures = set()
        for entry in entries:
            try:
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # claimed between listing and looking
            signatures.add((entry.name, stat.st_size, stat.st_mtime_ns))
        if signatures:
            found[partner.id] = frozenset(signatures)
    return found


def start_collect(gemeente: str, partner_id: str) -> str:
    """Start a run of the municipality's collect deployment for one partner; its id."""
    from prefect.deployments import run_deployment

    run = run_deployment(f"{COLLECT_FLOW}/{gemeente}",
                         parameters={"gemeente": gemeente, "partner_id": partner_id},
                         timeout=0, as_subflow=False, tags=["inbox"])
    return str(run.id)


def run_finished(run_id: str) -> bool:
    """Whether a flow run has reached a final state (completed, failed, crashed, cancelled)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(run_id).state
    return state is not None and state.is_final()


@dataclass
class _Watched:
    """What the watcher remembers of one municipality between polls."""

    home: Home
    municipality: Municipality
    due: float = 0.0
    #: The run it started and for which partner and files, while that run works.
    running: tuple[str, str, frozenset[Signature]] | None = None
    #: Files a finished run left behind, per partner: they start no run again.
    left: dict[str, frozenset[Signature]] = field(default_factory=dict)


class InboxWatcher:
    """Polls the inbox folders of each municipality and starts collect runs (see the module)."""

    def __init__(self, installations: Iterable[tuple[Home, Municipality]], *,
                 start: Callable[[str, str], str] = start_collect,
                 finished: Callable[[str], bool] = run_finished) -> None:
        self.watched = [_Watched(home, m) for home, m in installations
                        if m.operations.inbox_poll_seconds > 0]
        self.start = start
        self.finished = finished

    def poll(self, watched: _Watched, now: float | None = None) -> str | None:
        """One look at a municipality's inboxes; the partner whose run it started, if any."""
        gemeente = watched.municipality.code
        if watched.running is not None:
            run_id, partner_id, files = watched.running
            if not self.finished(run_id):
                return None
            watched.running = None
            current = ready_files(watched.home, watched.municipality, now).get(partner_id,
                                                                                frozenset())
            stuck = files & current
            if stuck:
                watched.left[partner_id] = watched.left.get(partner_id, frozenset()) | stuck
                progress().warning("Inbox %s/%s: %d bestand(en) staan na het ophalen nog in de "
                                   "inbox; ze worden niet opnieuw aangeboden tot ze veranderen.",
                                   gemeente, partner_id, len(stuck))
        for partner_id, files in ready_files(watched.home, watched.municipality, now).items():
            left = watched.left.get(partner_id, frozenset())
            watched.left[partner_id] = left & files  # forget what is gone
            new = files - left
            if not new:
                continue
            run_id = self.start(gemeente, partner_id)
            watched.running = (run_id, partner_id, files)
            progress().info("Inbox %s/%s: %d nieuw(e) bestand(en); leveringen ophalen gestart.",
                            gemeente, partner_id, len(new))
            return partner_id
        return None

    def run(self, stop: threading.Event) -> None:
        """Poll every municipality at its interval until `stop` is set. An error (Prefect not
        reachable yet, the deployment not yet registered) is logged and tried again at the next
        poll: the watcher must not die and leave the inboxes to the hourly schedule unseen."""
        while self.watched and not stop.is_set():
            now = time.monotonic()
            for watched in self.watched:
                if watched.due > now:
                    continue
                watched.due = now + watched.municipality.operations.inbox_poll_seconds
                try:
                    self.poll(watched)
                except Exception as exc:  # see the docstring: log, try again
                    # Soon: at start-up the deployments may simply not be registered yet.
                    retry = min(RETRY_SECONDS, watched.municipality.operations.inbox_poll_seconds)
                    watched.due = now + retry
                    progress().warning("Inbox %s: kijken mislukt (%s); over %g s opnieuw.",
                                       watched.municipality.code, type(exc).__name__, retry)
            stop.wait(max(0.0, min(w.due for w in self.watched) - time.monotonic()))

    def start_thread(self) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="inbox-watcher",
                                  daemon=True)
        thread.start()
        return thread, stop
