"""The monitor figures of the domain brief, as pure functions of signal and case facts.

Per scope (the municipality, and each wijkteam):
- signals per 1,000 inhabitants per month (each month of the window that has data, and the
  average over those months: a window reaching back before the first delivery, or past the last,
  would otherwise spread the signals over months in which nothing could have been counted);
- share per partner type;
- share of *meervoudige* signals (another signal at the address in the same calendar month) and
  of *opeenvolgende* signals (another signal at the address in the `consecutive_months` calendar
  months before);
- share of signals that became a case (they count for a household with a case);
- cases, reach rate (cases with at least one contact attempt that reached the resident, of all
  cases), outcomes (cases per end result, open cases);
- days from signal to first contact (per case: first contact attempt minus the case's earliest
  signal date; median and mean over the cases with a contact attempt).
The inputs are pseudonymised facts (reporting.records); the output is counts and ratios only.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from reporting.records import CaseFact, SignalFact
from vroeg.formats import number_nl

MUNICIPALITY = "gemeente"


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_of(van: dt.date, tot: dt.date) -> list[str]:
    """The calendar months the window touches, in order."""
    return [_month_name(i) for i in range(_month_index(van), _month_index(tot) + 1)]


@dataclass
class Figures:
    scope: str
    inhabitants: int | None
    signals: int = 0
    per_month: dict[str, int] = field(default_factory=dict)
    #: (month, partner type, signals), for the stacked chart
    month_types: list[tuple[str, str, int]] = field(default_factory=list)
    per_1000_per_month: dict[str, float | None] = field(default_factory=dict)
    #: The months of the window with data (a signal anywhere in the municipality): the average
    #: per month divides by these, and says so.
    months_with_data: list[str] = field(default_factory=list)
    per_1000_month_average: float | None = None
    partner_types: dict[str, float] = field(default_factory=dict)
    meervoudig: float | None = None
    opeenvolgend: float | None = None
    became_case: float | None = None
    cases: int = 0
    reached: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    open_cases: int = 0
    days_to_contact_median: float | None = None
    days_to_contact_mean: float | None = None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def signal_flags(signals: list[SignalFact],
                 consecutive_months: int) -> dict[str, tuple[bool, bool]]:
    """(meervoudig, opeenvolgend) per signal pseudonym, from all signals given (pass the months
    before the window too, or early signals cannot be opeenvolgend)."""
    months_by_household: dict[str, Counter] = defaultdict(Counter)
    for s in signals:
        months_by_household[s.huishouden][_month_index(s.signaaldatum)] += 1
    flags = {}
    for s in signals:
        months = months_by_household[s.huishouden]
        m = _month_index(s.signaaldatum)
        multiple = months[m] > 1
        consecutive = any(months[m - k] for k in range(1, consecutive_months + 1))
        flags[s.signaal] = (multiple, consecutive)
    return flags


def scope_figures(scope: str, inhabitants: int | None, signals: list[SignalFact],
                  cases: list[CaseFact], flags: dict[str, tuple[bool, bool]],
                  signal_dates: dict[str, dt.date], months: list[str],
                  months_with_data: list[str] | None = None) -> Figures:
    """months_with_data: the months of `months` in which anything was counted (default: those
    with a signal of this scope); a scope's rate per month is None in the others."""
    f = Figures(scope=scope, inhabitants=inhabitants, signals=len(signals))
    by_month = Counter(f"{s.signaaldatum.year:04d}-{s.signaaldatum.month:02d}" for s in signals)
    f.per_month = {m: by_month.get(m, 0) for m in months}
    f.month_types = sorted((m, t, n) for (m, t), n in Counter(
        (f"{s.signaaldatum.year:04d}-{s.signaaldatum.month:02d}", s.partner_type)
        for s in signals).items())
    if months_with_data is None:
        months_with_data = [m for m in months if by_month.get(m)]
    f.months_with_data = list(months_with_data)
    if inhabitants:
        # A month without any data is no month with zero signals: it has no rate, and does not
        # lower the average.
        f.per_1000_per_month = {m: n * 1000 / inhabitants if m in months_with_data else None
                                for m, n in f.per_month.items()}
        f.per_1000_month_average = (len(signals) * 1000 / inhabitants / len(months_with_data)
                                    if months_with_data else None)
    else:
        f.per_1000_per_month = {m: None for m in f.per_month}
    types = Counter(s.partner_type for s in signals)
    f.partner_types = {t: n / len(signals) for t, n in sorted(types.items())}
    f.meervoudig = _share(sum(1 for s in signals if flags[s.signaal][0]), len(signals))
    f.opeenvolgend = _share(sum(1 for s in signals if flags[s.signaal][1]), len(signals))
    f.became_case = _share(sum(1 for s in signals if s.case_id is not None), len(signals))

    f.cases = len(cases)
    f.reached = _share(sum(1 for c in cases if c.reached), len(cases))
    f.outcomes = dict(sorted(Counter(c.case.eindresultaat for c in cases
                                     if c.case.eindresultaat is not None).items()))
    f.open_cases = sum(1 for c in cases if c.case.eindresultaat is None)
    waits = []
    for c in cases:
        dates = [signal_dates[s] for s in c.signals if s in signal_dates]
        if c.first_contact is not None and dates:
            waits.append((c.first_contact - min(dates)).days)
    if waits:
        f.days_to_contact_median = float(statistics.median(waits))
        f.days_to_contact_mean = statistics.fmean(waits)
    return f


