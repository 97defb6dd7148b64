"""Portal accounts: employees, their roles and wijkteams, and their argon2 password hashes.

Used by the `vroeg users` commands and by the portal's administrator pages. No web framework here.
Passwords are hashed with argon2id (argon2-cffi, RFC 9106 parameters); only the hash is stored.
Every change to an account writes an audit line naming who did it, to which account, with which
roles and teams (`ACCOUNT_ACTIONS`): an administrator can give themselves a team's list through a
new account, so who made and removed which account must be traceable like any list view.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from privacy.audit import Audit, new_trace_id
from vroeg.opsdb import db
from vroeg.opsdb.models import (
    PortalSession,
    PortalTeamMembership,
    PortalUser,
    PortalUserRole,
)

#: Role code -> what the portal calls it (Dutch).
ROLES: dict[str, str] = {
    "coordinator": "coördinator wijkteam",
    "privacy": "privacyfunctionaris",
    "data": "data-officer",
    "admin": "beheerder",
}

#: Audit line name -> what the privacy officer's "Wie zag wat" page calls it (Dutch).
ACCOUNT_ACTIONS: dict[str, str] = {
    "account-aangemaakt": "account aangemaakt",
    "account-verwijderd": "account verwijderd",
    "account-wachtwoord-hersteld": "wachtwoord vervangen door beheerder",
    "account-wachtwoord-gewijzigd": "eigen wachtwoord gewijzigd",
}

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 hashes anything, but a megabyte "password" is an attack
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


class AccountError(ValueError):
    """An account cannot be created or changed; the message (Dutch) says why, `field` what it
    is about ("name", "password", "roles" or "teams"), so a form can show it there."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 "low memory" profile (64 MiB, t=3, p=4)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


#: Verified against when the account does not exist, so that a wrong name costs as much time as a
#: wrong password and response times do not reveal which names exist.
@cache
def dummy_hash() -> str:
    return hash_password("geen-account-met-deze-naam")


def normalise_name(name: str) -> str:
    return name.strip().lower()


def check_name(name: str) -> str:
    name = normalise_name(name)
    if not _NAME.match(name):
        raise AccountError("Een gebruikersnaam heeft 2 tot 64 tekens: kleine letters, cijfers en "
                           ". _ @ - (bijvoorbeeld j.devries).", "name")
    return name


def check_password(password: str, name: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Een wachtwoord heeft minstens {MIN_PASSWORD_LENGTH} tekens.",
                           "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"Een wachtwoord heeft hoogstens {MAX_PASSWORD_LENGTH} tekens.",
                           "password")
    if normalise_name(name) in password.lower():
        raise AccountError("Het wachtwoord mag de gebruikersnaam niet bevatten.", "password")


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    roles: tuple[str, ...]
    teams: tuple[str, ...]
    created_at: dt.datetime
    password_changed_at: dt.datetime


def _account(user: PortalUser) -> Account:
    return Account(user.id, user.name, tuple(r.role for r in user.roles),
                   tuple(t.wijkteam for t in user.teams), user.created_at,
                   user.password_changed_at)


@contextmanager
def _audited(audit: Audit, by: str, action: str, name: str, roles: Iterable[str] = (),
             teams: Iterable[str] = (), via: str = "portal") -> Iterator[dict]:
    """One audit line for one account change, written after the change's transaction (status
    error if it failed). The caller may fill in roles and teams once it knows them (a removed
    account's); no password or hash ever goes in."""
    with audit.operation(action, new_trace_id(), gebruiker=by, via=via, account=name,
                         rollen=sorted(roles), wijkteams=sorted(teams)) as op:
        yield op.attributes


def find(s: Session, gemeente: str, name: str) -> PortalUser | None:
    return s.scalars(select(PortalUser).where(PortalUser.gemeente == gemeente,
                                              PortalUser.name == normalise_name(name))).first()


