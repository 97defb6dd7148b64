"""Signing in and out, the start page, changing one's own password, and a health check."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from portal import accounts, security
from portal.security import Principal
from portal.web import START_PAGES, FieldError, Posted, Refused, posted, render, signed_in, state

router = APIRouter()

#: The site icon (base.html links it; /favicon.ico points to it).
FAVICON = "/static/favicon.svg"

#: Routes that need no session (the app checks that every other route declares its access).
PUBLIC = {("GET", "/inloggen"), ("POST", "/inloggen"), ("GET", "/status"),
          ("GET", "/favicon.ico")}


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL, never //host (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:500]
    return "/"


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "onbekend"


@router.get("/status", response_class=PlainTextResponse)
def status() -> str:
    """For monitoring: answers without a session and without touching any data."""
    return "ok"


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    """Browsers and bookmarks ask for /favicon.ico whatever the page says; the icon is a static
    SVG (pages link it with <link rel="icon">)."""
    return RedirectResponse(FAVICON, status_code=301)


@router.get("/inloggen")
def login_page(request: Request, volgende: str = "/"):
    token = security.new_token()
    response = render(request, "login.html", volgende=_safe_next(volgende), login_csrf=token)
    response.set_cookie(security.LOGIN_CSRF_COOKIE, token, max_age=3600,
                        **security.cookie_options(state(request).settings))
    return response


@router.post("/inloggen")
async def login(request: Request):
    st = state(request)
    form = await request.form(max_files=0, max_fields=10)
    field = form.get("csrf")
    if not security.tokens_equal(field if isinstance(field, str) else None,
                                 request.cookies.get(security.LOGIN_CSRF_COOKIE)):
        raise Refused(403, "Het inlogformulier is verlopen. Laad de pagina opnieuw.")
    name = form.get("naam") if isinstance(form.get("naam"), str) else ""
    password = form.get("wachtwoord") if isinstance(form.get("wachtwoord"), str) else ""
    target = _safe_next(form.get("volgende") if isinstance(form.get("volgende"), str) else "/")
    result = await run_in_threadpool(security.attempt_login, st.settings, name[:200],
                                     password[:accounts.MAX_PASSWORD_LENGTH + 1],
                                     _client_ip(request))
    if result.user_id is None:
        token = security.new_token()
        # A throttled sign-in is refused whatever was typed; a wrong one is about the pair (which
        # of the two is wrong is not told), shown at the password, the field to type again.
        response = render(request, "login.html", http_status=429 if result.throttled else 401,
                          volgende=target, login_csrf=token,
                          fout=result.refusal if result.throttled
                          else FieldError("wachtwoord", result.refusal or ""),
                          naam=accounts.normalise_name(name)[:64])
        response.set_cookie(security.LOGIN_CSRF_COOKIE, token, max_age=3600,
                            **security.cookie_options(st.settings))
        return response
    session_token = await run_in_threadpool(security.open_session, st.settings, result.user_id,
                                            _client_ip(request))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(security.SESSION_COOKIE, session_token,
                        **security.cookie_options(st.settings))
    response.delete_cookie(security.LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/uitloggen")
def logout(request: Request, post: Posted = Depends(posted())):
    security.close_session(state(request).settings, post.user.session_hash)
    response = RedirectResponse("/inloggen?uitgelogd=1", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, user: Principal = Depends(signed_in())):
    for role_code, page in START_PAGES:
        if user.has(role_code):
            return RedirectResponse(page, status_code=303)
    return render(request, "message.html", titel="Geen rol",
                  melding="Uw account heeft nog geen rol. Vraag de beheerder om toegang.")


@router.get("/wachtwoord")
def password_page(request: Request, user: Principal = Depends(signed_in())):
    return render(request, "password.html")


@router.post("/wachtwoord")
def change_password(request: Request, post: Posted = Depends(posted())):
    st = state(request)
    current, new, again = post.secret("huidig"), post.secret("nieuw"), post.secret("herhaling")
    # Checked as a sign-in (throttled, recorded): else a stolen session could guess the password
    # here without limit, and a wrong one would never count towards the account's lock-out.
    check = security.attempt_login(st.settings, post.user.name,
                                   current[:accounts.MAX_PASSWORD_LENGTH + 1], _client_ip(request))
    if check.user_id != post.user.user_id:
        return render(request, "password.html", http_status=429 if check.throttled else 400,
                      fout=check.refusal if check.throttled
                      else FieldError("huidig", "Het huidige wachtwoord klopt niet."))
    if new != again:
        return render(request, "password.html", http_status=400,
                      fout=FieldError("herhaling", "De twee nieuwe wachtwoorden zijn niet gelijk."))
    try:
        accounts.set_password(st.settings.database_url, st.settings.gemeente, post.user.name, new,
                              audit=st.ctx.audit, by=post.user.name, own=True)
    except accounts.AccountError as exc:
        return render(request, "password.html", http_status=400,
                      fout=FieldError("nieuw", str(exc)))
    # Every session of the account has been closed, this one too: sign in with the new password.
    response = RedirectResponse("/inloggen?gewijzigd=1", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response
