"""Configuration of a municipality and its partners, read from YAML and checked by pydantic.

Layout (see docs/configuration.md):

    config/<gemeentecode>/gemeente.yaml      the municipality: wijkteams, rules, scoring
    config/<gemeentecode>/partners/<id>.yaml one file per signal partner: format and column mapping

Unknown keys are errors (extra="forbid"), so a typo in a partner file is reported instead of
silently ignored. Nothing secret lives here: keys come from the environment or a key file.

One module per concern; this package re-exports their public names, so `from vroeg.config
import Municipality` works wherever the model is used:

    base.py          ConfigError and the strict Section every model builds on
    municipality.py  gemeente.yaml: wijkteams, matching, capacity, exclusion lists
    partner_types.py the convenant's windows and amounts per partner type, read by validation
                     and scoring
    validation.py    when a delivered row is quarantined or a file rejected
    scoring.py       the points model and the listing rules
    features.py      what the model may look at (the allow-list of attributes)
    privacy.py       retention terms and the facts of the processing register
    brp.py           the link with the BRP (Haal Centraal), off by default
    operations.py    schedules of `vroeg serve` and e-mail notification
    partner.py       partners/<id>.yaml: channel, format, column mapping
    loading.py       reading the YAML files into these models
"""

from __future__ import annotations

from vroeg.config.base import ConfigError, Section
from vroeg.config.brp import Brp
from vroeg.config.loading import brp_url_variable, describe, load_municipality, load_partner
from vroeg.config.municipality import (
    Capacity,
    ExclusionKind,
    ExclusionList,
    Matching,
    Municipality,
    Wijkteam,
)
from vroeg.config.operations import Notifications, Operations, Schedules
from vroeg.config.partner import (
    STANDARD_PARTNER_ID,
    ColumnSpec,
    CsvOptions,
    InboxOptions,
    Partner,
    SheetOptions,
    SqlSource,
    standard_partner,
)
from vroeg.config.partner_types import DEFAULT_PARTNER_TYPE_RULES, PartnerTypeRules
from vroeg.config.privacy import PrivacyPolicy
from vroeg.config.scoring import AdviceTerms, Scoring
from vroeg.config.validation import Validation

__all__ = [
    "DEFAULT_PARTNER_TYPE_RULES", "STANDARD_PARTNER_ID", "AdviceTerms", "Brp", "Capacity",
    "ColumnSpec", "ConfigError", "CsvOptions", "ExclusionKind", "ExclusionList", "InboxOptions",
    "Matching",
    "Municipality", "Notifications", "Operations", "Partner", "PartnerTypeRules", "PrivacyPolicy",
    "Schedules", "Scoring", "Section", "SheetOptions", "SqlSource", "Validation",
    "Wijkteam", "brp_url_variable", "describe", "load_municipality", "load_partner",
    "standard_partner",
]
