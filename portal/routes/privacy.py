"""Privacy officers: the audit trail, who saw which list, the register, retention, and the one
explicit, logged way to see who is behind a pseudonym.

No page here shows a name or address, except the answer to a re-identification request, which is
logged per household (before the vault is opened) with the reason chosen.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select

from governance import register as art30
from governance.reidentification import reidentify_pseudonym
from governance.retention import status as retention_status
from portal import audit_views
from portal.audit_views import AuditFilter
from portal.security import Principal
from portal.web import FieldError, Posted, posted, render, role, state
from privacy import purposes
from privacy.audit import new_trace_id
from vroeg.formats import parse_day
from vroeg.opsdb import db
from vroeg.opsdb.models import Case

router = APIRouter()
PRIVACY = role("privacy")


def _filter(request: Request) -> tuple[AuditFilter, FieldError | None]:
    """The filters as asked, and a FieldError for the first one that cannot be applied (left
    out of the filter; the page then shows no rows rather than those of a search the officer
    did not ask for)."""
    q = request.query_params
    error: FieldError | None = None

    def day(field: str) -> dt.date | None:
        nonlocal error
        text = (q.get(field) or "").strip()
        try:
            return parse_day(text, "%d-%m-%Y") if text else None
        except ValueError:
            error = error or FieldError(field, "Vul een datum in als dd-mm-jjjj.")
            return None

    van, tot = day("van"), day("tot")
    if van and tot and tot < van:
        error, tot = error or FieldError("tot", "De datum ‘tot en met’ ligt vóór de datum "
                                                "‘van’."), None
    huishouden = (q.get("huishouden") or "").strip()
    if huishouden and not audit_views.PSEUDONYM.match(huishouden):
        error, huishouden = error or FieldError(
            "huishouden", "Vul een huishoudenpseudoniem in zoals het in het logboek staat "
                          "(k1_…)."), ""
    try:
        pagina = max(1, min(int(q.get("pagina") or 1), 10_000))
    except ValueError:
        pagina = 1
    return AuditFilter(
        van=van, tot=tot, stap=(q.get("stap") or "")[:100],
        gebruiker=(q.get("gebruiker") or "").strip().lower()[:64],
        wijkteam=(q.get("wijkteam") or "")[:64], huishouden=huishouden,
        alleen_fouten=q.get("alleen_fouten") == "1", pagina=pagina), error


@router.get("/privacy/logboek")
def audit_log(request: Request, user: Principal = Depends(PRIVACY)):
    st = state(request)
    f, error = _filter(request)
    page = None if error else audit_views.audit_page(st.settings.database_url, st.ctx.gemeente,
                                                     st.ctx.audit, f)
    return render(request, "privacy/audit.html", http_status=400 if error else 200, fout=error,
                  filter=f, page=page,
                  steps=audit_views.step_names(st.settings.database_url, st.ctx.gemeente),
                  teams=st.ctx.municipality.wijkteams,
                  inkorting=audit_views.trail_cut(st.settings.database_url, st.ctx.gemeente))


@router.get("/privacy/inzage")
def who_saw_what(request: Request, user: Principal = Depends(PRIVACY)):
    st = state(request)
    f, error = _filter(request)
    events = [] if error else audit_views.access_events(
        st.settings.database_url, st.ctx.gemeente, van=f.van, tot=f.tot, gebruiker=f.gebruiker,
        wijkteam=f.wijkteam)
    summary: dict[tuple[str, str, str], dict[str, int]] = {}
    for e in events:
        if e.publicatie:
            key = (e.gebruiker, e.wijkteam, e.periode)
            summary.setdefault(key, {}).setdefault(e.actie, 0)
            summary[key][e.actie] += 1
    return render(request, "privacy/access.html", http_status=400 if error else 200, fout=error,
                  filter=f, events=events, summary=sorted(summary.items()),
                  teams=st.ctx.municipality.wijkteams,
                  inkorting=audit_views.trail_cut(st.settings.database_url, st.ctx.gemeente))


@router.get("/privacy/register")
def register(request: Request, user: Principal = Depends(PRIVACY)):
    """The register of processing activities (GDPR art. 30), as `vroeg register` builds it."""
    document = art30.build(state(request).ctx.municipality)
    return render(request, "privacy/register.html", register=document)


@router.get("/privacy/bewaartermijnen")
def retention(request: Request, user: Principal = Depends(PRIVACY)):
    """Per store: the term, what is past it now, the oldest item and the last retention run.

    Counted live by governance.retention's own finders, except the warehouse (the portal never
    opens it): for the signals store the page shows the vault's oldest record and what the last
    retention run found. Nothing is destroyed or logged by looking.
    """
    st = state(request)
    stores = retention_status(st.ctx)
    with db.session(st.settings.database_url) as s:
        g = st.ctx.gemeente
        open_cases = s.scalar(select(func.count()).select_from(Case).where(
            Case.gemeente == g, Case.eindresultaat.is_(None))) or 0
        closed_cases = s.scalar(select(func.count()).select_from(Case).where(
            Case.gemeente == g, Case.eindresultaat.is_not(None))) or 0
    return render(request, "privacy/retention.html", stores=stores, zaken_open=open_cases,
                  zaken_afgesloten=closed_cases,
                  inkorting=audit_views.trail_cut(st.settings.database_url, g))


@router.get("/privacy/heridentificatie")
def reidentify_form(request: Request, user: Principal = Depends(PRIVACY)):
    pseudonym = (request.query_params.get("huishouden") or "").strip()
    return render(request, "privacy/reidentify.html", reasons=purposes.REIDENTIFY_REASONS,
                  huishouden=pseudonym if audit_views.PSEUDONYM.match(pseudonym) else "")


@router.post("/privacy/heridentificatie")
def reidentify(request: Request, post: Posted = Depends(posted("privacy"))):
    st = state(request)
    pseudonym, reason = post.text("huishouden", 140), post.text("reden")
    try:
        if not audit_views.PSEUDONYM.match(pseudonym):
            raise FieldError("huishouden", "Vul een huishoudenpseudoniem in zoals het in het "
                                           "logboek staat (k1_…).")
        if not purposes.is_reason(reason):
            raise FieldError("reden", "Kies een reden uit de lijst.")
        if post.form.get("bevestig") != "ja":
            raise FieldError("bevestig", "Bevestig dat u deze heridentificatie nodig heeft.")
    except FieldError as exc:
        # The form again with what was typed (nothing here is personal data: a pseudonym and
        # a reason code), the message at the field.
        return render(request, "privacy/reidentify.html", http_status=400, fout=exc,
                      reasons=purposes.REIDENTIFY_REASONS, huishouden=pseudonym, reden=reason)
    # The same function as `vroeg reidentify`: the vault writes the per-subject lines before it
    # decrypts anything; the bulk line names the portal user.
    identities = reidentify_pseudonym(st.ctx, pseudonym, reason=reason, case=None,
                                      trace_id=new_trace_id(), gebruiker=post.user.name)
    return render(request, "privacy/reidentified.html", huishouden=pseudonym,
                  reden=purposes.label(reason), identities=identities)
