"""What the reports read: signals from the warehouse, cases from the operational database, and
which run is current for each period. Pseudonyms, codes, dates and amounts only; identities are
fetched by the export and the feedback themselves, through the vault (logged per subject).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from privacy.context import Context
from reporting import mapping
from scoring import warehouse
from scoring.score import Period
from sql import sql
from vroeg.opsdb import cases, db
from vroeg.opsdb.cases import CaseRecord
from vroeg.opsdb.models import Run
from vroeg.opsdb.statuses import RunKind, RunStatus


@dataclass(frozen=True)
class SignalFact:
    signaal: str
    huishouden: str
    partner_id: str
    partner_type: str
    signaaldatum: dt.date
    ontstaansdatum: dt.date
    bedrag_cent: int
    crisis: bool
    wijkteam: str
    #: EnumSignaalstatus (reporting.mapping.signal_status)
    status: str
    #: the case it counts for, if any
    case_id: str | None


@dataclass(frozen=True)
class CaseFact:
    case: CaseRecord
    signals: tuple[str, ...]
    matchingsdatum: dt.date
    period_start: dt.date
    period_end: dt.date  # last day of the matching period

    @property
    def first_contact(self) -> dt.date | None:
        dates = [c.datum for c in self.case.contactpogingen]
        return min(dates) if dates else None

    @property
    def reached(self) -> bool:
        return any(c.bereikt for c in self.case.contactpogingen)


@dataclass(frozen=True)
class Reportable:
    gemeente: str
    van: dt.date
    tot: dt.date
    #: signals with signaaldatum in [van, tot], and the earlier signals of the window's cases
    signals: list[SignalFact]
    cases: list[CaseFact]

    def in_window(self) -> list[SignalFact]:
        return [s for s in self.signals if self.van <= s.signaaldatum <= self.tot]


def month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def current_runs(database_url: str, gemeente: str) -> dict[str, tuple[str, dt.date]]:
    """period -> (run id, date) of the newest published monthly run of each period. A crisis-lane
    run (issue 17) scores only a month's crisis households: the figures keep the monthly run's."""
    query = (select(Run.period, Run.id, Run.started_at)
             .where(Run.gemeente == gemeente, Run.status == RunStatus.GEPUBLICEERD,
                    Run.kind == RunKind.MAAND)
             .order_by(Run.started_at))
    with db.session(database_url) as s:
        return {period: (run_id, started.date()) for period, run_id, started in s.execute(query)}


def run_dates(database_url: str, run_ids: list[str]) -> dict[str, dt.date]:
    with db.session(database_url) as s:
        return {run_id: started.date() for run_id, started in s.execute(
            select(Run.id, Run.started_at).where(Run.id.in_(run_ids)))}


def gather(ctx: Context, van: dt.date, tot: dt.date) -> Reportable:
    """Signals and cases of one municipality for a window of whole or partial months."""
    if tot < van:
        raise ValueError("de einddatum ligt vóór de begindatum")
    url, gemeente = ctx.database_url, ctx.gemeente
    found_cases = cases.cases_between(url, gemeente, month(van), month(tot))
    runs = current_runs(url, gemeente)
    current = sorted({run_id for run_id, _ in runs.values()})
    case_runs = sorted({c.run_id for c in found_cases})
    with warehouse.connect(ctx.warehouse_path) as con:
        pairs = con.execute(sql("reporting/case_signals"), {
            "run_ids": case_runs, "huishoudens": sorted({c.huishouden_pseudoniem
                                                         for c in found_cases}),
        }).fetchall()
        by_case: dict[tuple[str, str], list[str]] = {}
        for run_id, household, signal in pairs:
            by_case.setdefault((run_id, household), []).append(signal)
        extra = sorted({s for signals in by_case.values() for s in signals})
        rows = con.execute(sql("reporting/signals"), {
            "van": van, "tot": tot, "run_ids": sorted(set(current) | set(case_runs)),
            "extra": extra,
        }).fetchall()
        columns = [d[0] for d in con.description]

    dates = run_dates(url, case_runs)
    months = ctx.municipality.matching.period_months
    case_facts: list[CaseFact] = []
    case_of_signal: dict[str, CaseRecord] = {}
    for case in found_cases:
        signals = tuple(by_case.get((case.run_id, case.huishouden_pseudoniem), ()))
        period = Period.parse(case.period, months)
        case_facts.append(CaseFact(
            case=case, signals=signals,
            matchingsdatum=dates.get(case.run_id, case.aangemaakt_op.date()),
            period_start=period.start, period_end=period.end - dt.timedelta(days=1)))
        for signal in signals:
            # A signal on two lists (a re-run): the newer list's case speaks for it.
            if signal not in case_of_signal or case_of_signal[signal].period <= case.period:
                case_of_signal[signal] = case

    kinds = {x.code: x.kind for x in ctx.municipality.exclusions}
    signals: list[SignalFact] = []
    for values in rows:
        r = dict(zip(columns, values, strict=True))
        case = case_of_signal.get(r["signaal_pseudoniem"])
        case_status = None if case is None else mapping.case_signal_status(
            end_result=case.eindresultaat,
            acted=bool(case.contactpogingen) or case.opgepakt_op is not None)
        status = mapping.signal_status(
            case_status=case_status, counted=r["op_lijst_in_run"] is not None,
            household_status=r["huishouden_status"],
            exclusion_kind=kinds.get(r["uitsluiting"] or ""))
        signals.append(SignalFact(
            signaal=r["signaal_pseudoniem"], huishouden=r["huishouden_pseudoniem"],
            partner_id=r["partner_id"], partner_type=r["partner_type"],
            signaaldatum=r["signaaldatum"], ontstaansdatum=r["ontstaansdatum"],
            bedrag_cent=int(r["bedrag_cent"]), crisis=bool(r["crisis"]), wijkteam=r["wijkteam"],
            status=status, case_id=None if case is None else case.id))
    return Reportable(gemeente=gemeente, van=van, tot=tot, signals=signals, cases=case_facts)
