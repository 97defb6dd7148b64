"""Privacy officers: the audit trail, who saw which list, the register, retention, and the one
explicit, logged way to see who is behind a pseudonym.

No page here shows a name or address, except the answer to a re-identification request, which is
logged per household (before the vault is opened) with the reason chosen.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select

from portal import audit_views
from portal.audit_views import AuditFilter
from portal.security import Principal
from portal.web import Posted, Refused, posted, render, role, state
from privacy.audit import new_trace_id
from vroeg.opsdb import db
from vroeg.opsdb.models import AuditLine, Case, Publication

router = APIRouter()
PRIVACY = role("privacy")

#: Reasons a privacy officer may give for re-identification (a fixed list: free text could
#: carry personal data into the audit trail).
REIDENTIFY_REASONS = (
    "Inzageverzoek van de betrokkene (AVG art. 15)",
    "Verzoek tot rectificatie of wissing (AVG art. 16/17)",
    "Onderzoek naar een mogelijk datalek",
    "Klacht of bezwaar van de betrokkene",
    "Controle op rechtmatige verwerking",
)


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filter(request: Request) -> AuditFilter:
    q = request.query_params
    huishouden = (q.get("huishouden") or "").strip()
    try:
        pagina = max(1, min(int(q.get("pagina") or 1), 10_000))
    except ValueError:
        pagina = 1
    return AuditFilter(
        van=_date(q.get("van")), tot=_date(q.get("tot")), stap=(q.get("stap") or "")[:100],
        gebruiker=(q.get("gebruiker") or "").strip().lower()[:64],
        wijkteam=(q.get("wijkteam") or "")[:64],
        huishouden=huishouden if audit_views.PSEUDONYM.match(huishouden) else "",
        alleen_fouten=q.get("alleen_fouten") == "1", pagina=pagina)


@router.get("/privacy/logboek")
def audit_log(request: Request, user: Principal = Depends(PRIVACY)):
    st = state(request)
    f = _filter(request)
    page = audit_views.audit_page(st.settings.database_url, st.ctx.gemeente, st.ctx.audit, f)
    return render(request, "privacy/audit.html", filter=f, page=page,
                  steps=audit_views.step_names(st.settings.database_url, st.ctx.gemeente),
                  teams=st.ctx.municipality.wijkteams)


@router.get("/privacy/inzage")
def who_saw_what(request: Request, user: Principal = Depends(PRIVACY)):
    st = state(request)
    f = _filter(request)
    events = audit_views.access_events(st.settings.database_url, st.ctx.gemeente, van=f.van,
                                       tot=f.tot, gebruiker=f.gebruiker, wijkteam=f.wijkteam)
    summary: dict[tuple[str, str, str], dict[str, int]] = {}
    for e in events:
        if e.publicatie:
            key = (e.gebruiker, e.wijkteam, e.periode)
            summary.setdefault(key, {}).setdefault(e.actie, 0)
            summary[key][e.actie] += 1
    return render(request, "privacy/access.html", filter=f, events=events,
                  summary=sorted(summary.items()), teams=st.ctx.municipality.wijkteams)


def _optional(module: str, name: str):
    """A function another part of the project provides (the register and retention come with
    the privacy work); None while it does not exist yet."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _call_with_context(fn, ctx) -> Any:
    """Call fn with the context or the municipality, whichever its first parameter asks for."""
    params = list(inspect.signature(fn).parameters.values())
    if params and params[0].name in ("ctx", "context"):
        return fn(ctx)
    if params and params[0].name in ("municipality", "gemeente_config"):
        return fn(ctx.municipality)
    if params and params[0].name in ("home",):
        return fn(ctx.home, ctx.gemeente)
    return fn(ctx)


def _plain(value: Any) -> Any:
    """Anything (pydantic model, dataclass, mapping) as plain dicts and lists for the template."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return _plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _provided(request: Request, module: str, name: str) -> tuple[bool, Any, str | None]:
    fn = _optional(module, name)
    if fn is None:
        return False, None, None
    try:
        return True, _plain(_call_with_context(fn, state(request).ctx)), None
    except Exception as exc:  # noqa: BLE001 - show that it failed, not a stack trace
        return True, None, type(exc).__name__


@router.get("/privacy/register")
def register(request: Request, user: Principal = Depends(PRIVACY)):
    available, content, error = _provided(request, "privacy.register", "build_register")
    return render(request, "privacy/provided.html", titel="Register van verwerkingen (AVG art. 30)",
                  available=available, content=content, error=error,
                  bron="privacy.register.build_register")


@router.get("/privacy/bewaartermijnen")
def retention(request: Request, user: Principal = Depends(PRIVACY)):
    st = state(request)
    available, content, error = _provided(request, "privacy.retention", "retention_status")
    with db.session(st.settings.database_url) as s:
        g = st.ctx.gemeente
        facts = {
            "oudste_lijst": s.scalar(select(func.min(Publication.created_at))
                                     .where(Publication.gemeente == g)),
            "lijsten": s.scalar(select(func.count()).select_from(Publication)
                                .where(Publication.gemeente == g)) or 0,
            "zaken_open": s.scalar(select(func.count()).select_from(Case)
                                   .where(Case.gemeente == g, Case.eindresultaat.is_(None))) or 0,
            "zaken_afgesloten": s.scalar(select(func.count()).select_from(Case).where(
                Case.gemeente == g, Case.eindresultaat.is_not(None))) or 0,
            "oudste_zaak": s.scalar(select(func.min(Case.created_at)).where(Case.gemeente == g)),
            "oudste_logregel": s.scalar(select(func.min(AuditLine.start_time))
                                        .where(AuditLine.gemeente == g)),
        }
    files = sorted(st.outbox.glob("*/*.csv")) if st.outbox.is_dir() else []
    return render(request, "privacy/retention.html", available=available, content=content,
                  error=error, facts=facts, lijstbestanden=len(files),
                  bron="privacy.retention.retention_status")


@router.get("/privacy/heridentificatie")
def reidentify_form(request: Request, user: Principal = Depends(PRIVACY)):
    pseudonym = (request.query_params.get("huishouden") or "").strip()
    return render(request, "privacy/reidentify.html", reasons=REIDENTIFY_REASONS,
                  huishouden=pseudonym if audit_views.PSEUDONYM.match(pseudonym) else "")


@router.post("/privacy/heridentificatie")
def reidentify(request: Request, post: Posted = Depends(posted("privacy"))):
    st = state(request)
    pseudonym, reason = post.text("huishouden", 140), post.text("reden")
    if not audit_views.PSEUDONYM.match(pseudonym):
        raise Refused(400, "Vul een huishoudenpseudoniem in zoals het in het logboek staat "
                           "(k1_…).")
    if reason not in REIDENTIFY_REASONS:
        raise Refused(400, "Kies een reden uit de lijst.")
    if post.form.get("bevestig") != "ja":
        raise Refused(400, "Bevestig dat u deze heridentificatie nodig heeft.")
    trace = new_trace_id()
    with st.ctx.audit.operation("heridentificatie-privacy", trace, gebruiker=post.user.name,
                                reden=reason, huishoudens=1) as op:
        # The vault writes the per-household line before it decrypts anything.
        found = st.ctx.vault.reidentify([pseudonym], purpose=f"privacyfunctionaris: {reason}",
                                        audit=st.ctx.audit, trace_id=trace,
                                        parent=op.operation_id, gebruiker=post.user.name)
    identities = found.get(pseudonym, [])
    return render(request, "privacy/reidentified.html", huishouden=pseudonym, reden=reason,
                  identities=identities)
