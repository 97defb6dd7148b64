"""Settings of one portal process: which municipality, cookies, time limits, Prefect's API."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in ("0", "false", "nee", "no", "off", "")


@dataclass(frozen=True)
class PortalSettings:
    gemeente: str
    database_url: str
    #: Secure cookies are sent over HTTPS only. Browsers treat http://127.0.0.1 and
    #: http://localhost as secure contexts, so the default works locally and behind a
    #: TLS-terminating proxy; switch off only for plain HTTP on another host name (never in
    #: production): `vroeg portal --insecure-cookies` or VROEG_PORTAL_SECURE_COOKIES=0.
    secure_cookies: bool = True
    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    max_session_age: dt.timedelta = dt.timedelta(hours=10)
    throttle_window: dt.timedelta = dt.timedelta(minutes=15)
    max_failures_account: int = 5
    max_failures_ip: int = 20
    #: How long a request waits for another writer's lock on the operational database (a run
    #: writing its audit lines, another coordinator's view) before the portal answers 503 with
    #: Retry-After: VROEG_PORTAL_LOCK_WAIT, in seconds.
    lock_wait_s: float = 5.0
    #: Prefect's API, to show upcoming and recent flow runs; None: the runs table only.
    prefect_api_url: str | None = field(default_factory=lambda: os.environ.get("PREFECT_API_URL"))

    @classmethod
    def from_env(cls, gemeente: str, database_url: str, **overrides) -> PortalSettings:
        values: dict = {"secure_cookies": _flag("VROEG_PORTAL_SECURE_COOKIES", True)}
        if os.environ.get("VROEG_PORTAL_LOCK_WAIT"):
            values["lock_wait_s"] = float(os.environ["VROEG_PORTAL_LOCK_WAIT"])
        values.update(overrides)
        return cls(gemeente=gemeente, database_url=database_url, **values)
