"""Administrators: the portal's accounts (the same operations as `vroeg users`).

An administrator manages accounts and sees no resident data: that needs a coordinator's team.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from portal import accounts
from portal.security import Principal
from portal.web import FieldError, Posted, Refused, on_field, posted, render, role, state
from vroeg.opsdb import db
from vroeg.opsdb.models import LoginAttempt, PortalUser

router = APIRouter()
ADMIN = role("admin")

MESSAGES = {
    "toegevoegd": "De gebruiker is toegevoegd.",
    "verwijderd": "De gebruiker is verwijderd; open sessies zijn beëindigd.",
    "wachtwoord": "Het wachtwoord is vervangen; open sessies zijn beëindigd.",
}


#: The inputs of the form to add a user, per field an AccountError names (a group of check boxes
#: by its first one).
ADD_INPUTS = {"name": "naam", "password": "wachtwoord", "roles": "rol", "teams": "team"}


def _page(request: Request, status: int = 200, fout: str | FieldError | None = None,
          form: dict | None = None):
    st = state(request)
    users = accounts.list_users(st.settings.database_url, st.settings.gemeente)
    since = dt.datetime.now(dt.UTC) - st.settings.throttle_window
    with db.session(st.settings.database_url) as s:
        failures = dict(s.execute(
            select(LoginAttempt.name, func.count())
            .where(LoginAttempt.gemeente == st.settings.gemeente, LoginAttempt.at >= since,
                   LoginAttempt.success.is_(False))
            .group_by(LoginAttempt.name)).all())
    return render(request, "admin/users.html", http_status=status, users=users, failures=failures,
                  teams=st.ctx.municipality.wijkteams, fout=fout, form=form or {},
                  melding=MESSAGES.get(request.query_params.get("melding", "")))


@router.get("/beheer/gebruikers")
def users(request: Request, user: Principal = Depends(ADMIN)):
    return _page(request)


@router.post("/beheer/gebruikers")
def add(request: Request, post: Posted = Depends(posted("admin"))):
    st = state(request)
    password = post.secret("wachtwoord")
    form = {"naam": post.text("naam", 64), "rollen": post.values("rol"),
            "teams": post.values("team")}
    if password != post.secret("herhaling"):
        return _page(request, 400,
                     FieldError("herhaling", "De twee wachtwoorden zijn niet gelijk."), form)
    try:
        accounts.add_user(st.settings.database_url, st.settings.gemeente, form["naam"], password,
                          form["rollen"], form["teams"],
                          [t.code for t in st.ctx.municipality.wijkteams],
                          audit=st.ctx.audit, by=post.user.name)
    except accounts.AccountError as exc:
        return _page(request, 400, on_field(exc, ADD_INPUTS), form)
    return RedirectResponse("/beheer/gebruikers?melding=toegevoegd", status_code=303)


def _target(request: Request, user_id: int) -> PortalUser:
    st = state(request)
    with db.session(st.settings.database_url) as s:
        target = s.get(PortalUser, user_id)
    if target is None or target.gemeente != st.settings.gemeente:
        raise Refused(404, "Deze gebruiker bestaat niet.")
    return target


@router.post("/beheer/gebruikers/{user_id}/verwijderen")
def remove(request: Request, user_id: int, post: Posted = Depends(posted("admin"))):
    target = _target(request, user_id)
    if target.id == post.user.user_id:
        return _page(request, 400, "U kunt uw eigen account niet verwijderen.")
    st = state(request)
    accounts.remove_user(st.settings.database_url, st.settings.gemeente, target.name,
                         audit=st.ctx.audit, by=post.user.name)
    return RedirectResponse("/beheer/gebruikers?melding=verwijderd", status_code=303)


@router.post("/beheer/gebruikers/{user_id}/wachtwoord")
def reset(request: Request, user_id: int, post: Posted = Depends(posted("admin"))):
    target = _target(request, user_id)
    password = post.secret("wachtwoord")
    if password != post.secret("herhaling"):
        return _page(request, 400, FieldError(f"herhaling-{target.id}",
                                              "De twee wachtwoorden zijn niet gelijk."))
    st = state(request)
    try:
        accounts.set_password(st.settings.database_url, st.settings.gemeente, target.name,
                              password, audit=st.ctx.audit, by=post.user.name)
    except accounts.AccountError as exc:
        return _page(request, 400, on_field(exc, {"password": f"wachtwoord-{target.id}"}))
    return RedirectResponse("/beheer/gebruikers?melding=wachtwoord", status_code=303)
