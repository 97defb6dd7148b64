"""What running the suites gives, whichever engine runs them: failing rows and per-rule counts.

Both executors (quality.compiled, the production path, and quality.gx_engine, Great
Expectations' own engine) return exactly this, so their results can be compared one to one.
Row numbers, reason codes and counts only: never a value, which may be personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Per source row, the (reason code, standard column) pairs of the rules it fails, in suite order.
Failures = dict[int, list[tuple[str, str]]]


@dataclass(frozen=True)
class RuleResult:
    """One expectation's outcome for a delivery: counts only, never values."""

    expectation: str
    reason: str
    column: str
    success: bool
    checked: int
    failed: int
    #: The suite the expectation belongs to: the schema suite or a partner type's suite.
    suite: str = ""


class ValidationSystemError(RuntimeError):
    """An expectation itself failed to run: a defect in the suite, not bad data."""
