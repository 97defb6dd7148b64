"""Sessions, CSRF tokens, login throttling and security headers of the portal.

- Sessions are server-side rows keyed by the SHA-256 of a random cookie token (secrets, 256 bits):
  revoking is deleting the row; a stolen copy of the table cannot be replayed. They end after an
  idle time and after a maximum age, whichever comes first.
- CSRF: a synchroniser token per session, in every form; a double-submit cookie guards the
  sign-in form (there is no session yet).
- Throttling is persisted in the operational database, per account and per address, so it holds
  across restarts and across several portal processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from portal import accounts
from portal.settings import PortalSettings
from vroeg.opsdb import db
from vroeg.opsdb.models import LoginAttempt, PortalSession, PortalUser

SESSION_COOKIE = "vroeg_sessie"
LOGIN_CSRF_COOKIE = "vroeg_inlogformulier"

#: Content Security Policy: no inline script or style at all, nothing from elsewhere, no framing.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_equal(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and secrets.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Principal:
    """The signed-in user of one request."""

    user_id: int
    name: str
    roles: frozenset[str]
    teams: tuple[str, ...]
    csrf: str
    session_hash: str

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


# ----------------------------------------------------------------------------------------------
# Sessions
# ----------------------------------------------------------------------------------------------


def open_session(settings: PortalSettings, user_id: int, ip: str | None) -> str:
    """A new session (never a re-used one: no session fixation); returns the cookie token."""
    token = new_token()
    now = _now()
    with db.session(settings.database_url) as s:
        s.add(PortalSession(token_hash=token_hash(token), user_id=user_id,
                            csrf_token=new_token(), created_at=now, last_seen_at=now,
                            ip=(ip or "")[:64]))
    return token


def close_session(settings: PortalSettings, session_hash: str) -> None:
    with db.session(settings.database_url) as s:
        s.execute(delete(PortalSession).where(PortalSession.token_hash == session_hash))


def principal_for(settings: PortalSettings, token: str | None) -> Principal | None:
    """The user behind a session cookie, or None (expired sessions are deleted on sight)."""
    if not token or len(token) > 100:
        return None
    digest = token_hash(token)
    now = _now()
    with db.session(settings.database_url) as s:
        row = s.get(PortalSession, digest)
        if row is None:
            return None
        idle = now - _aware(row.last_seen_at)
        age = now - _aware(row.created_at)
        if idle > settings.idle_timeout or age > settings.max_session_age:
            s.delete(row)
            return None
        user = s.get(PortalUser, row.user_id)
        if user is None or user.gemeente != settings.gemeente:
            return None
        # Sliding expiry, written at most once a minute so that reads stay reads.
        if idle > dt.timedelta(minutes=1):
            row.last_seen_at = now
        return Principal(user.id, user.name, frozenset(r.role for r in user.roles),
                         tuple(t.wijkteam for t in user.teams), row.csrf_token, digest)


def cookie_options(settings: PortalSettings) -> dict:
    return {"httponly": True, "secure": settings.secure_cookies, "samesite": "strict",
            "path": "/"}


# ----------------------------------------------------------------------------------------------
# Login throttling
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None
    #: None on success; else a Dutch message for the sign-in page.
    refusal: str | None
    throttled: bool = False


GENERIC_REFUSAL = "Onbekende gebruikersnaam of onjuist wachtwoord."


def _failures(s, settings: PortalSettings, since: dt.datetime, **where) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.gemeente == settings.gemeente, LoginAttempt.at >= since,
        LoginAttempt.success.is_(False), LoginAttempt.blocked.is_(False))
    for column, value in where.items():
        query = query.where(getattr(LoginAttempt, column) == value)
    return s.scalar(query) or 0


def attempt_login(settings: PortalSettings, name: str, password: str, ip: str) -> LoginResult:
    """Check a sign-in, throttled per account and per address; every attempt is recorded.

    Counting the recent failures and recording this attempt happen in one serialised
    transaction, the attempt recorded as a failure until its password checks out: otherwise a
    burst of parallel guesses all count the same few failures before any is recorded, and far
    more than the limit get their password checked. The (slow) password check itself runs after
    that transaction, so sign-ins do not wait for each other's argon2.
    """
    name = accounts.normalise_name(name)[:64]
    ip = (ip or "onbekend")[:64]
    now = _now()
    window_start = now - settings.throttle_window
    with db.serialised(settings.database_url, f"inloggen:{settings.gemeente}") as s:
        user = accounts.find(s, settings.gemeente, name)
        if user is None:
            # Not an account: keep only a hash of what was typed (it may be a password typed in
            # the wrong field); repeated tries of the same name still count against it.
            name = "?" + hashlib.sha256(name.encode()).hexdigest()[:32]
        since_account = window_start
        if user is not None:
            # A password reset by an administrator lifts the lock-out.
            since_account = max(window_start, _aware(user.password_changed_at))
        too_many = (
            _failures(s, settings, since_account, name=name) >= settings.max_failures_account
            or _failures(s, settings, window_start, ip=ip) >= settings.max_failures_ip)
        attempt = LoginAttempt(gemeente=settings.gemeente, name=name, ip=ip, at=now,
                               success=False, blocked=too_many)
        s.add(attempt)
        s.flush()
        attempt_id = attempt.id
        user_id, password_hash = (user.id, user.password_hash) if user else (None, None)
    if too_many:
        minutes = int(settings.throttle_window.total_seconds() // 60)
        return LoginResult(None, f"Te veel mislukte pogingen. Probeer het over {minutes} "
                                 "minuten opnieuw, of vraag de beheerder om een nieuw "
                                 "wachtwoord.", throttled=True)
    if password_hash is None:
        accounts.verify_password(accounts.dummy_hash(), password)  # same cost as a real check
        return LoginResult(None, GENERIC_REFUSAL)
    if not accounts.verify_password(password_hash, password):
        return LoginResult(None, GENERIC_REFUSAL)
    with db.session(settings.database_url) as s:
        user = s.get(PortalUser, user_id)
        if user is None:  # removed while its password was being checked
            return LoginResult(None, GENERIC_REFUSAL)
        s.get(LoginAttempt, attempt_id).success = True
        if user.password_hash == password_hash and accounts.needs_rehash(password_hash):
            user.password_hash = accounts.hash_password(password)
    return LoginResult(user_id, None)
