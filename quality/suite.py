"""The Great Expectations suites for a delivery, built in code from the schema and the rules.

Two kinds: one suite for every signal (the schema: required fields, formats, dates, amounts,
postcode, house number, BSN), and one suite per DDAS partner type that has rules of its own (the
convenant's window between the start of the arrears and the signal, amounts per agreement).
A partner-type suite applies to that type's rows only, through a row condition on partner_type,
so one delivery with several types (a standard-format file) is validated by each suite it needs.

Each expectation carries in its `meta` the reason code a failing row is quarantined with and the
standard column it concerns, so that the mapping from a failed rule to a Dutch reason is data,
not a chain of ifs. Rules on parsed values (`<field>_p`, see connectors.parse) only apply where
the text was present, through a row condition: an empty optional field is not an error.

The suites are declared as plain data in GX's own terms (quality.declaration), so building them
imports no Great Expectations: quality.gx_engine.gx_suite turns one into a real
`gx.ExpectationSuite`, quality.compiled runs the same declaration in polars.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from quality.declaration import (
    BETWEEN,
    IN_SET,
    LENGTHS_BETWEEN,
    NOT_NULL,
    PAIR_A_GREATER,
    Condition,
    Rule,
    SuiteDeclaration,
    all_of,
    equals,
    is_not_null,
)
from vroeg import ddas, schema
from vroeg.config import Municipality, PartnerTypeRules
from vroeg.schema import SIGNAL_FIELDS

#: Version 2: a suite per partner type (window, amounts) beside the schema suite.
SUITE_VERSION = "2"


def _meta(reason: str, column: str) -> dict:
    return {"reden": reason, "kolom": column}


def _when_present(column: str) -> dict:
    return {"row_condition": is_not_null(column)}


def _rule(type_: str, *, meta: dict, row_condition: Condition | None = None,
          **kwargs: Any) -> Rule:
    """One expectation as GX declares it: `_rule(NOT_NULL, column=..., meta=...)`."""
    return Rule(type=type_, kwargs=kwargs, meta=meta, row_condition=row_condition)


def build_suite(municipality: Municipality, today: dt.date) -> SuiteDeclaration:
    """All row rules for one municipality, evaluated as of `today` (passed in, for testability)."""
    rules = municipality.validation
    today_ts = dt.datetime.combine(today, dt.time())
    oldest = today_ts - dt.timedelta(days=rules.max_signal_age_days)
    e: list[Rule] = []

    for field in SIGNAL_FIELDS:
        if field.value_required:
            e.append(_rule(NOT_NULL,
                column=field.name, meta=_meta("VERPLICHT_LEEG", field.name)))
        e.append(_rule(LENGTHS_BETWEEN,
            column=field.name, max_value=field.max_length, meta=_meta("VELD_TE_LANG", field.name)))
        if field.kind == "date":
            e.append(_rule(NOT_NULL,
                column=f"{field.name}_p", **_when_present(field.name),
                meta=_meta("DATUM_ONGELDIG", field.name)))
            if not field.may_be_future:
                e.append(_rule(BETWEEN,
                    column=f"{field.name}_p", max_value=today_ts,
                    meta=_meta("DATUM_IN_TOEKOMST", field.name)))

    e += [
        _rule(IN_SET,
            column="partner_type", value_set=list(ddas.signaalpartners()),
            meta=_meta("PARTNERTYPE_ONBEKEND", "partner_type")),
        _rule(BETWEEN,
            column="signaaldatum_p", min_value=oldest,
            meta=_meta("SIGNAAL_TE_OUD", "signaaldatum")),
        _rule(PAIR_A_GREATER,
            column_A="signaaldatum_p", column_B="ontstaansdatum_p", or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta("DATUM_VOLGORDE", "ontstaansdatum")),
        _rule(NOT_NULL,
            column="bedrag_p", **_when_present("bedrag"), meta=_meta("BEDRAG_ONGELDIG", "bedrag")),
        _rule(BETWEEN,
            column="bedrag_p", min_value=0, meta=_meta("BEDRAG_NEGATIEF", "bedrag")),
        _rule(BETWEEN,
            column="bedrag_p", max_value=round(rules.max_amount * 100),
            meta=_meta("BEDRAG_ONWAARSCHIJNLIJK", "bedrag")),
        _rule(NOT_NULL,
            column="crisis_p", **_when_present("crisis"), meta=_meta("CRISIS_ONGELDIG", "crisis")),
        _rule(NOT_NULL,
            column="postcode_p", **_when_present("postcode"),
            meta=_meta("POSTCODE_ONGELDIG", "postcode")),
        _rule(NOT_NULL,
            column="wijkteam", **_when_present("postcode_p"),
            meta=_meta("POSTCODE_BUITEN_GEMEENTE", "postcode")),
        _rule(NOT_NULL,
            column="huisnummer_p", **_when_present("huisnummer"),
            meta=_meta("HUISNUMMER_ONGELDIG", "huisnummer")),
        _rule(LENGTHS_BETWEEN,
            column="huisnummer_p", max_value=5, meta=_meta("HUISNUMMER_ONGELDIG", "huisnummer")),
        _rule(NOT_NULL,
            column="bsn_p", **_when_present("bsn"), meta=_meta("BSN_ONGELDIG", "bsn")),
        _rule(IN_SET,
            column="bsn_elfproef", value_set=[True], meta=_meta("BSN_ONGELDIG", "bsn")),
    ]
    return SuiteDeclaration(
        name=suite_name(municipality),
        expectations=tuple(e),
        meta={"suite_version": SUITE_VERSION, "gemeente": municipality.code},
    )


def suite_name(municipality: Municipality, partner_type: str | None = None) -> str:
    """'signaal-0080' for the schema suite, 'signaal-0080-cak-zorgverzekeringen' per type."""
    if partner_type is None:
        return f"signaal-{municipality.code}"
    return f"signaal-{municipality.code}-{partner_type.lower().replace(' ', '-')}"


def build_partner_type_suite(municipality: Municipality, partner_type: str,
                             rules: PartnerTypeRules) -> SuiteDeclaration:
    """The rules for one partner type's rows: its window and its amounts."""
    of_type = equals("partner_type", partner_type)
    # The window does not bind crisis signals (unless the municipality says so): sector rules
    # make energy and water companies signal before a disconnection whatever the arrears' age.
    in_window = of_type if municipality.validation.window_applies_to_crisis \
        else all_of(of_type, equals("crisis_p", False))
    e: list[Rule] = []
    if rules.min_days is not None:
        e.append(_rule(BETWEEN,
            column="achterstand_dagen", min_value=rules.min_days, row_condition=in_window,
            meta=_meta("TERMIJN_TE_KORT", "ontstaansdatum")))
    if rules.max_days is not None:
        e.append(_rule(BETWEEN,
            column="achterstand_dagen", max_value=rules.max_days, row_condition=in_window,
            meta=_meta("TERMIJN_TE_LANG", "ontstaansdatum")))
    if rules.min_amount is not None:
        e.append(_rule(BETWEEN,
            column="bedrag_p", min_value=round(rules.min_amount * 100), row_condition=of_type,
            meta=_meta("BEDRAG_ONDER_AFSPRAAK", "bedrag")))
    if rules.max_amount is not None:
        e.append(_rule(BETWEEN,
            column="bedrag_p", max_value=round(rules.max_amount * 100), row_condition=of_type,
            meta=_meta("BEDRAG_ONWAARSCHIJNLIJK", "bedrag")))
    return SuiteDeclaration(
        name=suite_name(municipality, partner_type),
        expectations=tuple(e),
        meta={"suite_version": SUITE_VERSION, "gemeente": municipality.code,
              "partner_type": partner_type},
    )


def build_suites(municipality: Municipality, today: dt.date) -> list[SuiteDeclaration]:
    """The schema suite first, then one suite per partner type that has rules."""
    return [build_suite(municipality, today)] + [
        build_partner_type_suite(municipality, partner_type, rules)
        for partner_type, rules in municipality.effective_partner_types().items()
    ]


#: Columns the suites read; validation hands GX only these (no more personal data than needed).
def suite_columns() -> list[str]:
    parsed = ["bedrag_p", "crisis_p", "postcode_p", "wijkteam", "huisnummer_p", "bsn_p",
              "bsn_elfproef", "achterstand_dagen"]
    dates = [f"{f.name}_p" for f in SIGNAL_FIELDS if f.kind == "date"]
    return list(schema.STANDARD_COLUMNS) + dates + parsed
