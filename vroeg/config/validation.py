"""The validation section of gemeente.yaml: when a delivered row is quarantined or a whole file
rejected, and the convenant's rules per DDAS partner type (docs/configuration.md)."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from vroeg import ddas
from vroeg.config.base import Section, check_partner_types


class PartnerTypeRules(Section):
    """Rules for the signals of one DDAS partner type, on top of the rules for every signal.

    The window is the number of days between the start of the arrears (ontstaansdatum) and the
    signal (signaaldatum) within which the convenant lets this type of partner signal.
    """

    #: The arrears must be at least this many days old when signalled.
    min_days: int | None = Field(None, ge=0)
    #: ... and at most this many days.
    max_days: int | None = Field(None, ge=0)
    #: Amounts (euros) below this are not a signal under the agreement (DUO: 270).
    min_amount: float | None = Field(None, ge=0)
    #: Amounts (euros) above this are implausible for this type (on top of max_amount).
    max_amount: float | None = Field(None, gt=0)

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
        return all(v is None for v in (self.min_days, self.max_days, self.min_amount,
                                       self.max_amount))


#: The windows of the Landelijk Convenant Vroegsignalering (docs/domain.md): rent, energy and
#: water from 30 days in arrears; health insurers between 30 and 100 days; the CAK after more
#: than six months; DUO from EUR 270. Other types signal "per agreement": no rules until a
#: municipality sets them.
DEFAULT_PARTNER_TYPE_RULES: dict[str, PartnerTypeRules] = {
    "Huur": PartnerTypeRules(min_days=30),
    "Energie": PartnerTypeRules(min_days=30),
    "Water": PartnerTypeRules(min_days=30),
    "Zorg": PartnerTypeRules(min_days=30, max_days=100),
    "CAK Zorgverzekeringen": PartnerTypeRules(min_days=183),
    "DUO": PartnerTypeRules(min_amount=270),
}


class Validation(Section):
    #: A file with a larger share of bad rows is rejected whole (and kept in the archive).
    max_bad_share: float = Field(0.5, ge=0, le=1)
    #: Amounts above this are implausible and quarantined (euros).
    max_amount: float = Field(100_000, gt=0)
    #: Signals older than this (signaaldatum) are refused as stale.
    max_signal_age_days: int = Field(400, gt=0)
    #: Rules per DDAS partner type. Entries given here replace the default for that type (an
    #: empty entry `{}` removes it); types not given keep DEFAULT_PARTNER_TYPE_RULES.
    partner_types: dict[str, PartnerTypeRules] = Field(default_factory=dict)
    #: Crisis signals (eviction or disconnection announced, an energy end-of-contract signal)
    #: come outside the window by design: sector rules make partners signal before disconnection.
    window_applies_to_crisis: bool = False

    @field_validator("partner_types")
    @classmethod
    def _known_types(cls, value: dict[str, PartnerTypeRules]) -> dict[str, PartnerTypeRules]:
        check_partner_types(value)
        return value

    def rules_for(self, partner_type: str) -> PartnerTypeRules | None:
        """The effective rules for one partner type, None when it has none."""
        rules = self.partner_types.get(partner_type, DEFAULT_PARTNER_TYPE_RULES.get(partner_type))
        return None if rules is None or rules.empty else rules

    def effective_partner_types(self) -> dict[str, PartnerTypeRules]:
        return {t: r for t in ddas.signaalpartners() if (r := self.rules_for(t)) is not None}


