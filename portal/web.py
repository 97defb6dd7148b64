"""What every page of the portal shares: state, templates, access rules, refusals, audit lines.

Access is declared per route with one dependency: `Depends(signed_in())`, `Depends(role(...))`
for pages, `Depends(posted(...))` for forms (the role check and then the CSRF check). The app
refuses to start when a route has none of these and is not listed as public (see portal.app), so
a new page cannot be added without deciding who may open it.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import pass_context
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.templating import Jinja2Templates

from portal import security
from portal.accounts import ROLES
from portal.security import Principal
from portal.settings import PortalSettings
from privacy.audit import STATUS_ERROR, new_trace_id
from privacy.context import Context
from privacy.keys import load_keys
from vroeg.formats import date_nl, full_name, moment_nl, postal_address, tel_uri

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

#: Start page per role, in order of preference for users with several roles.
START_PAGES = (("coordinator", "/lijsten"), ("data", "/data/leveringen"),
               ("privacy", "/privacy/logboek"), ("admin", "/beheer/gebruikers"))


class PortalState:
    """What every request shares: the settings and the municipality's context.

    The portal is a long-running process, and a key rotation (`vroeg keys rotate`) may happen
    while it runs. Its keys are therefore reloaded whenever the key file changes: during a
    rotation the ring knows the pending version too (the vault and audit lines being re-keyed
    open under either), and afterwards the portal writes and reads under the new version without
    a restart. The portal writes no pseudonyms of its own (it copies them from the lists' record,
    which the rotation re-keys), so it may keep working while the rotation runs.
    """

    def __init__(self, settings: PortalSettings, ctx: Context):
        self.settings = settings
        self._ctx = ctx
        self._stamp = self._key_file_stamp()
        self._lock = threading.Lock()

    def _key_file_stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self._ctx.home.key_file(self._ctx.gemeente).stat()
        except OSError:
            return None  # a key from the environment: nothing to watch
        return info.st_ino, info.st_mtime_ns, info.st_size

    @property
    def ctx(self) -> Context:
        stamp = self._key_file_stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    fresh = Context(home=self._ctx.home, municipality=self._ctx.municipality)
                    fresh.keys = load_keys(fresh.home, fresh.gemeente, allow_pending=True)
                    self._ctx, self._stamp = fresh, stamp
        return self._ctx

    @property
    def outbox(self) -> Path:
        return self.ctx.home.outbox_dir(self.ctx.gemeente)

    def team_name(self, code: str) -> str:
        for team in self.ctx.municipality.wijkteams:
            if team.code == code:
                return team.name
        return code


def state(request: Request) -> PortalState:
    return request.app.state.portal


# ----------------------------------------------------------------------------------------------
# Errors shown as pages
# ----------------------------------------------------------------------------------------------


class Refused(Exception):
    """A request the server will not answer with data; rendered as a Dutch error page."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class FieldError(Exception):
    """Input refused because of one field: the page shows its form again with the message next
    to that field, the field marked invalid, and a summary at the top linking to it (the NL
    Design System / GOV.UK error summary pattern; templates use the macros in _form.html).

    `field` is the id of the input (for a group of radio buttons or check boxes: the id of its
    first input, which the summary links to). Routes pass it to `render` as `fout=`.
    """

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def on_field(exc: Exception, inputs: dict[str, str]) -> FieldError | str:
    """A domain error naming what it is about (`exc.field`, e.g. AccountError's "password") as a
    FieldError on the form's input for that (`inputs` maps the one to the other); else its
    message, for the top of the page."""
    field = inputs.get(getattr(exc, "field", None) or "")
    return FieldError(field, str(exc)) if field else str(exc)


class SignInRequired(Exception):
    """No (valid) session: pages redirect to the sign-in page, forms are refused."""


# ----------------------------------------------------------------------------------------------
# Audit
# ----------------------------------------------------------------------------------------------


def audit_refusal(st: PortalState, request: Request, principal: Principal, reason: str,
                  **attributes) -> None:
    """A refused request by a signed-in user: one audit line with status error, no subject."""
    with st.ctx.audit.operation(
            "toegang-geweigerd", new_trace_id(), gebruiker=principal.name,
            rollen=sorted(principal.roles), methode=request.method, pad=request.url.path,
            reden=reason, **attributes) as op:
        op.status_code = STATUS_ERROR


def refuse(request: Request, principal: Principal, reason: str, **attributes) -> Refused:
    """Log the refusal and return the exception to raise (403)."""
    audit_refusal(state(request), request, principal, reason, **attributes)
    return Refused(403, "U heeft geen toegang tot deze pagina. Deze poging is vastgelegd.")


