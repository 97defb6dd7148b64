"""From the project's own values to the DDAS v1.2 enumerations: the one place they are mapped.

Most of the project's vocabulary already *is* DDAS (partner types, contact kinds, parts of day
and end results are validated against the schema when they are recorded); what needs mapping is
what a signal became (the matching verdict and the case) and how amounts and clients are written.
Every target value is checked against the schema file at import, so a renamed enum value in a
future schema version fails loudly here and not at CBS.
"""

from __future__ import annotations

from vroeg.ddas import (
    CONTACT_KINDS,
    END_RESULTS,
    PARTNER_TYPES,
    PARTS_OF_DAY,
    SIGNAL_STATUSES,
)

OPGEPAKT = "Opgepakt"
NOG_NIET_OPGEPAKT = "Nog niet opgepakt"
HERHAALD = "Niet opgepakt: herhaalde melding"
ANDERE_REDEN = "Niet opgepakt: andere reden"

#: Exclusion list kind (vroeg.config.ExclusionList.kind) -> signal status. A kind not named here
#: (veiligheid: the safety list must not be disclosed as such) reports as "andere reden".
EXCLUSION_STATUS: dict[str, str] = {
    "overleden": "Inwoner is overleden",
    "verhuisd": "Persoon is geen inwoner (meer) in de gemeente",
    "schuldhulp": "Inwoner al bekend bij schuldhulpverlening",
    "hoeft-geen-hulp": ANDERE_REDEN,
    "veiligheid": ANDERE_REDEN,
}

#: Household outcome of a scoring run (household_scores.status) for a signal that did not lead
#: to a list -> signal status.
VERDICT_STATUS: dict[str, str] = {
    "herhaling": HERHAALD,
    "onder_drempel": ANDERE_REDEN,
    "buiten_termijn": ANDERE_REDEN,
}

#: End results that are also signal statuses: the case says the signal was not taken up, and why.
END_RESULT_STATUS: dict[str, str] = {r: r for r in END_RESULTS if r in SIGNAL_STATUSES}

for _value in (*EXCLUSION_STATUS.values(), *VERDICT_STATUS.values(), OPGEPAKT,
               NOG_NIET_OPGEPAKT, *END_RESULT_STATUS):
    assert _value in SIGNAL_STATUSES, _value


def signal_status(*, case_status: str | None, counted: bool, household_status: str | None,
                  exclusion_kind: str | None) -> str:
    """What became of one signal, as an EnumSignaalstatus value.

    case_status: `case_signal_status` of the case the signal counts for (None: no case);
    counted: the signal counts for a household on a published list;
    household_status: household_scores.status of its household in the run of its month;
    exclusion_kind: the kind of exclusion list that left the household or person off.
    """
    if case_status is not None:
        return case_status
    if counted:
        return NOG_NIET_OPGEPAKT  # on a list, no contact recorded yet
    if household_status is None:
        return NOG_NIET_OPGEPAKT  # not yet matched (no run of its period)
    if household_status == "uitgesloten":
        return EXCLUSION_STATUS.get(exclusion_kind or "", ANDERE_REDEN)
    return VERDICT_STATUS.get(household_status, ANDERE_REDEN)


def case_signal_status(*, end_result: str | None, acted: bool) -> str:
    """The status of a case's signals: the end result where it is a status ("Niet opgepakt:
    onterecht signaal", "Inwoner is overleden"), else Opgepakt once the team acted on it."""
    if end_result is not None and end_result in END_RESULT_STATUS:
        return END_RESULT_STATUS[end_result]
    if acted or end_result is not None:
        return OPGEPAKT
    return NOG_NIET_OPGEPAKT


def taken_up(status: str) -> bool:
    """For the partner feedback: only "Opgepakt" counts as taken up."""
    return status == OPGEPAKT


def whole_euros(cents: int) -> int:
    """DDAS `bedrag`: whole euros, half a euro and more rounded up (integer arithmetic)."""
    return (cents + 50) // 100 if cents >= 0 else -((-cents + 50) // 100)


def client(identity: dict) -> dict:
    """DDAS `client`, as little as the schema allows: the BSN alone when the partner gave one,
    else postcode and house number (with addition). Name, date of birth and sex stay home."""
    bsn = (identity.get("bsn") or "").strip()
    if bsn:
        return {"burgerservicenummer": bsn}
    found = {"postcode": (identity.get("postcode") or "").replace(" ", "").upper(),
             "huisnummer": str(identity.get("huisnummer") or "").strip()}
    addition = (identity.get("huisnummertoevoeging") or "").strip()
    if addition:
        found["huisnummertoevoeging"] = addition
    return found


def contact_kind(value: str) -> str:
    """Contact kinds are recorded in DDAS terms already (vroeg.cases); anything else is Onbekend."""
    return value if value in CONTACT_KINDS else "Onbekend"


def part_of_day(value: str) -> str | None:
    return value if value in PARTS_OF_DAY else None


def end_result(value: str | None) -> str | None:
    """End results are recorded in DDAS terms (vroeg.opsdb.cases checks them); None while open."""
    if value is None:
        return None
    if value not in END_RESULTS:
        raise ValueError("eindresultaat is geen DDAS-waarde")
    return value


def partner_type(value: str) -> str:
    """Partner types are validated against the schema when a partner is configured."""
    return value if value in PARTNER_TYPES else "Overige"
