"""Wijkteam coordinators: their teams' visit lists, downloads, print view, contacts and results.

Every page that shows names or addresses writes the audit trail per household before it answers.
A publication of another team is refused (403) and the attempt is logged, whatever the URL.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from portal import lists
from portal.lists import ListLine, ListUnavailable, LoadedList
from portal.security import Principal
from portal.web import (
    FieldError,
    Posted,
    Refused,
    audit_subjects,
    on_field,
    posted,
    refuse,
    render,
    role,
    state,
)
from scoring.explanations import follow_up
from vroeg.formats import parse_day, today_in
from vroeg.opsdb import cases, crisis, db
from vroeg.opsdb.models import Case, Publication, PublicationHousehold, Run

router = APIRouter()
COORDINATOR = role("coordinator")

MESSAGES = {
    "contact": "De contactpoging is vastgelegd.",
    "eindresultaat": "Het eindresultaat is vastgelegd.",
}

DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def _publication(request: Request, user: Principal, publication_id: int) -> Publication:
    st = state(request)
    with db.session(st.settings.database_url) as s:
        publication = s.get(Publication, publication_id)
    if publication is None or publication.gemeente != st.ctx.gemeente:
        raise Refused(404, "Deze lijst bestaat niet.")
    if publication.wijkteam not in user.teams:
        raise refuse(request, user, "ander wijkteam", publicatie=publication_id,
                     gevraagd_wijkteam=publication.wijkteam)
    return publication


def _load(request: Request, publication: Publication) -> LoadedList:
    st = state(request)
    try:
        with db.session(st.settings.database_url) as s:
            return lists.open_list(st.outbox, publication, s)
    except ListUnavailable as exc:
        raise Refused(409, str(exc)) from None


def _line(loaded: LoadedList, regel: int) -> ListLine:
    line = loaded.line(regel)
    if line is None:
        raise Refused(404, "Dit huishouden staat niet op deze lijst.")
    return line


def _attributes(publication: Publication, **more) -> dict:
    return {"wijkteam": publication.wijkteam, "publicatie": publication.id,
            "periode": publication.period, **more}


def _advice_now(request: Request, pseudonyms: list[str]) -> dict[str, str]:
    """Per household, another kind of contact when attempts went unanswered, from the history
    as it is now (any month, any team: a household that moved brings its closed doors along).
    The published list's `advies` knew the history up to its publication only, and the file
    stays as published (its SHA-256 is checked), so the page adds what was learned since."""
    st = state(request)
    attempts = cases.attempts_of_households(st.settings.database_url, st.ctx.gemeente,
                                            pseudonyms)
    rules = st.ctx.municipality.scoring
    return {p: text for p in pseudonyms if (text := follow_up(attempts.get(p, ()), rules))}


def _today(request: Request) -> dt.date:
    return today_in(state(request).ctx.municipality.timezone)


@router.get("/lijsten")
def overview(request: Request, user: Principal = Depends(COORDINATOR)):
    """The user's teams with their current list and earlier ones: counts only, no names."""
    st = state(request)
    teams = []
    with db.session(st.settings.database_url) as s:
        for code in user.teams:
            publications = s.scalars(
                select(Publication)
                .where(Publication.gemeente == st.ctx.gemeente, Publication.wijkteam == code)
                # Per month the newest version first: the first row is the current list.
                .order_by(Publication.period.desc(), Publication.version.desc(),
                          Publication.id.desc())
                .limit(13)).all()
            rows = []
            for p in publications:
                run = s.get(Run, p.run_id)
                # The month's cases of the households on this version (wherever recorded).
                found = cases.cases_on_list(s, p)
                # Both sections' lines; `households` counts the bezoeklijst only (as the list
                # page does), so the wachtlijst is the difference.
                lines = s.scalar(select(func.count()).select_from(PublicationHousehold).where(
                    PublicationHousehold.publication_id == p.id)) or 0
                rows.append({
                    "publication": p,
                    "bezoeklijst": p.households,
                    "wachtlijst": max(lines - p.households, 0),
                    "run_status": run.status if run else "",
                    "in_behandeling": sum(1 for c in found if c.eindresultaat is None),
                    "afgesloten": sum(1 for c in found if c.eindresultaat is not None),
                })
            teams.append({"code": code, "name": st.team_name(code), "publications": rows})
    # The crisis lane's additions since the user last looked (counts only).
    new_crisis = crisis.mark_lists_seen(st.settings.database_url, st.ctx.gemeente, user.user_id,
                                        user.teams)
    return render(request, "coordinator/overview.html", teams=teams, nieuwe_crisis=new_crisis,
                  crisis_advies=st.ctx.municipality.scoring.advice.crisis)