def add_user(database_url: str, gemeente: str, name: str, password: str, roles: Iterable[str],
             teams: Iterable[str], known_teams: Iterable[str], *, audit: Audit, by: str,
             via: str = "portal") -> Account:
    """Create an account. Coordinators need at least one wijkteam; other roles take none.

    `by` is who does it (the administrator's account, or the system user of `vroeg users`),
    `via` where ("portal" or "cli"); both go in the audit line."""
    name = check_name(name)
    roles, teams = sorted(set(roles)), sorted(set(teams))
    if not roles:
        raise AccountError("Geef minstens één rol: " + ", ".join(ROLES) + ".", "roles")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise AccountError(f"Onbekende rol {', '.join(unknown)}; kies uit {', '.join(ROLES)}.",
                           "roles")
    known = set(known_teams)
    wrong = [t for t in teams if t not in known]
    if wrong:
        raise AccountError(f"Onbekend wijkteam {', '.join(wrong)}; bekend: "
                           f"{', '.join(sorted(known))}.", "teams")
    if "coordinator" in roles and not teams:
        raise AccountError("Een coördinator hoort bij minstens één wijkteam (--team).", "teams")
    if teams and "coordinator" not in roles:
        raise AccountError("Alleen een coördinator hoort bij een wijkteam.", "teams")
    check_password(password, name)
    with _audited(audit, by, "account-aangemaakt", name, roles, teams, via), \
            db.session(database_url) as s:
        if find(s, gemeente, name) is not None:
            raise AccountError(f"Gebruiker {name} bestaat al.", "name")
        now = dt.datetime.now(dt.UTC)
        user = PortalUser(gemeente=gemeente, name=name, password_hash=hash_password(password),
                          created_at=now, password_changed_at=now,
                          roles=[PortalUserRole(role=r) for r in roles],
                          teams=[PortalTeamMembership(wijkteam=t) for t in teams])
        s.add(user)
        s.flush()
        return _account(user)


def remove_user(database_url: str, gemeente: str, name: str, *, audit: Audit, by: str,
                via: str = "portal") -> None:
    """Delete an account, its roles, teams and sessions (signed-in browsers are signed out).

    Cases and audit lines it recorded keep the name: they are history.
    """
    with _audited(audit, by, "account-verwijderd", normalise_name(name), via=via) as line, \
            db.session(database_url) as s:
        user = find(s, gemeente, name)
        if user is None:
            raise AccountError(f"Gebruiker {normalise_name(name)} bestaat niet.")
        line.update(rollen=sorted(r.role for r in user.roles),
                    wijkteams=sorted(t.wijkteam for t in user.teams))
        s.execute(delete(PortalSession).where(PortalSession.user_id == user.id))
        s.delete(user)


def set_password(database_url: str, gemeente: str, name: str, password: str, *, audit: Audit,
                 by: str, via: str = "portal", own: bool = False) -> None:
    """Replace the password, sign out every session of the account, and lift a lock-out
    (failed attempts before the change no longer count).

    `own`: the user changes their own password (after giving the current one), not a reset."""
    action = "account-wachtwoord-gewijzigd" if own else "account-wachtwoord-hersteld"
    with _audited(audit, by, action, normalise_name(name), via=via) as line, \
            db.session(database_url) as s:
        user = find(s, gemeente, name)
        if user is None:
            raise AccountError(f"Gebruiker {normalise_name(name)} bestaat niet.")
        line.update(rollen=sorted(r.role for r in user.roles),
                    wijkteams=sorted(t.wijkteam for t in user.teams))
        check_password(password, user.name)
        user.password_hash = hash_password(password)
        user.password_changed_at = dt.datetime.now(dt.UTC)
        s.execute(delete(PortalSession).where(PortalSession.user_id == user.id))


def list_users(database_url: str, gemeente: str) -> list[Account]:
    with db.session(database_url) as s:
        users = s.scalars(select(PortalUser).where(PortalUser.gemeente == gemeente)
                          .order_by(PortalUser.name)).all()
        return [_account(u) for u in users]
