"""The scoring section of gemeente.yaml: the transparent points model and the listing rules
(docs/scoring.md explains each). Which signals count at all, per partner type, is the
`partner_types` section (vroeg/config/partner_types.py), read by scoring and validation alike."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from vroeg.config.base import Section, check_partner_types
from vroeg.config.features import AGE_GROUPS, RULES, check_features
from vroeg.ddas import CONTACT_KINDS


class FollowUp(Section):
    """What to try after unanswered contact attempts (issue 18): after `unanswered_attempts`
    attempts of one kind without reaching the resident (since the last time they were reached,
    in any month), the advice names another kind, with the reason. Kinds are the DDAS contact
    kinds the portal records."""

    #: Unanswered attempts of one kind after which another kind is advised.
    unanswered_attempts: int = Field(3, ge=1, le=20)
    #: The kind to try next after a kind that went unanswered; followed on when that one went
    #: unanswered too.
    next_kind: dict[str, str] = Field(default_factory=lambda: {
        "Huisbezoek": "Brief", "Brief": "Telefoon", "Kaartje": "Telefoon", "Mail": "Telefoon",
        "SMS/Whatsapp": "Telefoon", "Telefoon": "Huisbezoek",
    })
    #: When every kind in the chain went unanswered.
    last_resort: str = "huisbezoek samen met een partner (bijvoorbeeld de schuldeiser)"

    @field_validator("next_kind")
    @classmethod
    def _contact_kinds(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted((set(value) | set(value.values())) - set(CONTACT_KINDS))
        if unknown:
            raise ValueError(f"unknown contact kinds {unknown}; use {', '.join(CONTACT_KINDS)}")
        return value


class AdviceTerms(Section):
    """The advice printed per household (column `advies`): a term, and after unanswered
    contact attempts another kind of contact (`follow_up`)."""

    crisis: str = "binnen 3 werkdagen"
    bezoeklijst: str = "binnen 4 weken"
    wachtlijst: str = "als er ruimte is"
    follow_up: FollowUp = FollowUp()


class Scoring(Section):
    """The transparent points model and the listing rules (docs/scoring.md explains each)."""

    #: The attributes the model may read (allow-list, see vroeg/config/features.py). Adding one is a
    #: visible change here, on the algorithm card and in its version.
    features: list[str] = Field(default_factory=lambda: [
        "partner_type", "amount", "arrears_start", "signal_date", "crisis"])
    #: Households whose counted arrears in the period stay below this are not listed (euros).
    minimum_amount: float = Field(75, ge=0)
    #: Points per partner type present among the household's counted signals.
    partner_type_points: dict[str, int] = Field(
        default_factory=lambda: {
            "Huur": 30, "Energie": 20, "Water": 20, "Zorg": 10, "CAK Zorgverzekeringen": 25,
            # The types added since 2024 (unconfirmed weights: no study compares them yet). A
            # mortgage is the home, like rent; a tax or benefit debt, or six months of unpaid own
            # contribution for care, is a sign of trouble like a health-insurance debt.
            "Hypotheek": 30, "Belastingdienst": 15, "Dienst Toeslagen": 15,
            "CAK Eigen bijdrage": 15,
        }
    )
    #: Points for partner types without an entry above.
    other_partner_type_points: int = Field(10, ge=0)
    #: A typical monthly bill per partner type (euros): the amount is weighed in months of bills,
    #: so EUR 100 of water arrears (months) weighs more than EUR 100 of rent (a leftover).
    typical_monthly_bill: dict[str, float] = Field(
        default_factory=lambda: {
            "Huur": 650, "Energie": 180, "Water": 25, "Zorg": 150, "CAK Zorgverzekeringen": 190,
            # Unconfirmed estimates for the types added since 2024: a monthly mortgage payment;
            # the CAK's own contribution (the Wmo subscription rate is about EUR 22 a month, a
            # Wlz contribution hundreds); a monthly instalment of a tax or benefit claim.
            "Hypotheek": 1000, "CAK Eigen bijdrage": 100, "Belastingdienst": 250,
            "Dienst Toeslagen": 150,
        }
    )
    other_typical_monthly_bill: float = Field(100, gt=0)
    #: Points per monthly bill in arrears (summed over the counted signals), at most the maximum.
    points_per_bill_month: int = Field(4, ge=0)
    amount_points_max: int = Field(30, ge=0)
    #: Points per full month since the oldest counted arrears started, at most the maximum.
    points_per_month_in_arrears: int = Field(2, ge=0)
    arrears_points_max: int = Field(12, ge=0)
    #: Meervoudig: points per partner type beyond the first in the period.
    multiple_points: int = Field(20, ge=0)
    #: Opeenvolgend: a signal at the address in the months before the period.
    consecutive_points: int = Field(15, ge=0)
    #: A crisis signal: eviction or disconnection announced. Crisis households always rank first.
    crisis_points: int = Field(100, ge=0)
    #: Optional age-group rules, off by default; need "age_group" in features.
    age_group_points: dict[str, int] = Field(default_factory=dict)
    #: A lower (or higher) household minimum for a household with someone in the age group.
    age_group_minimum_amount: dict[str, float] = Field(default_factory=dict)
    #: Points for a household with minors according to the BRP (off by default: 0); needs
    #: "household_minors" in features and the BRP link on (brp.enabled).
    minors_points: int = Field(0, ge=0)
    advice: AdviceTerms = AdviceTerms()

    @field_validator("partner_type_points", "typical_monthly_bill")
    @classmethod
    def _known_types(cls, value: dict) -> dict:
        check_partner_types(value)
        return value

    @field_validator("typical_monthly_bill")
    @classmethod
    def _positive_bills(cls, value: dict[str, float]) -> dict[str, float]:
        if any(v <= 0 for v in value.values()):
            raise ValueError("a typical monthly bill must be more than 0")
        return value

    @field_validator("age_group_points", "age_group_minimum_amount")
    @classmethod
    def _age_groups(cls, value: dict) -> dict:
        unknown = set(value) - set(AGE_GROUPS)
        if unknown:
            raise ValueError(f"unknown age groups {sorted(unknown)}; use {', '.join(AGE_GROUPS)}")
        return value

    @model_validator(mode="after")
    def _allowed_features(self) -> Scoring:
        problems = check_features(self.features)
        for rule in RULES.values():
            unlisted = [f for f in rule.features if f not in self.features]
            if unlisted and self.rule_in_use(rule.name):
                problems.append(
                    f"regel '{rule.name}' ({rule.label}) gebruikt kenmerk "
                    f"{', '.join(unlisted)}, dat niet in scoring.features staat; zet het daar "
                    "bewust bij of zet de regel op 0")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def rule_in_use(self, rule: str) -> bool:
        for setting in RULES[rule].settings:
            value = getattr(self, setting)
            # A dict entry is a rule even with 0 points (a minimum of EUR 0 for an age group).
            if value:
                return True
        return False
