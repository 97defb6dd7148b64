"""The run registry and publications in the operational database (plain values in and out)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, insert, select, update

from vroeg.errors import RunInProgress
from vroeg.opsdb import cases, db
from vroeg.opsdb.models import Publication, PublicationHousehold, Run
from vroeg.opsdb.statuses import RESUMABLE, RunKind, RunStatus

#: How often a working run records that it is alive, and after how long without a sign of
#: life it counts as dead (a process on another host, whose id cannot be checked from here).
HEARTBEAT_SECONDS = 10
STALE_AFTER = dt.timedelta(minutes=2)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives naive datetimes back (stored as UTC).
    return moment.replace(tzinfo=dt.UTC) if moment and moment.tzinfo is None else moment


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    return True


def is_alive(run: Run, now: dt.datetime | None = None) -> bool:
    """Whether the process of a "gestart" run is still working on it.

    On this host its process id says it at once (killed: gone). Elsewhere, and for an id that
    may have been reused, the heartbeat decides: no sign of life for STALE_AFTER means dead.
    """
    now = now or _now()
    last = _aware(run.heartbeat_at) or _aware(run.started_at)
    fresh = last is not None and now - last < STALE_AFTER
    if run.pid is not None and run.host == socket.gethostname():
        return fresh and _process_exists(run.pid)
    return fresh


def _in_progress(run: Run) -> RunInProgress:
    return RunInProgress(
        f"Run {run.id} van {run.period} loopt nog (proces {run.pid or '?'} op "
        f"{run.host or 'onbekende host'}, laatste teken van leven "
        f"{_aware(run.heartbeat_at or run.started_at):%Y-%m-%d %H:%M:%S} UTC). Wacht tot die "
        "klaar is; een run waarvan het proces gestopt is, wordt door de volgende overgenomen.")


def check_free(database_url: str, gemeente: str, period: str) -> None:
    """Raise RunInProgress when a run of the month is still working (nothing is written)."""
    with db.session(database_url) as s:
        for run in s.scalars(select(Run).where(Run.gemeente == gemeente, Run.period == period,
                                               Run.status == RunStatus.GESTART)):
            if is_alive(run):
                raise _in_progress(run)


def claim(database_url: str, gemeente: str, period: str, rules: str, flow_run_id: str | None,
          new_id: str, kind: RunKind = RunKind.MAAND) -> tuple[str, bool]:
    """Register this process's run of the month: (run id, whether it takes over an earlier one).

    A run of the month that is still working refuses a second one (RunInProgress). One that
    stays "gestart" while its process is gone (killed, a power cut) is marked "afgebroken".
    The newest run of the month that failed or broke off under the same rules is then finished
    under its own id: scoring is repeated (it replaces the run's scores), teams it already
    published are not published again. Otherwise a new run `new_id` starts. One transaction,
    serialised, so two runs starting at once cannot both go ahead.

    A crisis-lane run (`kind` crisis, flows.crisis) and a monthly run of the same month never
    work at once either (both write the month's lists), but neither takes over the other's
    failed run: a monthly run resumes monthly runs only, and a crisis run is never resumed (the
    next one finds the crisis households a failed one did not publish, flows.crisis).
    """
    now = _now()
    with db.serialised(database_url, f"run:{gemeente}:{period}") as s:
        of_month = s.scalars(select(Run).where(Run.gemeente == gemeente, Run.period == period)
                             .order_by(Run.started_at.desc())).all()
        for run in of_month:
            if run.status != RunStatus.GESTART:
                continue
            if is_alive(run, now):
                raise _in_progress(run)
            run.status = RunStatus.AFGEBROKEN
            run.finished_at = now
        own = [run for run in of_month if run.kind == kind]
        newest = own[0] if own and kind == RunKind.MAAND else None
        mine = {"pid": os.getpid(), "host": socket.gethostname(), "heartbeat_at": now,
                "flow_run_id": flow_run_id}
        if newest is not None and newest.status in RESUMABLE and newest.rules_version == rules:
            for key, value in mine.items():
                setattr(newest, key, value)
            newest.status = RunStatus.GESTART
            newest.finished_at = None
            return newest.id, True
        s.add(Run(id=new_id, gemeente=gemeente, period=period, rules_version=rules,
                  started_at=now, kind=kind, **mine))
        return new_id, False


def beat(database_url: str, run_id: str) -> None:
    """Record that the run's process is alive."""
    with db.session(database_url) as s:
        s.execute(update(Run).where(Run.id == run_id, Run.status == RunStatus.GESTART)
                  .values(heartbeat_at=_now()))


@contextmanager
def heartbeat(database_url: str, run_id: str) -> Iterator[None]:
    """Record the run's heartbeat every HEARTBEAT_SECONDS while the block works (a thread)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                beat(database_url, run_id)
            except Exception:
                # A missed beat (the database busy a moment) is harmless: only STALE_AFTER
                # without any marks the run dead, and the run's own work reports real faults.
                pass

    thread = threading.Thread(target=loop, name=f"heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def published(database_url: str, run_id: str) -> dict[str, Publication]:
    """The run's publications by wijkteam (detached rows)."""
    with db.session(database_url) as s:
        rows = s.scalars(select(Publication).where(Publication.run_id == run_id)).all()
        s.expunge_all()
        return {p.wijkteam: p for p in rows}


def finish(database_url: str, run_id: str, status: RunStatus,
           summary: dict | None) -> None:
    with db.session(database_url) as s:
        run = s.get(Run, run_id)
        run.status = status
        run.summary = summary
        run.finished_at = _now()


def current_publication(database_url: str, gemeente: str, wijkteam: str,
                        period: str) -> Publication | None:
    """The team's current list of the month (the newest version not replaced), detached."""
    with db.session(database_url) as s:
        found = s.scalars(select(Publication).where(
            Publication.gemeente == gemeente, Publication.wijkteam == wijkteam,
            Publication.period == period, Publication.superseded_at.is_(None))
            .order_by(Publication.version.desc(), Publication.id.desc()).limit(1)).first()
        s.expunge_all()
        return found


def rules_of_run(database_url: str, run_id: str) -> str | None:
    with db.session(database_url) as s:
        run = s.get(Run, run_id)
        return run.rules_version if run else None


def listed_households(database_url: str, publication_id: int) -> list[str]:
    """The household pseudonyms on a published list, in file order (both sections)."""
    with db.session(database_url) as s:
        return list(s.scalars(select(PublicationHousehold.huishouden_pseudoniem)
                              .where(PublicationHousehold.publication_id == publication_id)
                              .order_by(PublicationHousehold.regel)).all())


def record_publication(database_url: str, gemeente: str, run_id: str, period: str, *,
                       wijkteam: str, csv_path: Path, xlsx_path: Path, csv_sha256: str,
                       households: int, lines: Iterable[tuple[int, str]],
                       content_sha256: str | None = None, reason: str | None = None) -> int:
    """Register a written list as the team's current version of the month; returns its id.

    `households` counts the bezoeklijst; `lines` are the list's (rang, household pseudonym)
    pairs in file order, both sections: the portal needs them to log each view per household
    and to key cases by pseudonym, never by name. The list it replaces (the month's current
    one, if any) is marked superseded with `reason` in the same transaction, so there is never
    a moment with two current lists or none. The month's cases of the households on it move
    to it too (vroeg.opsdb.cases.follow_list).
    """
    lines = list(lines)
    now = dt.datetime.now(dt.UTC)
    with db.session(database_url) as s:
        replaced = s.scalars(select(Publication).where(
            Publication.gemeente == gemeente, Publication.wijkteam == wijkteam,
            Publication.period == period, Publication.superseded_at.is_(None))).all()
        latest = s.scalar(select(func.max(Publication.version)).where(
            Publication.gemeente == gemeente, Publication.wijkteam == wijkteam,
            Publication.period == period)) or 0
        publication = Publication(
            run_id=run_id, gemeente=gemeente, wijkteam=wijkteam, period=period,
            households=households, csv_path=str(csv_path), xlsx_path=str(xlsx_path),
            csv_sha256=csv_sha256, version=latest + 1, content_sha256=content_sha256,
            created_at=now,
        )
        s.add(publication)
        s.flush()
        for earlier in replaced:
            earlier.superseded_at = now
            earlier.superseded_by = publication.id
            earlier.superseded_reason = reason or "Vervangen door een nieuwere versie."
        # One executemany (Core), not an ORM object per line: a list may have thousands.
        if lines:
            s.execute(insert(PublicationHousehold),
                      [{"publication_id": publication.id, "regel": line, "rang": rang,
                        "huishouden_pseudoniem": pseudonym}
                       for line, (rang, pseudonym) in enumerate(lines, start=1)])
        # The month's cases of these households (recorded on an earlier version, or on another
        # team's list before the household moved) now point to this list: same transaction.
        cases.follow_list(s, publication, [(line, rang, pseudonym) for line, (rang, pseudonym)
                                           in enumerate(lines, start=1)])
        return publication.id
