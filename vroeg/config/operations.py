"""The operations section of gemeente.yaml: when `vroeg serve` runs the flows, and who is told
by e-mail when something fails (docs/operations.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from vroeg.config.base import Section

#: How often the lists of the period are matched and published (issue 17): `monthly` publishes
#: the last complete month once; `weekly` and `daily` re-publish the current month as new list
#: versions while its signals arrive (the earlier lines, cases and contact attempts stay).
Cadence = Literal["monthly", "weekly", "daily"]

#: The day of the month the previous month is closed: its partners' monthly files (due in the
#: first days) are in, so its last run is on this day, in every cadence.
CLOSING_DAY = 5

#: The run's default schedule per cadence, at 06:00: monthly on the closing day; weekly on the
#: closing day and every 7 days after it (so a week's run always closes the previous month);
#: daily every day (the days up to the closing day still publish the previous month).
RUN_SCHEDULES: dict[str, str] = {
    "monthly": f"0 6 {CLOSING_DAY} * *",
    "weekly": f"0 6 {','.join(str(CLOSING_DAY + 7 * week) for week in range(4))} * *",
    "daily": "0 6 * * *",
}


class Schedules(Section):
    """When `vroeg serve` runs the flows (cron, in the municipality's time zone)."""

    #: Inbox folders and database views: every hour.
    collect: str = "0 * * * *"
    #: Matching and publication: unset, it follows operations.cadence (RUN_SCHEDULES; monthly:
    #: the 5th at 06:00, after the partners' monthly files, due in the first days, are in).
    run: str | None = None
    #: Retention terms: every night at 02:30.
    retention: str = "30 2 * * *"


class Notifications(Section):
    """E-mail to the data officer on a failed or rejected delivery, a flow that failed after its
    retries, or a partner overdue. The password, if the server needs one, comes from the
    environment variable named in `password_env`, never from this file."""

    smtp_host: str | None = None
    smtp_port: int = Field(25, gt=0, lt=65536)
    starttls: bool = False
    username: str | None = None
    password_env: str | None = Field(None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    sender: str = "vroegsignalering@localhost"
    recipients: list[str] = Field(default_factory=list)
    timeout_seconds: int = Field(10, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host and self.recipients)


class Operations(Section):
    """Scheduled operation (issue 7): schedules and failure notification; the matching cadence
    and how often `vroeg serve` looks into the inbox folders (issue 17)."""

    schedules: Schedules = Schedules()
    notifications: Notifications = Notifications()
    cadence: Cadence = "monthly"
    #: `vroeg serve` lists the inbox folders this often and starts the collect flow when a file
    #: is ready (a listing costs next to nothing; no flow run when nothing waits). 0: only the
    #: collect schedule picks files up.
    inbox_poll_seconds: float = Field(60, ge=0, le=3600)

    @property
    def run_schedule(self) -> str:
        """The run's cron: the configured one, else the cadence's."""
        return self.schedules.run or RUN_SCHEDULES[self.cadence]

    def cron(self, field: str) -> str:
        """The cron of a schedule field of `schedules` (the run's as run_schedule says)."""
        return self.run_schedule if field == "run" else getattr(self.schedules, field)