def audit_subjects(request: Request, principal: Principal, action: str, subject_line: str,
                   pseudonyms: list[str], **attributes) -> None:
    """One bulk line for the action and, under it, one line per household (the Logboek way).

    All of them in one transaction, committed before the response with the personal data is
    sent: a list of thousands of households takes the database's write lock once.
    """
    st = state(request)
    st.ctx.audit.operation_with_subjects(
        action, new_trace_id(), subject_line, pseudonyms, bulk={"huishoudens": len(pseudonyms)},
        gebruiker=principal.name, **attributes)


# ----------------------------------------------------------------------------------------------
# Access rules (FastAPI dependencies)
# ----------------------------------------------------------------------------------------------


def _principal(request: Request) -> Principal | None:
    st = state(request)
    return security.principal_for(st.settings, request.cookies.get(security.SESSION_COOKIE))


class Access:
    """Dependency: the signed-in principal, with one of `roles` (or any role when None)."""

    def __init__(self, roles: tuple[str, ...] | None):
        unknown = set(roles or ()) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {unknown}")
        self.roles = roles

    def check(self, request: Request) -> Principal:
        principal = _principal(request)
        if principal is None:
            raise SignInRequired()
        request.state.principal = principal
        if self.roles is not None and not principal.has(*self.roles):
            raise refuse(request, principal, "rol", vereist=list(self.roles))
        return principal

    async def __call__(self, request: Request) -> Principal:
        return await run_in_threadpool(self.check, request)


@dataclass(frozen=True)
class Posted:
    user: Principal
    form: FormData

    def text(self, name: str, limit: int = 200) -> str:
        value = self.form.get(name)
        return value.strip()[:limit] if isinstance(value, str) else ""

    def secret(self, name: str, limit: int = 300) -> str:
        """A password field: taken as typed, not stripped."""
        value = self.form.get(name)
        return value[:limit] if isinstance(value, str) else ""

    def values(self, name: str) -> list[str]:
        return [v for v in self.form.getlist(name) if isinstance(v, str)]


class PostAccess(Access):
    """Dependency for forms: the access rule first, then the session's CSRF token."""

    async def __call__(self, request: Request) -> Posted:  # type: ignore[override]
        principal = await run_in_threadpool(self.check, request)
        form = await request.form(max_files=0, max_fields=200)
        if not security.tokens_equal(form.get("csrf") if isinstance(form.get("csrf"), str)
                                     else None, principal.csrf):
            raise Refused(403, "Dit formulier is verlopen of niet afkomstig van deze portal. "
                               "Laad de pagina opnieuw en probeer het nog eens.")
        return Posted(principal, form)


def signed_in() -> Access:
    return Access(None)


def role(*roles: str) -> Access:
    return Access(tuple(roles))


def posted(*roles: str) -> PostAccess:
    """A form any signed-in user may send (no roles) or only these roles."""
    return PostAccess(tuple(roles) if roles else None)


# ----------------------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------------------


def nav(principal: Principal | None) -> list[tuple[str, str]]:
    if principal is None:
        return []
    items = []
    if principal.has("coordinator"):
        items.append(("/lijsten", "Bezoeklijsten"))
    if principal.has("data"):
        items += [("/data/leveringen", "Leveringen"), ("/data/runs", "Runs"),
                  ("/data/meldingen", "Meldingen"),
                  ("/data/grafieken", "Grafieken")]
    if principal.has("privacy"):
        items += [("/privacy/logboek", "Logboek"), ("/privacy/inzage", "Wie zag wat"),
                  ("/privacy/register", "Register"),
                  ("/privacy/bewaartermijnen", "Bewaartermijnen"),
                  ("/privacy/heridentificatie", "Heridentificatie")]
    if principal.has("admin"):
        items.append(("/beheer/gebruikers", "Gebruikers"))
    return items


def render(request: Request, template: str, http_status: int = 200, **values: Any):
    """A page. `fout` may be a message about the whole request (shown at the top) or a
    FieldError, which the template ties to its field as `veldfout`."""
    st = state(request)
    if isinstance(values.get("fout"), FieldError):
        values["veldfout"], values["fout"] = values["fout"], None
    principal = getattr(request.state, "principal", None)
    context = {
        "principal": principal,
        "nav": nav(principal),
        "roles": ROLES,
        "gemeente": st.ctx.municipality,
        "team_name": st.team_name,
        "path": request.url.path,
        "csrf": principal.csrf if principal else "",
        **values,
    }
    return TEMPLATES.TemplateResponse(request, template, context, status_code=http_status)


@pass_context
def fmt_datetime(context, value: dt.datetime | None) -> str:
    """A moment in the municipality's time zone, with the zone named (vroeg.formats.moment_nl:
    the CLI and subject access show it the same way)."""
    municipality = context.get("gemeente")
    return moment_nl(value, municipality.timezone if municipality else "Europe/Amsterdam")


TEMPLATES.env.filters["datumtijd"] = fmt_datetime
TEMPLATES.env.filters["datum"] = date_nl
TEMPLATES.env.filters["naam"] = full_name
TEMPLATES.env.filters["adres"] = postal_address
TEMPLATES.env.filters["tel"] = tel_uri
