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
"""

from __future__ import annotations

import datetime as dt

import great_expectations as gx
from great_expectations import expectations as gxe
from great_expectations.expectations.row_conditions import Column

from vroeg import ddas, schema
from vroeg.config import Municipality, PartnerTypeRules
from vroeg.schema import SIGNAL_FIELDS

#: Version 2: a suite per partner type (window, amounts) beside the schema suite.
SUITE_VERSION = "2"


def _meta(reason: str, column: str) -> dict:
    return {"reden": reason, "kolom": column}


def _when_present(column: str) -> dict:
    return {"row_condition": Column(column).is_not_null()}


def build_suite(municipality: Municipality, today: dt.date) -> gx.ExpectationSuite:
    """All row rules for one municipality, evaluated as of `today` (passed in, for testability)."""
    rules = municipality.validation
    today_ts = dt.datetime.combine(today, dt.time())
    oldest = today_ts - dt.timedelta(days=rules.max_signal_age_days)
    e: list = []

    for field in SIGNAL_FIELDS:
        if field.value_required:
            e.append(gxe.ExpectColumnValuesToNotBeNull(
                column=field.name, meta=_meta("VERPLICHT_LEEG", field.name)))
        e.append(gxe.ExpectColumnValueLengthsToBeBetween(
            column=field.name, max_value=field.max_length, meta=_meta("VELD_TE_LANG", field.name)))
        if field.kind == "date":
            e.append(gxe.ExpectColumnValuesToNotBeNull(
                column=f"{field.name}_p", **_when_present(field.name),
                meta=_meta("DATUM_ONGELDIG", field.name)))
            e.append(gxe.ExpectColumnValuesToBeBetween(
                column=f"{field.name}_p", max_value=today_ts,
                meta=_meta("DATUM_IN_TOEKOMST", field.name)))

    e += [
        gxe.ExpectColumnValuesToBeInSet(
            column="partner_type", value_set=list(ddas.signaalpartners()),
            meta=_meta("PARTNERTYPE_ONBEKEND", "partner_type")),
        gxe.ExpectColumnValuesToBeBetween(
            column="signaaldatum_p", min_value=oldest,
            meta=_meta("SIGNAAL_TE_OUD", "signaaldatum")),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="signaaldatum_p", column_B="ontstaansdatum_p", or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta("DATUM_VOLGORDE", "ontstaansdatum")),
        gxe.ExpectColumnValuesToNotBeNull(
            column="bedrag_p", **_when_present("bedrag"), meta=_meta("BEDRAG_ONGELDIG", "bedrag")),
        gxe.ExpectColumnValuesToBeBetween(
            column="bedrag_p", min_value=0, meta=_meta("BEDRAG_NEGATIEF", "bedrag")),
        gxe.ExpectColumnValuesToBeBetween(
            column="bedrag_p", max_value=round(rules.max_amount * 100),
            meta=_meta("BEDRAG_ONWAARSCHIJNLIJK", "bedrag")),
        gxe.ExpectColumnValuesToNotBeNull(
            column="crisis_p", **_when_present("crisis"), meta=_meta("CRISIS_ONGELDIG", "crisis")),
        gxe.ExpectColumnValuesToNotBeNull(
            column="postcode_p", **_when_present("postcode"),
            meta=_meta("POSTCODE_ONGELDIG", "postcode")),
        gxe.ExpectColumnValuesToNotBeNull(
            column="wijkteam", **_when_present("postcode_p"),
            meta=_meta("POSTCODE_BUITEN_GEMEENTE", "postcode")),
        gxe.ExpectColumnValuesToNotBeNull(
            column="huisnummer_p", **_when_present("huisnummer"),
            meta=_meta("HUISNUMMER_ONGELDIG", "huisnummer")),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="huisnummer_p", max_value=5, meta=_meta("HUISNUMMER_ONGELDIG", "huisnummer")),
        gxe.ExpectColumnValuesToNotBeNull(
            column="bsn_p", **_when_present("bsn"), meta=_meta("BSN_ONGELDIG", "bsn")),
        gxe.ExpectColumnValuesToBeInSet(
            column="bsn_elfproef", value_set=[True], meta=_meta("BSN_ONGELDIG", "bsn")),
    ]
    suite = gx.ExpectationSuite(
        name=suite_name(municipality),
        expectations=e,
        meta={"suite_version": SUITE_VERSION, "gemeente": municipality.code},
    )
    return suite


def suite_name(municipality: Municipality, partner_type: str | None = None) -> str:
    """'signaal-0080' for the schema suite, 'signaal-0080-cak-zorgverzekeringen' per type."""
    if partner_type is None:
        return f"signaal-{municipality.code}"
    return f"signaal-{municipality.code}-{partner_type.lower().replace(' ', '-')}"


#: Every column a partner type's suite reads (rules and row conditions); validation hands
#: those suites only these.
PARTNER_TYPE_COLUMNS = ("partner_type", "crisis_p", "achterstand_dagen", "bedrag_p")


def build_partner_type_suite(municipality: Municipality, partner_type: str,
                             rules: PartnerTypeRules) -> gx.ExpectationSuite:
    """The rules for one partner type's rows: its window and its amounts."""
    of_type = Column("partner_type") == partner_type
    # The window does not bind crisis signals (unless the municipality says so): sector rules
    # make energy and water companies signal before a disconnection whatever the arrears' age.
    in_window = of_type if municipality.validation.window_applies_to_crisis \
        else of_type & (Column("crisis_p") == False)  # noqa: E712 - a GX condition, not a test
    e: list = []
    if rules.min_days is not None:
        e.append(gxe.ExpectColumnValuesToBeBetween(
            column="achterstand_dagen", min_value=rules.min_days, row_condition=in_window,
            meta=_meta("TERMIJN_TE_KORT", "ontstaansdatum")))
    if rules.max_days is not None:
        e.append(gxe.ExpectColumnValuesToBeBetween(
            column="achterstand_dagen", max_value=rules.max_days, row_condition=in_window,
            meta=_meta("TERMIJN_TE_LANG", "ontstaansdatum")))
    if rules.min_amount is not None:
        e.append(gxe.ExpectColumnValuesToBeBetween(
            column="bedrag_p", min_value=round(rules.min_amount * 100), row_condition=of_type,
            meta=_meta("BEDRAG_ONDER_AFSPRAAK", "bedrag")))
    if rules.max_amount is not None:
        e.append(gxe.ExpectColumnValuesToBeBetween(
            column="bedrag_p", max_value=round(rules.max_amount * 100), row_condition=of_type,
            meta=_meta("BEDRAG_ONWAARSCHIJNLIJK", "bedrag")))
    return gx.ExpectationSuite(
        name=suite_name(municipality, partner_type),
        expectations=e,
        meta={"suite_version": SUITE_VERSION, "gemeente": municipality.code,
              "partner_type": partner_type},
    )


def build_suites(municipality: Municipality, today: dt.date) -> list[gx.ExpectationSuite]:
    """The schema suite first, then one suite per partner type that has rules."""
    return [build_suite(municipality, today)] + [
        build_partner_type_suite(municipality, partner_type, rules)
        for partner_type, rules in municipality.effective_partner_types().items()
    ]


#: Columns the suite reads; validation hands GE only these (no more personal data than needed).
def suite_columns() -> list[str]:
    parsed = ["bedrag_p", "crisis_p", "postcode_p", "wijkteam", "huisnummer_p", "bsn_p",
              "bsn_elfproef", "achterstand_dagen"]
    dates = [f"{f.name}_p" for f in SIGNAL_FIELDS if f.kind == "date"]
    return list(schema.STANDARD_COLUMNS) + dates + parsed
