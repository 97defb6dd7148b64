"""What the priority model may look at: the allow-list of attributes and the rules that use them.

After the SyRI judgment a priority score must be free of anything that could stand in for
ethnicity, nationality or religion, and a new input must never slip in unnoticed. So:

- every attribute the model can read is registered here, with the warehouse column it comes from
  and why it is relevant (`FEATURES`);
- a municipality lists the attributes it allows in its configuration (`scoring.features`); an
  attribute that is not registered, or that is on the `PROHIBITED` list, is refused when the
  configuration is loaded;
- every rule declares the attributes it needs (`RULES`); a rule that would need an attribute the
  configuration does not allow is refused unless its weight is zero;
- tests check that the scoring SQL reads no column of `signals` outside this registry, so adding
  an input means changing this file, the configuration and the algorithm card together.

This module imports nothing from the project, so vroeg.config can use it to validate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    #: The warehouse column (table `signals`) the attribute is read from.
    column: str
    #: Dutch label and justification, shown on the algorithm card.
    label: str
    why: str
    #: Needed by the matching itself (not only by a weight): cannot be left out.
    required: bool = False


FEATURES: dict[str, Feature] = {f.name: f for f in (
    Feature("partner_type", "partner_type", "soort schuldeiser (partnertype)",
            "Huur-, energie-, water- en zorgachterstanden voorspellen niet even sterk dat een "
            "huishouden in de problemen komt; termijnen verschillen per soort.", required=True),
    Feature("amount", "bedrag_cent", "hoogte van de achterstand",
            "Meer achterstand, meer urgentie; gemeten in maandbedragen van die soort rekening.",
            required=True),
    Feature("arrears_start", "ontstaansdatum", "ontstaansdatum van de achterstand",
            "Hoe langer een achterstand loopt, hoe groter de kans op escalatie; bepaalt ook of "
            "een signaal dezelfde achterstand herhaalt.", required=True),
    Feature("signal_date", "signaaldatum", "signaaldatum",
            "Bepaalt de periode, de termijn per soort en of er eerder een signaal was "
            "(opeenvolgend).", required=True),
    Feature("crisis", "crisis", "crisissignaal (ontruiming of afsluiting aangekondigd)",
            "Een aangekondigde ontruiming of afsluiting vraagt een bezoek binnen dagen.",
            required=True),
    Feature("age_group", "leeftijdsgroep", "leeftijdsgroep (18-26, 27-44, ...)",
            "Alleen als de gemeente jongeren of ouderen bewust anders wil behandelen; leeftijd "
            "is een discriminatiegrond, dus elk gebruik moet onderbouwd zijn."),
    # Not a column of `signals`: what the BRP said for the run (table brp_facts), only when
    # the municipality has the BRP link on (brp.enabled).
    Feature("household_minors", "brp_facts.minderjarigen",
            "minderjarigen in het huishouden (volgens de BRP)",
            "Schulden raken kinderen in het huishouden mee (15 % van de gemeenten weegt dit); "
            "alleen het aantal minderjarigen op het adres wordt bewaard, geen namen."),
)}

#: Attributes that may never be used, whatever a configuration says: they can stand in for
#: ethnicity, nationality or religion (or are protected grounds themselves).
PROHIBITED: dict[str, str] = {
    "nationality": "nationaliteit",
    "nationaliteit": "nationaliteit",
    "country_of_birth": "geboorteland",
    "geboorteland": "geboorteland",
    "ethnicity": "etniciteit",
    "etniciteit": "etniciteit",
    "religion": "religie",
    "religie": "religie",
    "language": "taal (benadert herkomst)",
    "taal": "taal (benadert herkomst)",
    "name": "naam (benadert herkomst)",
    "naam": "naam (benadert herkomst)",
    "surname": "achternaam (benadert herkomst)",
    "achternaam": "achternaam (benadert herkomst)",
    "first_names": "voornamen (benaderen herkomst en religie)",
    "voornamen": "voornamen (benaderen herkomst en religie)",
    "place_of_birth": "geboorteplaats (benadert herkomst)",
    "postcode": "postcode of wijk (benadert herkomst en inkomen)",
    "neighbourhood": "postcode of wijk (benadert herkomst en inkomen)",
    "wijk": "postcode of wijk (benadert herkomst en inkomen)",
    "gender": "geslacht (discriminatiegrond)",
    "geslacht": "geslacht (discriminatiegrond)",
}

#: Columns of `signals` the scoring SQL may read besides the features: they identify and group
#: signals (pseudonyms, partner) and route a household to its team; they never add points.
STRUCTURAL_COLUMNS: tuple[str, ...] = (
    "signaal_pseudoniem", "huishouden_pseudoniem", "persoon_pseudoniem", "partner_id", "wijkteam",
)

#: Age bands: the band's name and the age (in whole years at the signal date) it starts at. The
#: pseudonymiser writes the name into the warehouse instead of the date of birth
#: (privacy.pseudonymise); age-group rules in the configuration are keyed by it.
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("<18", 0), ("18-26", 18), ("27-44", 27), ("45-64", 45), ("65+", 65),
)
AGE_GROUPS: tuple[str, ...] = tuple(name for name, _ in AGE_BANDS)


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    #: Attributes the rule reads.
    features: tuple[str, ...]
    #: Scoring settings that give it weight: the rule is "in use" when any of them is non-zero.
    settings: tuple[str, ...]


RULES: dict[str, Rule] = {r.name: r for r in (
    Rule("partnertype", "punten per soort schuldeiser", ("partner_type",),
         ("partner_type_points", "other_partner_type_points")),
    Rule("bedrag", "punten voor de achterstand in maandbedragen", ("amount", "partner_type"),
         ("points_per_bill_month",)),
    Rule("duur", "punten per maand dat de achterstand loopt", ("arrears_start",),
         ("points_per_month_in_arrears",)),
    Rule("meervoudig", "punten per extra soort schuldeiser in de periode", ("partner_type",),
         ("multiple_points",)),
    Rule("opeenvolgend", "punten voor een eerder signaal op het adres", ("signal_date",),
         ("consecutive_points",)),
    Rule("crisis", "punten voor een crisissignaal", ("crisis",), ("crisis_points",)),
    Rule("leeftijd", "punten of lagere drempel per leeftijdsgroep", ("age_group",),
         ("age_group_points", "age_group_minimum_amount")),
    Rule("minderjarigen", "punten voor minderjarigen in het huishouden (BRP)",
         ("household_minors",), ("minors_points",)),
)}


def check_features(features: list[str]) -> list[str]:
    """Problems with an allow-list (empty when fine), in Dutch for the data officer."""
    problems = []
    for name in features:
        if name.lower() in PROHIBITED:
            problems.append(
                f"kenmerk '{name}' is nooit toegestaan ({PROHIBITED[name.lower()]}): zulke "
                "gegevens kunnen etniciteit, nationaliteit of religie benaderen of zijn zelf een "
                "discriminatiegrond")
        elif name not in FEATURES:
            problems.append(
                f"onbekend kenmerk '{name}'; bekend zijn {', '.join(FEATURES)}. Een nieuw kenmerk "
                "vraagt een codewijziging (vroeg/config/features.py), een toets en een nieuwe "
                "algoritmekaart")
    missing = [f.name for f in FEATURES.values() if f.required and f.name not in features]
    if missing:
        problems.append(f"de matching heeft deze kenmerken nodig: {', '.join(missing)}")
    if len(set(features)) != len(features):
        problems.append("een kenmerk staat dubbel in de lijst")
    return problems
