"""The portal application: FastAPI with server-rendered Jinja2 pages (no JavaScript needed).

`create_app` wires the pages, the security headers and the error pages, and refuses to build an
application in which a route has no access rule: every route is public by name (sign-in, health
check, static files) or declares its rule with one dependency from portal.web.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount

from portal import security
from portal.head import HeadAsGet
from portal.routes import admin, coordinator, data, privacy, session, statement
from portal.settings import PortalSettings
from portal.web import Access, PortalState, PostAccess, Refused, SignInRequired, render
from privacy.context import Context, context
from vroeg.errors import DatabaseMismatch
from vroeg.opsdb import db, schema_check
from vroeg.process import harden

STATIC = Path(__file__).parent / "static"

#: Routes without a session: (method, path). Static files are a mount of their own.
PUBLIC_ROUTES = session.PUBLIC | statement.PUBLIC

#: Seconds a browser (or script) is asked to wait after a 503 because the database was busy.
RETRY_AFTER_S = 5
BUSY_MESSAGE = ("De database is op dit moment bezet door een ander proces (bijvoorbeeld de "
                "maandelijkse run). Probeer het over een paar seconden opnieuw.")


def access_rule(route: APIRoute) -> Access | None:
    """The Access dependency a route declares, if any."""
    for dependency in route.dependant.dependencies:
        if isinstance(dependency.call, Access):
            return dependency.call
    return None


def check_routes(app: FastAPI) -> None:
    """Every route is public by name or has exactly one access rule; every form checks CSRF."""
    for route in app.routes:
        if isinstance(route, Mount):
            if route.path != "/static":
                raise RuntimeError(f"unexpected mount {route.path}")
            continue
        if not isinstance(route, APIRoute):
            raise RuntimeError(f"unexpected route {route!r}")  # docs are switched off below
        for method in route.methods:
            if (method, route.path) in PUBLIC_ROUTES:
                continue
            rule = access_rule(route)
            if rule is None:
                raise RuntimeError(f"{method} {route.path} has no access rule")
            if method != "GET" and not isinstance(rule, PostAccess):
                raise RuntimeError(f"{method} {route.path} must use posted(...) (CSRF check)")


def create_app(settings: PortalSettings, ctx: Context) -> FastAPI:
    app = FastAPI(title="Vroegsignalering", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = PortalState(settings, ctx)
    for module in (session, statement, coordinator, privacy, data, admin):
        # The routes themselves, not an included router: FastAPI 0.154 keeps included routers
        # as lazy wrappers, and check_routes (and the tests) must see every route as it is.
        app.router.routes.extend(module.router.routes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in security.SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            # Lists, households and audit pages must not stay in the browser's cache.
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired):
        if request.method == "GET":
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            from urllib.parse import urlencode

            return RedirectResponse("/inloggen?" + urlencode({"volgende": target}),
                                    status_code=303)
        return render(request, "error.html", http_status=403, titel="Niet ingelogd",
                      melding="U bent niet (meer) ingelogd. Log opnieuw in.")

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        titles = {400: "Niet opgeslagen", 403: "Geen toegang", 404: "Niet gevonden",
                  409: "Lijst niet beschikbaar"}
        return render(request, "error.html", http_status=exc.status,
                      titel=titles.get(exc.status, "Fout"), melding=exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        # A malformed id in a URL is a page that does not exist (no framework details shown).
        return render(request, "error.html", http_status=404, titel="Niet gevonden",
                      melding="Deze pagina bestaat niet.")

    @app.exception_handler(DBAPIError)
    async def database_busy(request: Request, exc: DBAPIError):
        # Another writer held the lock longer than this process waits (settings.lock_wait_s):
        # a moment's congestion, not a defect, so 503 with Retry-After instead of a 500.
        # Anything else (a full disk, a missing table) stays a server error.
        if not db.busy(exc):
            raise exc
        response = render(request, "error.html", http_status=503, titel="Even bezet",
                          melding=BUSY_MESSAGE)
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        messages = {404: "Deze pagina bestaat niet.",
                    405: "Deze pagina kan zo niet worden opgevraagd."}
        return render(request, "error.html", http_status=exc.status_code,
                      titel="Niet gevonden" if exc.status_code == 404 else "Fout",
                      melding=messages.get(exc.status_code, "Er ging iets mis."))

    check_routes(app)
    # Outermost, so a HEAD passes the security headers and error pages as its GET would.
    app.add_middleware(HeadAsGet)
    return app


def app_from_env() -> FastAPI:
    """For `uvicorn --factory portal.app:app_from_env` (VROEG_HOME, VROEG_GEMEENTE)."""
    harden()  # a process started by uvicorn, not by `vroeg`: no telemetry
    ctx = context()
    ctx.keys  # noqa: B018 - refuse to start without the municipality's key
    try:
        schema_check.check(ctx.database_url)  # as `vroeg` does before every command
    except DatabaseMismatch as exc:
        print(f"Fout: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    settings = PortalSettings.from_env(ctx.gemeente, ctx.database_url)
    db.set_lock_wait(settings.lock_wait_s)
    return create_app(settings, ctx)
