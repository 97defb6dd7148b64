"""The inbox channel: files a partner drops in its folder, claimed atomically.

    $VROEG_HOME/inbox/<gemeente>/<partner>/            the partner drops files here (sftp, share)
    $VROEG_HOME/inbox/<gemeente>/<partner>/claimed/    files taken by a scan, being processed
    $VROEG_HOME/inbox/<gemeente>/<partner>/geweigerd/  files refused before they were received

A scan claims a file by renaming it into claimed/ (os.rename is atomic within one file system):
when two scans race for one file, exactly one rename succeeds and the other finds the file gone,
so a file is never ingested twice. This module only moves files; flows/inbox.py ingests them.
It imports nothing heavy, so a scan starts at once.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from vroeg.files import safe_filename
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


def ready(folder: Path, *, pattern: str = "*", min_age_seconds: float = 0,
          now: float | None = None) -> list[os.DirEntry]:
    """The files in `folder` a scan would take now, oldest name first: regular files (a symbolic
    link could point anywhere on the system, and a folder is not a delivery) matching `pattern`,
    not `waiting`, unchanged for `min_age_seconds`. One directory listing: `vroeg serve` asks
    this every minute, and it opens no file."""
    now = time.time() if now is None else now
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    found = []
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
        found.append(entry)
    return found


def claim(folder: Path, *, pattern: str = "*", min_age_seconds: float = 0,
          now: float | None = None) -> list[Claimed]:
    """Take every `ready` file out of `folder` into folder/claimed/, atomically, oldest name
    first.

    The claimed name starts with a unique token, so two deliveries with the same name never
    overwrite each other, and ends with the partner's name (made safe).
    """
    target_dir = folder / CLAIMED
    target_dir.mkdir(parents=True, exist_ok=True)
    taken: list[Claimed] = []
    for entry in ready(folder, pattern=pattern, min_age_seconds=min_age_seconds, now=now):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        target = target_dir / f"{stamp}-{secrets.token_hex(4)}--{safe_filename(entry.name)}"
        try:
            os.rename(entry.path, target)
        except FileNotFoundError:
            continue  # another scan claimed it first: it is theirs
        taken.append(Claimed(path=str(target), filename=entry.name))
    return taken
