"""Writing files that people or other processes read: whole or not at all."""

from __future__ import annotations

import os
import re
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place.

    A reader (a coordinator's download, the portal, a partner's pickup) sees the old file or the
    new one, never half of one, even if the process dies in between. With `mode` (e.g. 0o600 for
    a file of personal data) the temporary file is created with it, so no other user can open
    it even for a moment.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
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
    finally:
        tmp.unlink(missing_ok=True)


def safe_filename(name: str) -> str:
    """A file name for display and records only: no folders, no control characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "naamloos"
    return base[:200]
