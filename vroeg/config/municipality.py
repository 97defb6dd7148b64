"""The municipality, gemeente.yaml: its wijkteams, how signals are matched and listed, its
exclusion lists, and the sections of their own (partner types, validation, scoring, privacy,
operations).

The partners are not in this file: load_municipality fills them in from partners/*.yaml.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator, model_validator

from vroeg import ddas
from vroeg.config.base import ConfigError, Section, check_partner_types
from vroeg.config.brp import Brp
from vroeg.config.operations import Operations
from vroeg.config.partner import Partner
from vroeg.config.partner_types import PartnerTypeRules, moved_keys, with_defaults
from vroeg.config.privacy import PrivacyPolicy
from vroeg.config.scoring import Scoring
from vroeg.config.validation import Validation

_PC4_RANGE = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


class Wijkteam(Section):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$", description="Folder-safe team code.")
    name: str
    #: Four-digit postcode areas served, as "8911" or ranges "8912-8914".
    postcodes: list[str]
    #: Households the team can visit per matching period; None: no limit (no waiting list).
    capacity: int | None = Field(None, ge=0)
    #: Exceptions per period ("2026-07": 20 for the summer holidays).
    capacity_by_period: dict[str, int] = Field(default_factory=dict)
    #: Inhabitants of the team's area, for the monitor's signals per 1,000 inhabitants per month
    #: (None: the figure is shown for the municipality only).
    inhabitants: int | None = Field(None, gt=0)
    #: The coordinators' e-mail addresses: told at once when the crisis lane adds households to
    #: the team's list (issue 17; through operations.notifications' server). Empty: the portal
    #: shows it, no e-mail.
    coordinator_emails: list[str] = Field(default_factory=list)

    @field_validator("postcodes")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for item in value:
            m = _PC4_RANGE.match(item)
            if not m or (m.group(2) and m.group(2) < m.group(1)):
                raise ValueError(f"postcode area {item!r} is not 1234 or 1234-1240")
        return value

    @field_validator("capacity_by_period")
    @classmethod
    def _periods(cls, value: dict[str, int]) -> dict[str, int]:
        for period, number in value.items():
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period) or number < 0:
                raise ValueError(f"capacity_by_period: {period!r}: {number} is not JJJJ-MM: n >= 0")
        return value

    def capacity_for(self, period: str) -> int | None:
        return self.capacity_by_period.get(period, self.capacity)

    def pc4_ranges(self) -> list[tuple[int, int]]:
        out = []
        for item in self.postcodes:
            m = _PC4_RANGE.match(item)
            assert m
            lo = int(m.group(1))
            out.append((lo, int(m.group(2) or lo)))
        return out



class Matching(Section):
    """How signals are grouped into households and periods."""

    #: Length of a matching period in calendar months; a period is named by its last month.
    period_months: int = Field(1, ge=1, le=12)
    #: Opeenvolgend: look back this many months before the period for a signal at the address.
    consecutive_months: int = Field(6, ge=1, le=24)


class Capacity(Section):
    """How each team's capacity (wijkteams[].capacity) splits the list."""

    #: False: crisis households come on top of the capacity (they cannot wait); True: they use it.
    crisis_counts_toward_capacity: bool = False


#: What an exclusion list is about; each maps to a rule of domain.md.
ExclusionKind = Literal["overleden", "verhuisd", "schuldhulp", "veiligheid", "hoeft-geen-hulp",
                        "overig"]


class ExclusionList(Section):
    """A list of residents or addresses a municipality supplies; listed ones are not visited.

    Entries are keyed by BSN, by name + date of birth + address, or by address only, and are
    loaded as pseudonyms (the clear file is not kept). See docs/scoring.md, "Uitsluitingen".
    """

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    name: str
    kind: ExclusionKind
    #: persoon: only the listed person's signals are dropped (others at the address still count);
    #: huishouden: the whole household is left off the list.
    scope: Literal["persoon", "huishouden"]
    #: A file relative to the municipality's configuration folder, loaded by each run when it
    #: changed. Leave out to load lists only with `vroeg exclusions load`.
    file: str | None = None
    #: Fed by the portal's cases: every case closed with "hoeft geen hulp" (kind hoeft-geen-hulp
    #: only), read again by each run.
    from_cases: bool = False
    #: Entries apply for this many months from their date (e.g. "hoeft geen hulp": 6).
    valid_months: int | None = Field(None, ge=1)
    #: A run refuses to publish while this list was never loaded (e.g. a safety list).
    required: bool = False
    #: Where the list comes from, for the algorithm card.
    source: str = ""

    @model_validator(mode="after")
    def _cases(self) -> ExclusionList:
        if self.from_cases and (self.kind != "hoeft-geen-hulp" or self.file):
            raise ValueError("from_cases is for a list of kind hoeft-geen-hulp without a file")
        return self


