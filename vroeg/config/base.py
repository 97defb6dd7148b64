"""What every configuration section shares: strict models and the one error a bad file raises."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from vroeg import ddas


class ConfigError(Exception):
    """A configuration file is missing or invalid; the message says which file and what."""


class Section(BaseModel):
    """A section of a configuration file. Unknown keys are errors (extra="forbid"), so a typo is
    reported instead of silently ignored; values are frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_partner_types(names: Iterable[str]) -> None:
    """Raise (inside a validator) when a key is not a DDAS partner type: a misspelt type would
    otherwise be a rule that never applies."""
    unknown = set(names) - set(ddas.signaalpartners())
    if unknown:
        raise ValueError(f"unknown partner types {sorted(unknown)}; "
                         "use DDAS EnumSignaalpartner")
