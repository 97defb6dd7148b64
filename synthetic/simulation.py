"""Month-by-month simulation of the signals partners send about the synthetic population.

The figures come from docs/domain.md (Divosa Monitor Vroegsignalering): 4.4 signals per 1,000
inhabitants per month; Zorg 45 %, Energie 25 %, Huur 19 %, Water 11 %; Zorg peaks in March;
11 % of signalled households have two or more signals in a month (meervoudig); 40 % of signals
are at an address with a signal in the previous six months (opeenvolgend). Everything else
(amount medians, windows within the legal ones, crisis shares) is a plausible assumption, kept
as named constants here so it can be read and changed in one place.
"""

from __future__ import annotations

import calendar
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from synthetic.people import Household, Person, Population
from vroeg.config import Municipality, Partner

#: Year and month.
Month = tuple[int, int]

SIGNALS_PER_1000_PER_MONTH = 4.4
#: Share of all signals per DDAS partner type (2023); a type not listed gets OTHER_TYPE_SHARE.
TYPE_SHARES: dict[str, float] = {"Zorg": 0.45, "Energie": 0.25, "Huur": 0.19, "Water": 0.11,
                                  # The types added since 2024: no national figures yet
                                  # (assumptions), small beside the four above.
                                  "CAK Eigen bijdrage": 0.03, "Belastingdienst": 0.02,
                                  "Dienst Toeslagen": 0.02, "Hypotheek": 0.01}
OTHER_TYPE_SHARE = 0.03
#: Zorg volume in March relative to Zorg in any other month.
MARCH_ZORG_FACTOR = 1.5
#: Days between the start of the arrears (ontstaansdatum) and the signal, within the legal window.
ARREARS_DAYS: dict[str, tuple[int, int]] = {
    "Zorg": (30, 100), "Energie": (30, 120), "Huur": (30, 120), "Water": (30, 365),
    # The oldest claim at least five months old (151 days: vroeg/config/partner_types.py).
    "CAK Eigen bijdrage": (151, 365), "Belastingdienst": (60, 365),
    "Dienst Toeslagen": (30, 365), "Hypotheek": (30, 180),
}
OTHER_ARREARS_DAYS = (30, 365)
#: Median amount (euros) and spread (sigma of the log) per type for new arrears; roughly
#: lognormal. Medians in the files come out a few percent higher: repeated arrears grow.
AMOUNTS: dict[str, tuple[float, float]] = {
    "Zorg": (180, 0.6), "Energie": (275, 0.6), "Huur": (620, 0.55), "Water": (110, 0.45),
    # Assumptions: a few months of own contribution, a tax debt past its reminder, a benefit
    # recovery, two or three mortgage payments.
    "CAK Eigen bijdrage": (350, 0.6), "Belastingdienst": (1400, 0.6),
    "Dienst Toeslagen": (900, 0.7), "Hypotheek": (2500, 0.5),
}
OTHER_AMOUNT = (250, 0.6)
MIN_CENTS = 500
#: Share of signals announcing eviction or disconnection; health insurers cannot disconnect.
CRISIS_SHARES: dict[str, float] = {"Huur": 0.03, "Energie": 0.03, "Water": 0.03,
                                    "Hypotheek": 0.02}  # a forced sale announced

#: Chance that a signalled household gets signals of two or more types in one month.
MULTI_SHARE = 0.11
#: Of multi-signal households, the share with three types rather than two.
TRIPLE_SHARE = 0.2
#: Chance that a household is one signalled in the previous REPEAT_MONTHS months.
REPEAT_SHARE = 0.40
REPEAT_MONTHS = 6
#: A repeat household: chance its (first) signal comes from a partner type it had before.
SAME_TYPE_SHARE = 0.6
#: Same partner again: chance it is the same arrears (same start, same or higher amount).
CONTINUATION_SHARE = 0.7
#: Of continuations, the share with exactly the same amount (the pipeline should suppress those).
SAME_AMOUNT_SHARE = 0.35
#: Months simulated before the first written month so that history exists from the start.
WARMUP_MONTHS = REPEAT_MONTHS


@dataclass
class Signal:
    partner_id: str
    partner_type: str
    month: Month
    signaaldatum: date
    ontstaansdatum: date
    cents: int
    crisis: bool
    household: Household
    resident: Person
    signaal_id: str = ""


