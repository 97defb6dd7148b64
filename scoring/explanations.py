"""Why a household is on the list, in plain Dutch, built from its points per rule.

The text is generated from the same numbers that make the score, so the explanation cannot drift
from the ranking: a coordinator, a resident or a judge can add the points up. A rule that gave no
points is not mentioned, except the amount (it explains why the household passed the threshold).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

from vroeg.config import Scoring
from vroeg.formats import date_nl, euros

#: How a partner type's arrears are named on a list.
ARREARS = {
    "Huur": "huurachterstand",
    "Energie": "energieachterstand",
    "Water": "achterstand drinkwater",
    "Zorg": "achterstand zorgverzekering",
    "CAK Zorgverzekeringen": "achterstand zorgpremie (CAK)",
    "CAK Eigen bijdrage": "achterstand eigen bijdrage (CAK)",
    "DUO": "achterstand studieschuld (DUO)",
    "Belastingdienst": "belastingschuld",
    "Dienst Toeslagen": "terugvordering toeslagen",
    "Hypotheek": "hypotheekachterstand",
    "Overige": "overige achterstand",
}


def bill_months(mille: int) -> str:
    """1992 thousandths -> '1,99': cut off, never rounded up, so that 'maandbedragen times
    points per maandbedrag, rounded down' gives the points shown (4 x 1,99 = 7,96 -> 7)."""
    value = (Decimal(int(mille)) / 1000).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return str(value).replace(".", ",")


def _months(n: int) -> str:
    return f"{n} maand" if n == 1 else f"{n} maanden"


def reasons(row: dict, rules: Scoring, *, period_months: int = 1) -> str:
    """'Crisissignaal: ... (+100); huurachterstand (+30); ...' for one ranked household."""
    period = "deze maand" if period_months == 1 else "deze periode"
    parts: list[str] = []
    if row["crisis"]:
        parts.append("crisissignaal: ontruiming of afsluiting aangekondigd "
                     f"(+{row['punten_crisis']})")
    for item in row["punten_partnertype"]:
        name = ARREARS.get(item["partner_type"], item["partner_type"].lower())
        parts.append(f"{name} (+{item['punten']})")
    if row["punten_meervoudig"]:
        parts.append(
            f"meervoudig: {len(row['partnertypes'])} soorten schuldeisers {period} "
            f"(+{row['punten_meervoudig']})"
        )
    parts.append(
        f"achterstand {euros(row['totaal_bedrag_cent'])} = "
        f"{bill_months(row['maandbedragen_mille'])}"
        f" maandbedragen (+{row['punten_bedrag']}; {rules.points_per_bill_month} per maandbedrag, "
        f"max {rules.amount_points_max})"
    )
    if row["punten_duur"]:
        parts.append(
            f"achterstand loopt {_months(row['maanden_achterstand'])}, sinds "
            f"{date_nl(row['oudste_ontstaansdatum'])} (+{row['punten_duur']}; "
            f"{rules.points_per_month_in_arrears} per maand, max {rules.arrears_points_max})"
        )
    if row["punten_opeenvolgend"]:
        parts.append(
            f"opeenvolgend: eerder signaal op dit adres op {date_nl(row['vorig_signaal'])} "
            f"(+{row['punten_opeenvolgend']})"
        )
    if row.get("punten_leeftijd"):
        groups = ", ".join(row.get("leeftijdsgroepen") or [])
        parts.append(f"leeftijdsgroep {groups} (+{row['punten_leeftijd']})")
    if row.get("punten_minderjarigen"):
        parts.append(f"minderjarigen in het huishouden volgens de BRP "
                     f"(+{row['punten_minderjarigen']})")
    if row.get("bedrag_gestegen"):
        parts.append("herhaald signaal voor dezelfde achterstand, met een hoger bedrag")
    if row.get("niet_op_adres"):
        # A reason to look twice, never one to leave the household off: people live
        # unregistered.
        parts.append("volgens de BRP niet ingeschreven op dit adres")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


#: A contact attempt as advice reads it: (DDAS contact kind, resident reached, day).
Attempt = tuple[str, bool, dt.date]


def follow_up(attempts: Iterable[Attempt], rules: Scoring) -> str:
    """Another kind of contact after unanswered attempts of one kind, with the reason; '' when
    the team can go on as it does.

    Only attempts since the resident was last reached count, in any month: three closed doors
    in October and one in November are four. When the kind to try next went unanswered as often
    too, the chain (`next_kind`) is followed; when every kind in it did, the last resort (a
    visit with a partner) is advised.
    """
    settings = rules.advice.follow_up
    ordered = sorted(attempts, key=lambda a: a[2])
    reached = [i for i, (_kind, bereikt, _day) in enumerate(ordered) if bereikt]
    since = ordered[reached[-1] + 1:] if reached else ordered
    unanswered = Counter(kind for kind, _bereikt, _day in since)
    tried = {kind for kind, n in unanswered.items() if n >= settings.unanswered_attempts}
    if not tried:
        return ""
    # The kind tried most recently among those that went unanswered often enough.
    kind = next(k for k, _bereikt, _day in reversed(since) if k in tried)
    nxt, seen = settings.next_kind.get(kind), {kind}
    while nxt is not None and nxt in tried and nxt not in seen:
        seen.add(nxt)
        nxt = settings.next_kind.get(nxt)
    what = settings.last_resort if nxt is None or nxt in tried else nxt.lower()
    last = max(day for k, _bereikt, day in since if k == kind)
    reason = "; ".join(
        f"{unanswered[k]} keer {k.lower()} zonder contact"
        for k in sorted(tried, key=lambda k: (-unanswered[k], k)))
    return f"probeer {what}: {reason} (laatste poging {date_nl(last)})"


def advice(row: dict, rules: Scoring, attempts: Iterable[Attempt] = ()) -> str:
    """The advice: the term (crisis households within days, the rest by section), and another
    kind of contact when earlier attempts went unanswered (`follow_up`)."""
    if row["crisis"]:
        term = rules.advice.crisis
    else:
        term = (rules.advice.wachtlijst if row.get("sectie") == "wachtlijst"
                else rules.advice.bezoeklijst)
    change = follow_up(attempts, rules)
    return f"{term}; {change}" if change else term
