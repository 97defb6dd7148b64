"""Channels that deliver by themselves: inbox folders and partners' database views.

    $VROEG_HOME/inbox/<gemeente>/<partner>/            the partner drops files here (sftp, share)
    $VROEG_HOME/inbox/<gemeente>/<partner>/claimed/    files taken by a scan, being processed
    $VROEG_HOME/inbox/<gemeente>/<partner>/geweigerd/  files refused before they were received
                                                       (too large, unreadable): nothing archived

A scan claims a file by renaming it into claimed/ (os.rename is atomic within one file system):
when two scans race for one file, exactly one rename succeeds and the other finds the file gone,
so a file is never ingested twice. After processing, the claimed copy is deleted: the original is
kept encrypted in the archive, and a plain copy of personal data has no reason to stay. A file
left in claimed/ was interrupted (the run failed); move it back into the inbox to retry.

`vroeg collect` runs collect_flow: every inbox partner's folder, and every SQL partner's query.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from prefect import flow, task

from flows.ingest import STEPS, TASK, TASKS, Steps, fetch_one, ingest_one
from flows.progress import progress
from vroeg import deliveries
from vroeg.config import Partner
from vroeg.context import context
from vroeg.settings import Home

CLAIMED = "claimed"
REFUSED = "geweigerd"

#: Names an uploader uses while a file is still being written, and the desktop's litter.
_IN_PROGRESS = (".part", ".partial", ".tmp", ".filepart", ".crdownload", ".upload")


@dataclass(frozen=True)
class Claimed:
    """A file taken from an inbox: where it is now, and the name the partner gave it."""

    path: str
    filename: str


def inbox_dir(home: Home, gemeente: str, partner_id: str) -> Path:
    return home.inbox_dir(gemeente) / partner_id


def ensure_inbox(home: Home, gemeente: str, partner_id: str) -> Path:
    folder = inbox_dir(home, gemeente, partner_id)
    (folder / CLAIMED).mkdir(parents=True, exist_ok=True)
    return folder


def waiting(name: str) -> bool:
    """Still being written, hidden, or an editor's lock file: not (yet) a delivery."""
    lowered = name.lower()
    return name.startswith((".", "~")) or lowered.endswith(_IN_PROGRESS)


def claim(folder: Path, *, pattern: str = "*", min_age_seconds: float = 0,
          now: float | None = None) -> list[Claimed]:
    """Take every ready file out of `folder` into folder/claimed/, atomically, oldest name first.

    Only regular files are taken: a symbolic link could point anywhere on the system, and a
    folder is not a delivery. The claimed name starts with a unique token, so two deliveries
    with the same name never overwrite each other, and ends with the partner's name (made safe).
    """
    target_dir = folder / CLAIMED
    target_dir.mkdir(parents=True, exist_ok=True)
    now = time.time() if now is None else now
    taken: list[Claimed] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return taken
    for entry in entries:
        if waiting(entry.name) or not fnmatch.fnmatch(entry.name, pattern):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < min_age_seconds:
                continue  # may still be being written; the next scan takes it
        except FileNotFoundError:
            continue  # another scan took it between listing and looking
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        target = target_dir / f"{stamp}-{secrets.token_hex(4)}--{deliveries.safe_filename(entry.name)}"
        try:
            os.rename(entry.path, target)
        except FileNotFoundError:
            continue  # another scan claimed it first: it is theirs
        taken.append(Claimed(path=str(target), filename=entry.name))
    return taken


def claim_step(gemeente: str, partner_id: str) -> list[Claimed]:
    ctx = context(gemeente)
    partner = ctx.municipality.partner(partner_id)
    folder = ensure_inbox(ctx.home, gemeente, partner.id)
    return claim(folder, pattern=partner.inbox.pattern,
                 min_age_seconds=partner.inbox.min_age_seconds)


claim_task = task(name="inbox-claimen", **TASK)(claim_step)


def settle(claimed: Claimed, summary: dict) -> None:
    """After processing: delete the claimed copy (the archive has it), or keep what was refused."""
    path = Path(claimed.path)
    if summary["status"] in deliveries.FINAL:
        path.unlink(missing_ok=True)
    elif summary["status"] == "geweigerd":
        # Nothing was archived (too large, unreadable): keep the file where the officer sees it.
        refused = path.parent.parent / REFUSED
        refused.mkdir(exist_ok=True)
        os.replace(path, refused / path.name)


def ingest_claimed(gemeente: str, claimed: Claimed, partner_id: str, today: str | None = None,
                   steps: Steps = TASKS) -> dict:
    summary = ingest_one(gemeente, claimed.path, partner_id, today, steps=steps,
                         filename=claimed.filename, channel="inbox")
    settle(claimed, summary)
    return summary


def collecting_partners(gemeente: str, partner_id: str | None = None) -> list[Partner]:
    """Partners with a channel that delivers by itself (inbox, sql), or the one asked for."""
    municipality = context(gemeente).municipality
    if partner_id is not None:
        return [municipality.partner(partner_id)]
    return [p for p in municipality.partners.values() if p.channel in ("inbox", "sql")]


def collect(gemeente: str, partner_id: str | None = None, today: str | None = None, *,
            steps: Steps = STEPS, claim_fn=claim_step) -> list[dict]:
    """Every inbox file and every database view of the municipality's partners, once."""
    logger = progress()
    results: list[dict] = []
    for partner in collecting_partners(gemeente, partner_id):
        if partner.channel == "sql":
            results.append(fetch_one(gemeente, partner.id, today, steps=steps))
            continue
        claimed = claim_fn(gemeente, partner.id)
        if not claimed:
            logger.info("%s: geen nieuwe bestanden in de inbox.", partner.id)
        for item in claimed:
            results.append(ingest_claimed(gemeente, item, partner.id, today, steps))
    return results


@flow(name="leveringen-ophalen", persist_result=False)
def collect_flow(gemeente: str, partner_id: str | None = None,
                 today: str | None = None) -> list[dict]:
    """Ingest what the partners' inbox folders hold and what their database views return."""
    return collect(gemeente, partner_id, today, steps=TASKS, claim_fn=claim_task)