@router.get("/lijsten/{publication_id}")
def visit_list(request: Request, publication_id: int, user: Principal = Depends(COORDINATOR)):
    publication = _publication(request, user, publication_id)
    loaded = _load(request, publication)
    try:
        number = int(request.query_params.get("pagina") or 1)
    except ValueError:
        number = 1
    page = lists.page_of(loaded, number)
    found = cases.cases_of_publication(state(request).settings.database_url, publication.id)
    # Only the households on this page are shown, so only they are recorded as seen.
    audit_subjects(request, user, "inzage-lijst", "inzage",
                   [line.pseudonym for line in page.lines],
                   **_attributes(publication, weergave="lijst", pagina=page.number))
    return render(request, "coordinator/list.html", lijst=loaded, publication=publication,
                  cases=found, pagina=page,
                  advies_nu=_advice_now(request, [line.pseudonym for line in page.lines]))


@router.get("/lijsten/{publication_id}/afdrukken")
def print_view(request: Request, publication_id: int, user: Principal = Depends(COORDINATOR)):
    publication = _publication(request, user, publication_id)
    loaded = _load(request, publication)
    audit_subjects(request, user, "afdrukken-lijst", "inzage", loaded.pseudonyms,
                   **_attributes(publication, weergave="afdrukken"))
    return render(request, "coordinator/print.html", lijst=loaded, publication=publication)


@router.get("/lijsten/{publication_id}/download/{formaat}")
def download(request: Request, publication_id: int, formaat: str,
             user: Principal = Depends(COORDINATOR)):
    """The published file itself, byte for byte (its cells were neutralised when written)."""
    if formaat not in DOWNLOADS:
        raise Refused(404, "Onbekend bestandsformaat; kies CSV of Excel.")
    publication = _publication(request, user, publication_id)
    loaded = _load(request, publication)  # also checks the CSV against its published SHA-256
    try:
        path = lists.published_file(state(request).outbox, publication, formaat)
    except ListUnavailable as exc:
        raise Refused(409, str(exc)) from None
    content = path.read_bytes()
    audit_subjects(request, user, "download-lijst", "download", loaded.pseudonyms,
                   **_attributes(publication, formaat=formaat))
    media_type, _ = DOWNLOADS[formaat]
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{path.name}"'})


#: The inputs of the household page's two forms, per field a CaseInputError names (the radio
#: buttons by the first one).
CONTACT_INPUTS = {"soort": "soort", "bereikt": "bereikt", "datum": "datum", "dagdeel": "dagdeel"}
END_RESULT_INPUTS = {"eindresultaat": "eindresultaat-keuze"}


