"""Data officers: deliveries with status, counts and quarantine reasons; runs; charts.

Everything here comes from the operational database (and Prefect's API): counts, codes, file
names and messages that name a row and column, never a value. The warehouse is not opened.
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from portal.prefect_runs import flow_runs
from portal.security import Principal
from portal.web import Refused, render, role, state
from publishing import charts
from vroeg.config import Municipality, Wijkteam
from vroeg.opsdb import db
from vroeg.opsdb.models import (
    Delivery,
    Notification,
    Publication,
    QuarantineRecord,
    Run,
    SignalMonthCount,
    ValidationResult,
)
from vroeg.opsdb.statuses import DeliveryStatus

router = APIRouter()
DATA = role("data")

STATUSES = tuple(DeliveryStatus)


@router.get("/data/leveringen")
def deliveries(request: Request, user: Principal = Depends(DATA)):
    st = state(request)
    partner = (request.query_params.get("partner") or "")[:64]
    status = request.query_params.get("status") or ""
    query = select(Delivery).where(Delivery.gemeente == st.ctx.gemeente)
    if partner:
        query = query.where(Delivery.partner_id == partner)
    if status in STATUSES:
        query = query.where(Delivery.status == status)
    with db.session(st.settings.database_url) as s:
        rows = s.scalars(query.order_by(Delivery.received_at.desc()).limit(300)).all()
        partners = sorted(s.scalars(select(Delivery.partner_id).distinct()
                                    .where(Delivery.gemeente == st.ctx.gemeente)).all())
        quarantine_lines = dict(s.execute(
            select(QuarantineRecord.delivery_id, func.count())
            .where(QuarantineRecord.delivery_id.in_([d.id for d in rows]))
            .group_by(QuarantineRecord.delivery_id)).all()) if rows else {}
    return render(request, "data/deliveries.html", deliveries=rows, partners=partners,
                  statuses=STATUSES, partner=partner, status=status,
                  quarantine_lines=quarantine_lines,
                  partner_names={p: c.name for p, c in st.ctx.municipality.partners.items()})


@router.get("/data/leveringen/{delivery_id}")
def delivery(request: Request, delivery_id: str, user: Principal = Depends(DATA)):
    st = state(request)
    with db.session(st.settings.database_url) as s:
        d = s.get(Delivery, delivery_id[:36])
        if d is None or d.gemeente != st.ctx.gemeente:
            raise Refused(404, "Deze levering bestaat niet.")
        records = list(d.quarantine)
        results = s.scalars(select(ValidationResult)
                            .where(ValidationResult.delivery_id == d.id)
                            .order_by(ValidationResult.id)).all()
    by_reason = Counter((q.reason, q.column or "") for q in records)
    return render(request, "data/delivery.html", d=d, by_reason=sorted(by_reason.items()),
                  records=records[:500], more=max(0, len(records) - 500), results=results)


@router.get("/data/runs")
def runs(request: Request, user: Principal = Depends(DATA)):
    st = state(request)
    with db.session(st.settings.database_url) as s:
        rows = s.scalars(select(Run).where(Run.gemeente == st.ctx.gemeente)
                         .order_by(Run.started_at.desc()).limit(30)).all()
        lists = dict(s.execute(select(Publication.run_id, func.count())
                               .where(Publication.run_id.in_([r.id for r in rows]))
                               .group_by(Publication.run_id)).all()) if rows else {}
    prefect = (flow_runs(st.settings.prefect_api_url, st.ctx.gemeente)
               if st.settings.prefect_api_url else None)
    return render(request, "data/runs.html", runs=rows, lists=lists, prefect=prefect)


@router.get("/data/meldingen")
def notifications(request: Request, user: Principal = Depends(DATA)):
    """Notifications of this municipality (vroeg/notify.py): newest first, with whether the
    e-mail went out."""
    st = state(request)
    with db.session(st.settings.database_url) as s:
        rows = s.scalars(select(Notification).where(Notification.gemeente == st.ctx.gemeente)
                         .order_by(Notification.created_at.desc(), Notification.id.desc())
                         .limit(200)).all()
    return render(request, "data/notifications.html", notifications=rows,
                  email=st.ctx.municipality.operations.notifications.enabled)


def capacity(municipality: Municipality, team: Wijkteam) -> int | None:
    """A team's capacity per period, if the configuration has one (the matching work adds it).

    Looked up by name so that this page works before and after that change: a `capacity` (or
    `capaciteit`) on the team, or a mapping of team code to capacity on the municipality.
    """
    for owner, key in ((team, None), (municipality, team.code),
                       (getattr(municipality, "scoring", None), team.code)):
        for attribute in ("capacity", "capaciteit"):
            value = getattr(owner, attribute, None)
            if value is None:
                continue
            if key is not None:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            per_period = getattr(value, "per_period", None) or getattr(value, "households", None)
            if isinstance(per_period, int):
                return per_period
    return None


def _month_counts(request: Request) -> list[tuple[str, str, int]]:
    st = state(request)
    with db.session(st.settings.database_url) as s:
        return [(r.maand, r.partner_type, r.signalen) for r in s.scalars(
            select(SignalMonthCount).where(SignalMonthCount.gemeente == st.ctx.gemeente)
            .order_by(SignalMonthCount.maand)).all()]


def _team_sizes(request: Request) -> list[charts.TeamSize]:
    st = state(request)
    sizes = []
    with db.session(st.settings.database_url) as s:
        for team in st.ctx.municipality.wijkteams:
            current = s.scalars(
                select(Publication)
                .where(Publication.gemeente == st.ctx.gemeente, Publication.wijkteam == team.code)
                .order_by(Publication.period.desc(), Publication.created_at.desc(),
                          Publication.id.desc()).limit(1)).first()
            sizes.append(charts.TeamSize(team.name, current.households if current else 0,
                                         capacity(st.ctx.municipality, team)))
    return sizes


def _last_months(counts: list[tuple[str, str, int]],
                 months: int = 24) -> list[tuple[str, str, int]]:
    keep = sorted({m for m, _, _ in counts})[-months:]
    return [c for c in counts if c[0] in keep]


@router.get("/data/grafieken")
def chart_page(request: Request, user: Principal = Depends(DATA)):
    counts = _last_months(_month_counts(request))
    months = sorted({m for m, _, _ in counts})
    types = sorted({t for _, t, _ in counts})
    table = {(m, t): n for m, t, n in counts}
    return render(request, "data/charts.html", months=months, types=types, table=table,
                  sizes=_team_sizes(request))


def _svg(content: str) -> Response:
    return Response(content, media_type="image/svg+xml")


@router.get("/data/grafieken/signalen.svg")
def signals_chart(request: Request, user: Principal = Depends(DATA)):
    counts = _last_months(_month_counts(request))
    return _svg(charts.signals_per_month(counts, "Signalen per maand per soort partner"))


@router.get("/data/grafieken/lijstgrootte.svg")
def sizes_chart(request: Request, user: Principal = Depends(DATA)):
    return _svg(charts.list_sizes(_team_sizes(request),
                                  "Huishoudens op de huidige lijst per wijkteam"))
