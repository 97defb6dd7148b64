"""The convenant's rules per DDAS partner type (`partner_types` in gemeente.yaml): one definition,
read twice.

The window is the number of days between the start of the arrears (ontstaansdatum) and the
signal (signaaldatum) within which the convenant lets a type of partner signal; some types also
have amounts. Validation (quality/suite.py) quarantines a delivered row outside them; scoring
(scoring/rules.py) does not count a stored signal outside them toward a visit list, so a change
here also applies to signals loaded before it. A crisis signal always counts (and is exempt from
the window at validation unless validation.window_applies_to_crisis).

Until issue 13 the windows stood twice, under `validation.partner_types` and
`scoring.signal_rules`: a data officer who changed one got two rules. A configuration that
still has those keys is refused with a message that says what to move where (`moved_keys`).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from vroeg.config.base import Section


class PartnerTypeRules(Section):
    """Rules for the signals of one DDAS partner type, on top of the rules for every signal."""

    #: The arrears must be at least this many days old when signalled.
    min_days: int | None = Field(None, ge=0)
    #: ... and at most this many days.
    max_days: int | None = Field(None, ge=0)
    #: Amounts (euros) below this are not a signal under the agreement (DUO: 270).
    min_amount: float | None = Field(None, ge=0)
    #: Amounts (euros) above this are implausible for this type (on top of
    #: validation.max_amount); checked at validation only.
    max_amount: float | None = Field(None, gt=0)
    #: What the partner must have done before it may signal that no delivered row shows (the
    #: Belastingdienst: a formal reminder). Shown on the algorithm card; not checked.
    condition: str | None = None
    #: Where the rule is laid down (the convenant, a Staatscourant), for the algorithm card.
    source: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PartnerTypeRules:
        if (self.min_days is not None and self.max_days is not None
                and self.max_days < self.min_days):
            raise ValueError("max_days is smaller than min_days")
        if (self.min_amount is not None and self.max_amount is not None
                and self.max_amount < self.min_amount):
            raise ValueError("max_amount is smaller than min_amount")
        return self

    @property
    def empty(self) -> bool:
        """No rule a row can be checked against (a condition or a source alone is not one)."""
        return all(v is None for v in (self.min_days, self.max_days, self.min_amount,
                                       self.max_amount))


_CONVENANT = "Landelijk Convenant Vroegsignalering"
_REGELING = "Tijdelijke regeling signaal betalingsachterstanden"

#: The windows of the Landelijk Convenant Vroegsignalering (docs/domain.md): rent, energy and
#: water from 30 days in arrears; health insurers between 30 and 100 days; the CAK after more
#: than six months; DUO from EUR 270. The partner types the Tijdelijke regeling added since 2024:
#: the CAK's own contribution (Wmo/Wlz) from EUR 100 with the oldest claim at least five months
#: old (Stcrt. 2024, 10148), the Belastingdienst from EUR 600 after a formal reminder (Stcrt.
#: 2025, 17636). Dienst Toeslagen (same Staatscourant) and the mortgage lenders of the Hypotheek
#: experiment signal per agreement: no published window or amount, so none here (a municipality
#: sets its agreement's under `partner_types`); their entries only name the source. Overige has
#: no rules until a municipality sets them.
DEFAULT_PARTNER_TYPE_RULES: dict[str, PartnerTypeRules] = {
    "Huur": PartnerTypeRules(min_days=30, source=_CONVENANT),
    "Energie": PartnerTypeRules(min_days=30, source=_CONVENANT),
    "Water": PartnerTypeRules(min_days=30, source=_CONVENANT),
    "Zorg": PartnerTypeRules(min_days=30, max_days=100, source=_CONVENANT),
    "CAK Zorgverzekeringen": PartnerTypeRules(min_days=183, source=_CONVENANT),
    "DUO": PartnerTypeRules(min_amount=270, source=_REGELING),
    # "At least five months": the shortest five calendar months (1 November to 1 April) are 151
    # days, so no signal the regulation allows is refused.
    "CAK Eigen bijdrage": PartnerTypeRules(min_days=151, min_amount=100,
                                           source=f"{_REGELING} (Stcrt. 2024, 10148)"),
    "Belastingdienst": PartnerTypeRules(min_amount=600, condition="na een formele aanmaning",
                                        source=f"{_REGELING} (Stcrt. 2025, 17636)"),
    "Dienst Toeslagen": PartnerTypeRules(condition="per afspraak met de gemeente",
                                         source=f"{_REGELING} (Stcrt. 2025, 17636)"),
    "Hypotheek": PartnerTypeRules(condition="per afspraak in het experiment (drie "
                                            "geldverstrekkers, negen gemeenten)",
                                  source=f"{_REGELING} (experiment hypotheekverstrekkers)"),
}


def with_defaults(given: dict[str, PartnerTypeRules]) -> dict[str, PartnerTypeRules]:
    """The rules in force: an entry given replaces the default for its type (`{}` removes it);
    types not given keep DEFAULT_PARTNER_TYPE_RULES."""
    return {**DEFAULT_PARTNER_TYPE_RULES, **given}


# --------------------------------------------------------------------------------------------
# The old keys
# --------------------------------------------------------------------------------------------

_OLD_DEFAULT_TYPES = ("Huur", "Energie", "Water", "Zorg", "CAK Zorgverzekeringen", "DUO")
_OLD_KEYS = ("validation.partner_types", "scoring.signal_rules", "scoring.default_signal_rule")


def _old(data: dict, key: str):
    section, name = key.split(".")
    part = data.get(section)
    return part.get(name) if isinstance(part, dict) else None


def _window(rule) -> tuple:
    """(min_days, max_days, minimum amount) of an old entry of either section, or None."""
    if not isinstance(rule, dict):
        return None
    amount = rule.get("min_amount", rule.get("minimum_amount"))
    return rule.get("min_days"), rule.get("max_days"), amount or None


def _disagreeing(data: dict) -> list[str]:
    """Partner types whose old validation and scoring windows differ (both given)."""
    validation, scoring = _old(data, _OLD_KEYS[0]), _old(data, _OLD_KEYS[1])
    if not isinstance(validation, dict) or not isinstance(scoring, dict):
        return []
    # The old meanings: a validation entry replaced its type's default; the scoring entries
    # replaced the whole default list. The old defaults were the convenant's six types (the
    # types added since 2024 had no default then).
    defaults = {t: r.model_dump() for t, r in DEFAULT_PARTNER_TYPE_RULES.items()
                if t in _OLD_DEFAULT_TYPES}
    checked = {**defaults, **validation}
    return sorted(t for t in set(checked) | set(scoring)
                  if (_window(checked.get(t)) or (None,) * 3)
                  != (_window(scoring.get(t)) or (None,) * 3))


def moved_keys(data: dict) -> str | None:
    """None for a configuration without the old keys; else what to change, in Dutch and English.

    The old form is refused rather than read, even where both sections agree: read, it would
    leave two places in the file that look like rules, of which only one would count, and the
    sections had different defaults and names (minimum_amount, default_signal_rule).
    """
    found = [key for key in _OLD_KEYS if _old(data, key) is not None]
    if not found:
        return None
    differ = _disagreeing(data)
    return (
        f"{', '.join(found)}: de termijnen en bedragen per partnertype staan nu op één plek, "
        "`partner_types` (bovenaan in gemeente.yaml); validatie en scoring lezen ze allebei. "
        "Zet de regels van `validation.partner_types` onder `partner_types` en haal "
        "`scoring.signal_rules` en `scoring.default_signal_rule` weg (`minimum_amount` heet in "
        "`partner_types` `min_amount`; een soort zonder regel heeft geen termijn). "
        + (f"Let op: voor {', '.join(differ)} verschillen de twee oude secties; kies per soort "
           "de regel die moet gelden. " if differ else "")
        + "Zie docs/configuration.md. / The windows and amounts per partner type now have one "
        "home, `partner_types` at the top of gemeente.yaml, read by validation and scoring: move "
        "`validation.partner_types` there and remove `scoring.signal_rules` and "
        "`scoring.default_signal_rule` (`minimum_amount` is `min_amount` there)."
        + (f" The old sections differ for {', '.join(differ)}: choose the rule that applies."
           if differ else "")
        + " See docs/configuration.md."
    )