def figures(signals: list[SignalFact], cases: list[CaseFact], van: dt.date, tot: dt.date, *,
            inhabitants: int, team_inhabitants: dict[str, int | None],
            consecutive_months: int = 6) -> list[Figures]:
    """The municipality first, then each wijkteam (configured ones, then any other seen).

    signals: every signal of the window plus those of the `consecutive_months` months before
    (for opeenvolgend) and the earlier signals of the window's cases (for days to contact);
    only the window's signals are counted. cases: the window's cases."""
    flags = signal_flags(signals, consecutive_months)
    dates = {s.signaal: s.signaaldatum for s in signals}
    window = [s for s in signals if van <= s.signaaldatum <= tot]
    months = months_of(van, tot)
    # A month has data when the municipality counted a signal in it; a team without signals in
    # such a month really had none (a rate of 0), so every scope divides by the same months.
    seen = {_month_name(_month_index(s.signaaldatum)) for s in window}
    with_data = [m for m in months if m in seen]
    out = [scope_figures(MUNICIPALITY, inhabitants, window, cases, flags, dates, months,
                         with_data)]
    teams = list(team_inhabitants) + sorted(
        ({s.wijkteam for s in window} | {c.case.wijkteam for c in cases}) - set(team_inhabitants))
    for team in teams:
        out.append(scope_figures(
            team, team_inhabitants.get(team), [s for s in window if s.wijkteam == team],
            [c for c in cases if c.case.wijkteam == team], flags, dates, months, with_data))
    return out


def rows(all_figures: list[Figures]) -> list[tuple[str, str, str, str]]:
    """(eenheid, kengetal, categorie, waarde) per figure: the CSV's long format, numbers with a
    decimal comma like every file the project writes for people."""
    out: list[tuple[str, str, str, str]] = []
    for f in all_figures:
        def add(name: str, value, category: str = "", scope: str = f.scope) -> None:
            out.append((scope, name, category, number_nl(value)))
        add("inwoners", f.inhabitants)
        add("signalen", f.signals)
        for m, n in f.per_month.items():
            add("signalen_per_maand", n, m)
        for m, v in f.per_1000_per_month.items():
            add("signalen_per_1000_inwoners_per_maand", v, m)
        add("maanden_met_gegevens", len(f.months_with_data))
        # The category says over which months the average is taken.
        add("signalen_per_1000_inwoners_per_maand_gemiddeld", f.per_1000_month_average,
            f"gemiddeld over {len(f.months_with_data)} maand(en) met gegevens")
        for t, v in f.partner_types.items():
            add("aandeel_partnertype", v, t)
        add("aandeel_meervoudig", f.meervoudig)
        add("aandeel_opeenvolgend", f.opeenvolgend)
        add("aandeel_zaak_geworden", f.became_case)
        add("zaken", f.cases)
        add("bereik", f.reached)
        for r, n in f.outcomes.items():
            add("eindresultaat", n, r)
        add("zaken_open", f.open_cases)
        add("dagen_signaal_tot_eerste_contact_mediaan", f.days_to_contact_median)
        add("dagen_signaal_tot_eerste_contact_gemiddeld", f.days_to_contact_mean)
    return out