class Municipality(Section):
    code: str = Field(pattern=r"^\d{4}$", description="CBS gemeentecode, four digits.")
    name: str
    inhabitants: int = Field(gt=0)
    timezone: str = "Europe/Amsterdam"
    wijkteams: list[Wijkteam]
    #: The convenant's windows and amounts per DDAS partner type, read by validation and by
    #: scoring (vroeg/config/partner_types.py). An entry replaces the default for its type, `{}`
    #: removes it; after loading, every default type is present (those not given as default).
    partner_types: dict[str, PartnerTypeRules] = Field(
        default_factory=lambda: with_defaults({}))
    validation: Validation = Validation()
    scoring: Scoring = Scoring()
    matching: Matching = Matching()
    capacity: Capacity = Capacity()
    exclusions: list[ExclusionList] = Field(default_factory=list)
    #: Retention terms and register facts (vroeg/config/privacy.py).
    privacy: PrivacyPolicy = PrivacyPolicy()
    #: Schedules of `vroeg serve` and failure notification by e-mail.
    operations: Operations = Operations()
    #: The link with the BRP (Haal Centraal), off by default (vroeg/config/brp.py).
    brp: Brp = Brp()
    #: Filled in by load_municipality from partners/*.yaml.
    partners: dict[str, Partner] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _one_home_for_partner_types(cls, data):
        if isinstance(data, dict) and (moved := moved_keys(data)):
            raise ValueError(moved)
        return data

    @field_validator("partner_types")
    @classmethod
    def _partner_types(cls, value: dict[str, PartnerTypeRules]) -> dict[str, PartnerTypeRules]:
        check_partner_types(value)
        return with_defaults(value)

    @model_validator(mode="after")
    def _teams_disjoint(self) -> Municipality:
        seen: dict[int, str] = {}
        codes = [t.code for t in self.wijkteams]
        if len(set(codes)) != len(codes):
            raise ValueError("wijkteam codes must be unique")
        for team in self.wijkteams:
            for lo, hi in team.pc4_ranges():
                for pc in range(lo, hi + 1):
                    if pc in seen:
                        raise ValueError(f"postcode {pc} is in both {seen[pc]} and {team.code}")
                    seen[pc] = team.code
        lists = [x.code for x in self.exclusions]
        if len(set(lists)) != len(lists):
            raise ValueError("exclusion list codes must be unique")
        if self.scoring.minors_points and not self.brp.enabled:
            # Without the BRP no household has minors: the rule would silently do nothing.
            raise ValueError("scoring.minors_points gebruikt de BRP: zet brp.enabled aan (met "
                             "brp.personen_url) of zet minors_points op 0")
        return self

    @cached_property
    def pc4_to_team(self) -> dict[int, str]:
        return {
            pc: team.code
            for team in self.wijkteams
            for lo, hi in team.pc4_ranges()
            for pc in range(lo, hi + 1)
        }

    def partner_type_rules(self, partner_type: str) -> PartnerTypeRules | None:
        """The rules for one partner type, None when it has none (no window, no amounts)."""
        rules = self.partner_types.get(partner_type)
        return None if rules is None or rules.empty else rules

    def effective_partner_types(self) -> dict[str, PartnerTypeRules]:
        """The partner types that have rules, in DDAS order."""
        return {t: r for t in ddas.signaalpartners()
                if (r := self.partner_type_rules(t)) is not None}

    def partner(self, partner_id: str) -> Partner:
        try:
            return self.partners[partner_id]
        except KeyError:
            known = ", ".join(sorted(self.partners)) or "geen"
            raise ConfigError(
                f"Onbekende partner '{partner_id}' voor gemeente {self.code} (bekend: {known})."
            ) from None


