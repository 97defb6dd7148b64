"""The validation section of gemeente.yaml: when a delivered row is quarantined or a whole file
rejected (docs/configuration.md). The rules per DDAS partner type, which validation applies
too, have a section of their own: `partner_types` (vroeg/config/partner_types.py)."""

from __future__ import annotations

from pydantic import Field

from vroeg.config.base import Section


class Validation(Section):
    #: A file with a larger share of bad rows is rejected whole (and kept in the archive).
    max_bad_share: float = Field(0.5, ge=0, le=1)
    #: Amounts above this are implausible and quarantined (euros).
    max_amount: float = Field(100_000, gt=0)
    #: Signals older than this (signaaldatum) are refused as stale.
    max_signal_age_days: int = Field(400, gt=0)
    #: Crisis signals (eviction or disconnection announced, an energy end-of-contract signal)
    #: come outside the window of `partner_types` by design: sector rules make partners signal
    #: before disconnection. True holds them to it at validation too (scoring always counts them).
    window_applies_to_crisis: bool = False
