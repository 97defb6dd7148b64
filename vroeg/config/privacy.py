"""A municipality's privacy policy: retention terms and the facts of its processing register.

Configured per municipality in `gemeente.yaml`, section `privacy` (docs/configuration.md). The
retention terms are not fixed by law or covenant (unconfirmed, see the domain notes): every term
is the municipality's own decision and the shipped values are examples. The register (GDPR
art. 30) is generated from this section together with what the software itself knows
(governance/register.py).
"""

from __future__ import annotations

from pydantic import Field

from vroeg.config.base import Section


class RetentionDays(Section):
    """Retention terms in days; 0 means: destroy at the next retention run."""

    #: Original deliveries in the encrypted archive, counted from receipt (a file with
    #: quarantined rows is kept at least as long as `quarantine`, to fix those rows).
    deliveries: int = Field(90, ge=0)
    #: Quarantine records and the archived originals they point into.
    quarantine: int = Field(90, ge=0)
    #: Signals (warehouse + vault) of households never on a published list, from their last load.
    unpublished_signals: int = Field(180, ge=0)
    #: Published visit lists (outbox files), the scores of their runs, and the signals of
    #: households that were on a list, from publication or last load.
    published_lists: int = Field(365, ge=0)
    #: Cases and contact attempts (the portal), from closing the case; an open case from its
    #: last activity (creation or contact attempt).
    cases: int = Field(730, ge=0)
    #: Lines of the audit trail, from recording.
    audit_trail: int = Field(1825, ge=0)


class Party(Section):
    name: str
    contact: str | None = None


class Register(Section):
    """The municipality's own facts for the register of processing activities."""

    controller: Party = Party(name="College van burgemeester en wethouders")
    dpo: Party = Party(name="Functionaris gegevensbescherming van de gemeente")
    purpose: str = (
        "Vroegsignalering van betalingsachterstanden: signalen van vaste-lastenpartners "
        "ontvangen, per adres bundelen en prioriteren, en inwoners hulp aanbieden (huisbezoek "
        "door het sociaal wijkteam) voordat schulden escaleren."
    )
    legal_basis: str = (
        "Wettelijke taak (AVG art. 6 lid 1 onder e): Wet gemeentelijke schuldhulpverlening "
        "(Wgs), art. 3 en 5, en het Besluit gemeentelijke schuldhulpverlening (Stb. 2020, 240)."
    )
    #: Recipients besides the wijkteams, which are always listed.
    other_recipients: list[str] = Field(default_factory=lambda: [
        "Signaalpartners (vaste-lastenpartners): uitsluitend terugmelding of een signaal is "
        "opgepakt, nooit waarom.",
        # The DDAS exchange model identifies each client by BSN or by postcode and house
        # number (vroeg export-ddas), so CBS receives personal data: say so.
        "CBS: de DDAS-levering voor de Monitor Vroegsignalering (signalen en "
        "vroegsignaalzaken, per inwoner het BSN of postcode en huisnummer; geen naam, "
        "geboortedatum of contactgegevens), per betrokkene vastgelegd in het logboek.",
    ])
    transfers: str = "Geen doorgifte naar landen buiten de EER of internationale organisaties."
    #: Extra organisational measures of the municipality (technical measures are generated).
    measures: list[str] = Field(default_factory=list)


class PrivacyPolicy(Section):
    retention_days: RetentionDays = RetentionDays()
    #: Facts for the register of processing activities (GDPR art. 30).
    processing: Register = Register()
