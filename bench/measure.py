"""Wall time, CPU time and peak memory (RSS) of a block of code.

Peak memory per step. Linux keeps a process's peak resident set (VmHWM in /proc/self/status) and
lets the process reset it to the current RSS by writing "5" to /proc/self/clear_refs. A step resets
it on entry and reads it on exit, so its peak is exact: no allocation between two samples can be
missed, also not inside a C call that holds the GIL. Steps nest: before an inner step resets the
counter, the peak so far is folded into every enclosing step.

Where that is not available (not Linux, or clear_refs not writable) a sampler thread reads the RSS
every 10 ms instead and each step takes the largest sample it saw; that can miss short peaks, and
the result says which method was used.

The peak is the whole process's RSS, so it includes what earlier steps still hold (the frames a
flow also holds at that point); `rss_start_mb` and `peak_delta_mb` show the step's own share.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _status_kb(key: str, path: str = _STATUS) -> int | None:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb(pid: int | None = None) -> float:
    path = _STATUS if pid is None else f"/proc/{pid}/status"
    kb = _status_kb("VmRSS", path)
    if kb is not None:
        return kb / 1024
    import resource  # not Linux: the lifetime peak is the best the OS tells

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_mb_of(pid: int) -> float | None:
    """Lifetime peak RSS of another process (e.g. the Prefect server), if the OS tells."""
    kb = _status_kb("VmHWM", f"/proc/{pid}/status")
    return kb / 1024 if kb is not None else None


def _reset_hwm() -> bool:
    try:
        with open(_CLEAR_REFS, "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


@dataclass
class Measurement:
    name: str
    rows: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    rss_start_mb: float = 0.0
    peak_rss_mb: float = 0.0
    parts: list[Measurement] = field(default_factory=list)
    note: str | None = None

    @property
    def rows_per_s(self) -> float | None:
        return self.rows / self.wall_s if self.rows and self.wall_s > 0 else None

    def as_dict(self) -> dict:
        out = {
            "name": self.name,
            "rows": self.rows,
            "wall_s": round(self.wall_s, 4),
            "cpu_s": round(self.cpu_s, 4),
            "rows_per_s": round(self.rows_per_s, 1) if self.rows_per_s else None,
            "rss_start_mb": round(self.rss_start_mb, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "peak_delta_mb": round(max(0.0, self.peak_rss_mb - self.rss_start_mb), 1),
        }
        if self.note:
            out["note"] = self.note
        if self.parts:
            out["parts"] = [p.as_dict() for p in self.parts]
        return out


class Meter:
    """Measures nested steps of this process; see the module docstring for the method."""

    def __init__(self, interval: float = 0.01):
        self.exact = _status_kb("VmHWM") is not None and _reset_hwm()
        self.method = ("VmHWM reset per step (exact)" if self.exact
                       else f"RSS sampled every {interval * 1000:.0f} ms")
        self._active: list[Measurement] = []
        self._lock = threading.Lock()
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if not self.exact:
            self._thread = threading.Thread(target=self._sample, daemon=True, name="rss-sampler")
            self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self._fold(rss_mb())

    def _fold(self, value: float) -> None:
        with self._lock:
            for m in self._active:
                m.peak_rss_mb = max(m.peak_rss_mb, value)

    def _hwm(self) -> float:
        return (_status_kb("VmHWM") or 0) / 1024

    @contextmanager
    def step(self, name: str, rows: int | None = None) -> Iterator[Measurement]:
        m = Measurement(name, rows)
        if self._active:
            self._active[-1].parts.append(m)
        if self.exact:
            self._fold(self._hwm())  # the enclosing steps' peak so far, before the reset
            _reset_hwm()
        m.rss_start_mb = rss_mb()
        m.peak_rss_mb = m.rss_start_mb
        with self._lock:
            self._active.append(m)
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield m
        finally:
            m.wall_s = time.perf_counter() - wall
            m.cpu_s = time.process_time() - cpu
            self._fold(self._hwm() if self.exact else rss_mb())
            with self._lock:
                self._active.remove(m)

    def close(self) -> None:
        self._stop.set()


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def cpu_seconds_of(pid: int) -> float | None:
    """User + system CPU seconds used so far by another process (Linux), else None."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
