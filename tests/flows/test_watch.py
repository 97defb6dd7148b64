"""Issue 17, point 3: what makes `vroeg serve`'s inbox watcher start a collect run.

The watcher's decisions, polled by hand: a directory listing that finds nothing ready starts
nothing; a ready file starts one run for its partner; one run at a time per municipality; a file
the finished run left behind starts no second run, a new one does. Starting a run goes through
Prefect (flows.watch.start_collect); here the watcher is handed a function that records what
it would start. The served test (tests/flows/test_serve.py) has Prefect start it for real.
"""

from __future__ import annotations

import os

from tests.ingesting import add_partner, inbox_partner

INBOX_PARTNER = inbox_partner("inbox-energie", "Inbox Energie", "Energie", min_age_seconds=30)


def test_a_ready_file_starts_one_collect_run_and_a_file_left_behind_no_second(home):
    from flows.watch import InboxWatcher
    from vroeg.config import load_municipality

    add_partner(home, "inbox-energie", INBOX_PARTNER)
    municipality = load_municipality(home, "0080")
    folder = home.inbox_dir("0080") / "inbox-energie"
    folder.mkdir(parents=True)
    started: list[tuple[str, str]] = []
    done: set[str] = set()

    def start(gemeente: str, partner_id: str) -> str:
        started.append((gemeente, partner_id))
        return f"run-{len(started)}"

    watcher = InboxWatcher([(home, municipality)], start=start, finished=done.__contains__)
    [watched] = watcher.watched

    def poll(*, after: float = 60) -> str | None:
        return watcher.poll(watched, now=max(p.stat().st_mtime for p in [folder, *folder.iterdir()])
                            + after)

    assert poll() is None  # an empty inbox: a listing, nothing started
    (folder / "levering.csv.part").write_bytes(b"still being written")
    (folder / "lees-mij.txt").write_bytes(b"not the partner's pattern")
    (folder / "oktober.csv").write_bytes(b"a delivery")
    assert poll(after=5) is None  # younger than min_age_seconds: maybe still being written
    assert started == []
    assert poll() == "inbox-energie"
    assert started == [("0080", "inbox-energie")]

    # While that run works, nothing more is started, also for a file that arrives meanwhile.
    (folder / "november.csv").write_bytes(b"another delivery")
    assert poll() is None and len(started) == 1

    # The run finished without taking oktober.csv (say it could not be claimed): it is not
    # offered again; november.csv, new since the run started, is.
    done.add("run-1")
    assert poll() == "inbox-energie" and len(started) == 2
    os.remove(folder / "november.csv")
    done.add("run-2")
    assert poll() is None and len(started) == 2
    # Once oktober.csv changes (the partner delivers it again), it starts a run.
    (folder / "oktober.csv").write_bytes(b"the delivery again, corrected")
    assert poll() == "inbox-energie" and len(started) == 3


def test_polling_can_be_switched_off(home):
    from flows.watch import InboxWatcher
    from vroeg.config import Operations, load_municipality

    municipality = load_municipality(home, "0080")
    off = municipality.model_copy(update={"operations": Operations(inbox_poll_seconds=0)})
    assert InboxWatcher([(home, off)]).watched == []
    assert len(InboxWatcher([(home, municipality)]).watched) == 1


def test_a_failed_start_is_tried_again_soon_not_a_whole_interval_later(home, monkeypatch):
    """At `vroeg serve`'s start a file may wait before Prefect has registered the deployment:
    the watcher logs the failure and looks again after RETRY_SECONDS, not after a minute."""
    import threading
    import time

    from flows import watch
    from vroeg.config import load_municipality

    monkeypatch.setattr(watch, "RETRY_SECONDS", 0.2)
    add_partner(home, "inbox-energie",
                inbox_partner("inbox-energie", "Inbox Energie", "Energie", min_age_seconds=0))
    folder = home.inbox_dir("0080") / "inbox-energie"
    folder.mkdir(parents=True)
    (folder / "oktober.csv").write_bytes(b"a delivery")
    attempts: list[float] = []
    started = threading.Event()

    def start(gemeente: str, partner_id: str) -> str:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RuntimeError("deployment not registered yet")
        started.set()
        return "run-1"

    watcher = watch.InboxWatcher([(home, load_municipality(home, "0080"))], start=start,
                                 finished=lambda run_id: False)
    thread, stop = watcher.start_thread()
    try:
        assert started.wait(timeout=10), "no second attempt"
    finally:
        stop.set()
        thread.join(timeout=10)
    assert len(attempts) == 2 and attempts[1] - attempts[0] < 5  # the interval is 60 s
