"""Why a household is on the list, in plain Dutch, built from its points per rule.

The text is generated from the same numbers that make the score, so the explanation cannot drift
from the ranking: a coordinator, a resident or a judge can add the points up.
"""

from __future__ import annotations

from vroeg.config import Scoring

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


def euros(cents: int) -> str:
    """1234,56 -> '€ 1.234,56' (Dutch notation)."""
    whole, rest = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}".replace(",", ".")
    return f"{'-' if cents < 0 else ''}€ {grouped},{rest:02d}"


def reasons(row: dict, rules: Scoring) -> str:
    """'Crisis: ... (+100); huurachterstand (+30); ...' for one ranked household."""
    parts: list[str] = []
    if row["crisis"]:
        parts.append(f"crisissignaal: ontruiming of afsluiting aangekondigd (+{row['punten_crisis']})")
    for item in row["punten_partnertype"]:
        name = ARREARS.get(item["partner_type"], item["partner_type"].lower())
        parts.append(f"{name} (+{item['punten']})")
    if row["punten_meervoudig"]:
        parts.append(
            f"meervoudig: signalen van {len(row['partnertypes'])} soorten partners deze maand "
            f"(+{row['punten_meervoudig']})"
        )
    parts.append(
        f"totale achterstand {euros(row['totaal_bedrag_cent'])} "
        f"(+{row['punten_bedrag']}, 1 punt per {euros(round(rules.euros_per_amount_point * 100))}, "
        f"max {rules.amount_points_max})"
    )
    text = "; ".join(parts)
    return text[0].upper() + text[1:]