@dataclass
class _History:
    """What the simulation remembers per household: last month signalled, and per partner."""

    last_month: dict[int, int] = field(default_factory=dict)  # household id -> month index
    types: dict[int, list[str]] = field(default_factory=dict)  # household id -> types seen
    last_signal: dict[tuple[int, str], Signal] = field(default_factory=dict)  # (hh, partner)


def add_months(month: Month, delta: int) -> Month:
    index = month[0] * 12 + month[1] - 1 + delta
    return index // 12, index % 12 + 1


def weekdays(month: Month) -> list[date]:
    year, mon = month
    days = calendar.monthrange(year, mon)[1]
    return [d for d in (date(year, mon, day) for day in range(1, days + 1)) if d.weekday() < 5]


def default_signals_per_month(municipality: Municipality) -> int:
    return round(SIGNALS_PER_1000_PER_MONTH * municipality.inhabitants / 1000)


def id_prefix(partner: Partner) -> str:
    """'zorg-noord' -> 'ZN': a short, partner-specific prefix for signaal_id."""
    parts = [p for p in partner.id.split("-") if p]
    return ("".join(p[0] for p in parts) if len(parts) > 1 else partner.id[:2]).upper()


class Simulation:
    def __init__(self, municipality: Municipality, partners: list[Partner], seed: int,
                 signals_per_month: int) -> None:
        self.partners = partners
        self.signals_per_month = signals_per_month
        # Separate streams: the population does not shift when signal draws change, and vice versa.
        self.population = Population(municipality, random.Random(f"vroeg-synthetic/{seed}/people"))
        self.rng = random.Random(f"vroeg-synthetic/{seed}/signals")
        self.history = _History()
        self.counters: dict[str, tuple[int, int]] = {}  # partner id -> (year, last number)
        self.types = sorted({p.partner_type for p in partners})
        total = sum(TYPE_SHARES.get(t, OTHER_TYPE_SHARE) for t in self.types)
        self.shares = {t: TYPE_SHARES.get(t, OTHER_TYPE_SHARE) / total for t in self.types}
        # A type's minimum amount per agreement (the configuration's partner_types, the rule
        # validation applies): a sample partner never signals below it.
        self.min_cents = {t: round(r.min_amount * 100) for t in self.types
                          if (r := municipality.partner_type_rules(t)) and r.min_amount}

    def run(self, first: Month, months: int) -> dict[Month, list[Signal]]:
        """Signals per written month; WARMUP_MONTHS before `first` are simulated, not returned."""
        out: dict[Month, list[Signal]] = {}
        for offset in range(-WARMUP_MONTHS, months):
            month = add_months(first, offset)
            signals = self._month(month, offset + WARMUP_MONTHS)
            if offset >= 0:
                out[month] = signals
        return out

    # -- volumes --------------------------------------------------------------------------------

    def partner_counts(self, month: Month) -> dict[str, int]:
        """Signals per partner this month.

        `signals_per_month` is the yearly average (the Divosa figure is one), so Zorg outside March
        is scaled down a little to make room for the March peak: 11 months at f plus one at 1.5·f
        average to 1. A month's total varies by up to ±4 % around that.
        """
        jitter = self.rng.uniform(0.96, 1.04)
        normal = 12 / (11 + MARCH_ZORG_FACTOR)
        counts: dict[str, int] = {}
        for ptype in self.types:
            season = 1.0
            if ptype == "Zorg":
                season = normal * (MARCH_ZORG_FACTOR if month[1] == 3 else 1.0)
            total = round(self.signals_per_month * self.shares[ptype] * season * jitter)
            of_type = [p.id for p in self.partners if p.partner_type == ptype]
            for i, pid in enumerate(of_type):
                counts[pid] = total // len(of_type) + (1 if i < total % len(of_type) else 0)
        return counts

    # -- one month ------------------------------------------------------------------------------

    def _month(self, month: Month, index: int) -> list[Signal]:
        rng = self.rng
        remaining = self.partner_counts(month)
        type_of = {p.id: p.partner_type for p in self.partners}
        recent = sorted(hid for hid, last in self.history.last_month.items()
                        if index - REPEAT_MONTHS <= last < index)
        days = weekdays(month)
        signals: list[Signal] = []
        while any(remaining.values()):
            left = {t: sum(n for pid, n in remaining.items() if type_of[pid] == t)
                    for t in self.types}
            open_types = [t for t in self.types if left[t] > 0]
            size = 1
            if rng.random() < MULTI_SHARE:
                size = 3 if rng.random() < TRIPLE_SHARE else 2
            size = min(size, len(open_types))

            if recent and rng.random() < REPEAT_SHARE:
                # Swap-remove so a household is signalled in at most one group per month.
                pick = rng.randrange(len(recent))
                recent[pick], recent[-1] = recent[-1], recent[pick]
                household = self.population.households[recent.pop()]
            else:
                household = self.population.new_household(date(month[0], month[1], 1))

            chosen: list[str] = []
            seen = [t for t in self.history.types.get(household.id, []) if left[t] > 0]
            if seen and rng.random() < SAME_TYPE_SHARE:
                chosen.append(rng.choice(seen))
            while len(chosen) < size:
                options = [t for t in open_types if t not in chosen]
                chosen.append(rng.choices(options, [left[t] for t in options])[0])

            for ptype in chosen:
                partner_ids = [pid for pid in remaining if type_of[pid] == ptype and remaining[pid]]
                pid = rng.choices(partner_ids, [remaining[p] for p in partner_ids])[0]
                remaining[pid] -= 1
                signals.append(self._signal(month, index, days, household, pid, ptype))
        self._number(signals)
        return signals

    def _signal(self, month: Month, index: int, days: list[date], household: Household,
                partner_id: str, ptype: str) -> Signal:
        rng = self.rng
        lo, hi = ARREARS_DAYS.get(ptype, OTHER_ARREARS_DAYS)
        signaaldatum = rng.choice(days)
        previous = self.history.last_signal.get((household.id, partner_id))
        crisis = rng.random() < CRISIS_SHARES.get(ptype, 0.0)
        if previous is not None and rng.random() < CONTINUATION_SHARE:
            # The same arrears signalled again: the start stays if it still fits the window.
            age = (signaaldatum - previous.ontstaansdatum).days
            start = (previous.ontstaansdatum if lo <= age <= hi
                     else signaaldatum - timedelta(days=rng.randint(lo, hi)))
            factor = 1.0 if rng.random() < SAME_AMOUNT_SHARE else rng.uniform(1.05, 1.5)
            cents = round(previous.cents * factor)
        else:
            start = signaaldatum - timedelta(days=rng.randint(lo, hi))
            median, sigma = AMOUNTS.get(ptype, OTHER_AMOUNT)
            cents = max(MIN_CENTS, self.min_cents.get(ptype, 0),
                        round(median * math.exp(rng.gauss(0.0, sigma)) * 100))
            if crisis:
                cents *= 2  # eviction or disconnection comes after larger arrears
        signal = Signal(partner_id, ptype, month, signaaldatum, start, cents, crisis,
                        household, household.holder(ptype, rng))
        self.history.last_month[household.id] = index
        types = self.history.types.setdefault(household.id, [])
        if ptype not in types:
            types.append(ptype)
        self.history.last_signal[(household.id, partner_id)] = signal
        return signal

    def _number(self, signals: list[Signal]) -> None:
        """Partner-specific ids, rising with the signal date, with gaps (other municipalities)."""
        prefixes = {p.id: id_prefix(p) for p in self.partners}
        order = sorted(range(len(signals)),
                       key=lambda i: (signals[i].partner_id, signals[i].signaaldatum, i))
        for i in order:
            signal = signals[i]
            year = signal.signaaldatum.year
            if signal.partner_id not in self.counters:
                # The partner numbers signals for many municipalities since 1 January.
                day = signal.signaaldatum.timetuple().tm_yday
                self.counters[signal.partner_id] = (year, self.rng.randint(day, 20 * day))
            last_year, number = self.counters[signal.partner_id]
            number = (0 if last_year != year else number) + self.rng.randint(1, 12)
            self.counters[signal.partner_id] = (year, number)
            signal.signaal_id = f"{prefixes[signal.partner_id]}-{year}-{number:06d}"
