"""The operations section of gemeente.yaml: when `vroeg serve` runs the flows, and who is told
by e-mail when something fails (docs/operations.md)."""

from __future__ import annotations

from pydantic import Field

from vroeg.config.base import Section


class Schedules(Section):
    """When `vroeg serve` runs the flows (cron, in the municipality's time zone)."""

    #: Inbox folders and database views: every hour.
    collect: str = "0 * * * *"
    #: Matching and publication of the last complete month: the 5th at 06:00, after the
    #: partners' monthly files (due in the first days of the month) are in.
    run: str = "0 6 5 * *"
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
    """Scheduled operation (issue 7): schedules and failure notification."""

    schedules: Schedules = Schedules()
    notifications: Notifications = Notifications()


