"""Why a household is on the list, in plain Dutch, built from its points per rule.

The text is generated from the same numbers that make the score, so the explanation cannot drift
from the ranking: a coordinator, a resident or a judge can add the points up. A rule that gave no
points is not mentioned, except the amount (it explains why the household passed the threshold).
"""

from __future__ import annotations

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
    if row.get("bedrag_gestegen"):
        parts.append("herhaald signaal voor dezelfde achterstand, met een hoger bedrag")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def advice(row: dict, rules: Scoring) -> str:
    """The advice term: crisis households within days, the rest by section."""
    if row["crisis"]:
        return rules.advice.crisis
    return (rules.advice.wachtlijst if row.get("sectie") == "wachtlijst"
            else rules.advice.bezoeklijst)
