"""Writing files that people or other processes read: whole or not at all."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

#: Everything under VROEG_HOME is the owner's only: files 0600, folders 0700 (vroeg/process.py).
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """Create a folder (and its parents) readable by the owner only, whatever the umask.

    Folders that already exist keep their mode (`vroeg check` repairs them); a new one is
    0700, since mkdir's mode can only be narrowed by the umask. (Path.mkdir(parents=True) gives
    the missing parents the umask's mode, hence the walk up.)
    """
    if not path.is_dir():
        private_dir(path.parent)
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass  # made by another process in between (or a file: the next open says so)
    return path


def private_file(path: Path) -> Path:
    """Create an empty file readable by the owner only if it does not exist yet, so a library
    that opens it afterwards (SQLite, DuckDB) keeps its mode, whatever the umask."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return path


def too_open(root: Path) -> Iterator[tuple[Path, int]]:
    """Every file and folder under `root` (itself included) that others may read, write or
    enter: (path, its mode). Symbolic links are not followed."""
    for path in [root, *sorted(root.rglob("*"))]:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue  # removed while we looked
        if stat.S_ISLNK(info.st_mode):
            continue
        if stat.S_IMODE(info.st_mode) & 0o077:
            yield path, stat.S_IMODE(info.st_mode)


def make_private(path: Path) -> int:
    """Narrow a file to 0600 (keeping its owner's execute bit) or a folder to 0700; new mode."""
    info = path.lstat()
    if stat.S_ISDIR(info.st_mode):
        mode = PRIVATE_DIR
    else:
        mode = PRIVATE_FILE | (stat.S_IMODE(info.st_mode) & stat.S_IXUSR)
    os.chmod(path, mode)
    return mode


def write_atomic(path: Path, data: bytes, *, mode: int | None = PRIVATE_FILE) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place.

    A reader (a coordinator's download, the portal, a partner's pickup) sees the old file or the
    new one, never half of one, even if the process dies in between. With `mode` (e.g. 0o600 for
    a file of personal data) the temporary file is created with it, so no other user can open
    it even for a moment. Files are private unless a caller passes another mode (None: the
    umask decides).
    """
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.unlink(missing_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        with os.fdopen(os.open(tmp, flags, 0o666 if mode is None else mode), "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # exactly `mode`, whatever the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        name_file(exc, path)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def name_file(error: OSError, path: Path) -> None:
    """Name the file a write failed on, where the error does not (a write to an open file says
    only "No space left on device"), so the failure can say which store is full
    (vroeg.safety.fault_of)."""
    if not error.filename:
        error.filename = str(path)


def safe_filename(name: str) -> str:
    """A file name for display and records only: no folders, no control characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "naamloos"
    return base[:200]