def _household_page(request: Request, user: Principal, publication: Publication,
                    loaded: LoadedList, line: ListLine, *, status: int = 200,
                    fout: str | FieldError | None = None, form: dict | None = None):
    st = state(request)
    with db.session(st.settings.database_url) as s:
        # The household's case of this month, on whichever version of a list it was recorded.
        case = cases.find_case(s, publication.gemeente, publication.period, line.pseudonym)
        earlier = s.scalars(
            select(Case).where(Case.gemeente == st.ctx.gemeente,
                               Case.huishouden_pseudoniem == line.pseudonym,
                               Case.period != publication.period,
                               Case.wijkteam.in_(user.teams))
            .order_by(Case.period.desc())).all()
    audit_subjects(request, user, "inzage-huishouden", "inzage", [line.pseudonym],
                   **_attributes(publication, regel=line.regel))
    melding = MESSAGES.get(request.query_params.get("melding", ""))
    return render(request, "coordinator/household.html", http_status=status, lijst=loaded,
                  publication=publication, line=line, case=case, earlier=earlier,
                  advies_nu=_advice_now(request, [line.pseudonym]).get(line.pseudonym, ""),
                  contact_kinds=cases.CONTACT_KINDS, parts_of_day=cases.PARTS_OF_DAY,
                  end_results=cases.END_RESULTS, today=_today(request), fout=fout,
                  melding=melding, form=form or {})


@router.get("/lijsten/{publication_id}/huishoudens/{regel}")
def household(request: Request, publication_id: int, regel: int,
              user: Principal = Depends(COORDINATOR)):
    publication = _publication(request, user, publication_id)
    loaded = _load(request, publication)
    return _household_page(request, user, publication, loaded, _line(loaded, regel))


def _date(text: str) -> dt.date | None:
    """The day of a contact attempt: JJJJ-MM-DD from the date field, or typed as DD-MM-JJJJ."""
    try:
        return parse_day(text, "%d-%m-%Y")
    except ValueError:
        return None


@router.post("/lijsten/{publication_id}/huishoudens/{regel}/contactpogingen")
def add_contact(request: Request, publication_id: int, regel: int,
                post: Posted = Depends(posted("coordinator"))):
    user = post.user
    publication = _publication(request, user, publication_id)
    loaded = _load(request, publication)
    line = _line(loaded, regel)
    bereikt = {"ja": True, "nee": False}.get(post.text("bereikt"))
    form = {k: post.text(k) for k in ("soort", "bereikt", "datum", "dagdeel")}
    try:
        cases.record_contact(
            state(request).settings.database_url, publication, regel=line.regel, rang=line.rang,
            pseudonym=line.pseudonym, soort=post.text("soort"), bereikt=bereikt,
            datum=_date(post.text("datum")), dagdeel=post.text("dagdeel"), by=user.name,
            today=_today(request))
    except cases.CaseInputError as exc:
        return _household_page(request, user, publication, loaded, line, status=400,
                               fout=on_field(exc, CONTACT_INPUTS), form=form)
    audit_subjects(request, user, "registratie-contactpoging", "registratie", [line.pseudonym],
                   **_attributes(publication, regel=line.regel))
    return RedirectResponse(f"/lijsten/{publication.id}/huishoudens/{line.regel}?melding=contact",
                            status_code=303)


@router.post("/lijsten/{publication_id}/huishoudens/{regel}/eindresultaat")
def set_end_result(request: Request, publication_id: int, regel: int,
                   post: Posted = Depends(posted("coordinator"))):
    user = post.user
    publication = _publication(request, user, publication_id)
    loaded = _load(request, publication)
    line = _line(loaded, regel)
    try:
        cases.record_end_result(
            state(request).settings.database_url, publication, regel=line.regel, rang=line.rang,
            pseudonym=line.pseudonym, eindresultaat=post.text("eindresultaat"), by=user.name)
    except cases.CaseInputError as exc:
        return _household_page(request, user, publication, loaded, line, status=400,
                               fout=on_field(exc, END_RESULT_INPUTS))
    audit_subjects(request, user, "registratie-eindresultaat", "registratie", [line.pseudonym],
                   **_attributes(publication, regel=line.regel))
    return RedirectResponse(
        f"/lijsten/{publication.id}/huishoudens/{line.regel}?melding=eindresultaat",
        status_code=303)
