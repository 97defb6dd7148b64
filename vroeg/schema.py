"""The standard signal schema: the one definition every connector maps onto and every step reads.

A delivery in the project's standard format has exactly these columns; a partner-specific format is
mapped onto them by configuration (see connectors.mapping). Each field says whether it is identity
data (personal data that only the vault may hold) or a fact the pseudonymised warehouse may keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "date", "amount", "flag", "partner_type"]

#: Column added by every connector: the row number in the source as a data officer sees it
#: (the line in a CSV counting the header as line 1, the row in a spreadsheet).
SOURCE_ROW = "bron_rij"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    #: The column must be present in a standard-format file (optional columns may be left out).
    column_required: bool
    #: A value must be present in every row; an empty value quarantines the row.
    value_required: bool
    #: Personal data: goes encrypted into the vault, never into the warehouse, logs or results.
    identity: bool
    #: Dutch label used in messages to data officers.
    label: str
    description: str
    #: Longest value accepted; longer values are quarantined (a 1 MB "name" is not a name).
    max_length: int = 200
    #: A date that may lie ahead (a deadline); other dates in the future are quarantined.
    may_be_future: bool = False


SIGNAL_FIELDS: tuple[Field, ...] = (
    Field("signaal_id", "text", True, True, False, "signaal-id",
          "The partner's own identifier of the signal; unique per partner.", 100),
    Field("partner_type", "partner_type", True, True, False, "partnertype",
          "A DDAS EnumSignaalpartner value: Huur, Energie, Water, Zorg, ..."),
    Field("partner_naam", "text", True, True, False, "partnernaam",
          "Name of the signalling organisation."),
    Field("signaaldatum", "date", True, True, False, "signaaldatum",
          "Date the partner issued the signal (YYYY-MM-DD)."),
    Field("ontstaansdatum", "date", True, True, False, "ontstaansdatum",
          "Date the arrears started (YYYY-MM-DD)."),
    Field("bedrag", "amount", True, True, False, "bedrag",
          "Arrears in euros; 1234,56 and 1234.56 are both accepted."),
    Field("crisis", "flag", True, True, False, "crisis",
          "ja when eviction or disconnection is announced (or an energy end-of-contract signal)."),
    # Issue 17: the deadline a crisis signal announces, shown on the list ("vóór 14-11-2026").
    # A date of an event, not about who someone is: kept in the warehouse as a date only.
    Field("uiterste_datum", "date", False, False, False, "uiterste datum",
          "Optional. For a crisis signal: the date of the announced eviction or disconnection, "
          "or the end of supply of an eindeleveringssignaal (YYYY-MM-DD).",
          may_be_future=True),
    Field("bsn", "text", False, False, True, "BSN",
          "Citizen service number, when the partner may share it; must pass the elfproef."),
    Field("voornamen", "text", True, False, True, "voornamen", "Given names or initials."),
    Field("tussenvoegsel", "text", True, False, True, "tussenvoegsel",
          "Surname prefix (van, de, ...)."),
    Field("achternaam", "text", True, True, True, "achternaam", "Surname."),
    Field("geboortedatum", "date", False, False, True, "geboortedatum",
          "Date of birth (YYYY-MM-DD)."),
    Field("straatnaam", "text", True, True, True, "straatnaam", "Street name."),
    Field("postcode", "text", True, True, True, "postcode", "Dutch postcode, 1234AB or 1234 AB."),
    Field("huisnummer", "text", True, True, True, "huisnummer", "House number (digits)."),
    Field("huisnummertoevoeging", "text", True, False, True, "huisnummertoevoeging",
          "House number addition (A, 2-hoog, ...)."),
    Field("woonplaats", "text", True, True, True, "woonplaats", "Place of residence."),
    Field("telefoon", "text", True, False, True, "telefoon", "Phone number.", 40),
    Field("email", "text", False, False, True, "e-mail", "E-mail address.", 254),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in SIGNAL_FIELDS}
STANDARD_COLUMNS: tuple[str, ...] = tuple(f.name for f in SIGNAL_FIELDS)
REQUIRED_COLUMNS: tuple[str, ...] = tuple(f.name for f in SIGNAL_FIELDS if f.column_required)
REQUIRED_VALUES: tuple[str, ...] = tuple(f.name for f in SIGNAL_FIELDS if f.value_required)
IDENTITY_FIELDS: tuple[str, ...] = tuple(f.name for f in SIGNAL_FIELDS if f.identity)
FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in SIGNAL_FIELDS if not f.identity)


def label(name: str) -> str:
    """The Dutch label of a column for messages; unknown names are returned as they are."""
    field = FIELDS_BY_NAME.get(name)
    return field.label if field else name
