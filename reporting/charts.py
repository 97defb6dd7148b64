"""The monitor's charts as SVG, drawn by publishing.charts (no plotting library)."""

from __future__ import annotations

from publishing.charts import bars, signals_per_month
from reporting.monitor import MUNICIPALITY, Figures


def charts(all_figures: list[Figures], label: str) -> dict[str, str]:
    """File name -> SVG text. Counts and ratios only."""
    municipality = next(f for f in all_figures if f.scope == MUNICIPALITY)
    teams = [f for f in all_figures if f.scope != MUNICIPALITY]
    out = {
        "signalen_per_maand.svg": signals_per_month(
            municipality.month_types, f"Signalen per maand en partnertype, {label}"),
        "eindresultaten.svg": bars(
            list(municipality.outcomes.items()), f"Zaken per eindresultaat, {label}",
            foot=f"Open zaken (nog geen eindresultaat): {municipality.open_cases}"),
        "bereik_per_wijkteam.svg": bars(
            [(f.scope, 100 * f.reached) for f in teams if f.reached is not None],
            f"Bereik per wijkteam (zaken waarin de inwoner bereikt is), {label}", unit=" %"),
    }
    per_1000 = [(f.scope, f.per_1000_month_average) for f in teams
                if f.per_1000_month_average is not None]
    if per_1000:
        out["signalen_per_1000_per_wijkteam.svg"] = bars(
            per_1000, f"Signalen per 1.000 inwoners per maand, {label}", decimals=1)
    else:
        out["signalen_per_wijkteam.svg"] = bars(
            [(f.scope, f.signals) for f in teams],
            f"Signalen per wijkteam, {label}",
            foot="Inwoners per wijkteam niet ingesteld (wijkteams: inhabitants).")
    return out
