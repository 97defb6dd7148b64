"""The register of processing activities (GDPR art. 30(1)), generated from configuration.

The municipality's own facts (controller, DPO, purpose, legal basis, recipients, transfers, its
organisational measures, retention terms) come from `privacy` in gemeente.yaml; the categories of
data come from the standard signal schema, the recipients include every configured wijkteam and
partner, and the technical security measures are what this software does. So the register
changes when the configuration changes, and cannot drift from what the system processes.
"""

from __future__ import annotations

from privacy.audit import processing_activity
from privacy.pseudonymise import PSEUDONYM_BYTES
from vroeg import schema
from vroeg.config import Municipality

TECHNICAL_MEASURES = [
    "Pseudonimisering vóór opslag in het analysepakhuis: sleutel-afhankelijke hashes "
    f"(HMAC-SHA256, ingekort tot {PSEUDONYM_BYTES * 8} bits) onder een geheime sleutel per "
    "gemeente; het pakhuis bevat geen namen, adressen, BSN's, telefoonnummers of e-mailadressen, "
    "alleen het wijkteam en een leeftijdsklasse.",
    "Identiteitsgegevens per signaal versleuteld (AES-256-GCM, gebonden aan gemeente, signaal en "
    "sleutelversie) in een aparte kluisdatabase; verwijderde records worden op schijf "
    "overschreven.",
    "Heridentificatie alleen voor de huishoudens op een gepubliceerde bezoeklijst, voor een "
    "inzage- of verwijderverzoek en op uitdrukkelijk verzoek van de privacyfunctionaris; elke "
    "heridentificatie wordt per betrokkene gelogd vóórdat er iets wordt ontsleuteld.",
    "Originele leveringen versleuteld bewaard (AES-256-GCM, per blok geauthenticeerd), herkenbaar "
    "aan hun SHA-256.",
    "Sleutels per gemeente, nooit in configuratie of broncode: uit de omgeving of een "
    "sleutelbestand dat alleen de eigenaar mag lezen (anders weigert de software te starten); "
    "aparte afgeleide sleutels (HKDF) voor pseudoniemen, kluis, archief en logboek; "
    "sleutelrotatie zonder verlies.",
    "Logboek volgens de standaard Logboek Dataverwerkingen: één regel per verwerking per "
    "betrokkene (versleuteld betrokkene-id) en per stap van bulkverwerking (aantallen, SHA-256 van "
    "invoer en uitvoer, regel- en sleutelversie); alleen-toevoegen afgedwongen door de database en "
    "een hashketen die wijzigen, verwijderen en invoegen aantoonbaar maakt (vroeg audit verify).",
    "Geen persoonsgegevens in meldingen, logregels, de orkestratiedatabase (Prefect) of "
    "validatieresultaten; een test met kanariewaarden controleert dit bij elke wijziging.",
    "Bewaartermijnen per opslag, automatisch toegepast; vernietiging wordt per aantal gelogd.",
]


def build(municipality: Municipality) -> dict:
    """The register entry as a JSON-ready document (Dutch keys, as shown to the officer)."""
    policy = municipality.privacy
    facts = policy.processing
    days = policy.retention_days
    identity = [f.label for f in schema.SIGNAL_FIELDS if f.identity]
    signal_facts = [f.label for f in schema.SIGNAL_FIELDS if not f.identity]
    return {
        "verwerkingsactiviteit": processing_activity(municipality.code),
        "naam": f"Vroegsignalering van betalingsachterstanden — {municipality.name}",
        "verwerkingsverantwoordelijke": facts.controller.model_dump(),
        "functionaris_gegevensbescherming": facts.dpo.model_dump(),
        "doel": facts.purpose,
        "grondslag": facts.legal_basis,
        "categorieen_betrokkenen": [
            "Inwoners over wie een vaste-lastenpartner een betalingsachterstand signaleert.",
            "Medebewoners op hetzelfde adres (het adres is de eenheid van bundeling).",
        ],
        "categorieen_persoonsgegevens": {
            "identificerend (alleen in de versleutelde kluis en op de bezoeklijst)": identity,
            "signaalgegevens (gepseudonimiseerd in het pakhuis)": signal_facts,
            "afgeleid": ["leeftijdsklasse", "wijkteam", "prioriteitsscore met punten per regel"],
            **({"uit de BRP (Haal Centraal; gepseudonimiseerd in het pakhuis, per run)": [
                "ingeschreven op het gesignaleerde adres (ja/nee)", "overleden (ja/nee)",
                "ingeschreven buiten de gemeente (ja/nee)",
                "aantal bewoners en minderjarigen op het adres",
                "adresseerbaar object (alleen als pseudoniem: welke signalen één huishouden "
                "zijn)"]}
               if municipality.brp.enabled else {}),
            "bijzondere persoonsgegevens": "geen",
        },
        "ontvangers": [
            *(f"{team.name} (sociaal wijkteam): bezoeklijst met de eigen huishoudens"
              for team in municipality.wijkteams),
            *facts.other_recipients,
        ],
        "signaalpartners": sorted(f"{p.name} ({p.partner_type})"
                                  for p in municipality.partners.values()),
        "doorgifte": facts.transfers,
        "bewaartermijnen_dagen": {
            "originele leveringen (archief)": days.deliveries,
            "quarantaine (afgekeurde rijen)": days.quarantine,
            "signalen van huishoudens die nooit op een lijst stonden": days.unpublished_signals,
            "gepubliceerde bezoeklijsten, hun scores en signalen": days.published_lists,
            "zaken en contactpogingen": days.cases,
            "logboek": days.audit_trail,
        },
        "beveiligingsmaatregelen": {
            "technisch": TECHNICAL_MEASURES,
            "organisatorisch": list(facts.measures),
        },
        "geautomatiseerde_besluitvorming": (
            "Geen besluit zonder mens: de score bepaalt alleen de volgorde van huisbezoeken; "
            "elke score is per huishouden uitgelegd (kolom 'redenen'). Geen gevoelige kenmerken "
            "in het model (zie docs/scoring.md)."),
    }


def markdown(register: dict) -> str:
    """The register entry as readable Dutch Markdown."""
    def people(party: dict) -> str:
        return party["name"] + (f" ({party['contact']})" if party.get("contact") else "")

    out = [
        f"# Register van verwerkingsactiviteiten (AVG art. 30): {register['naam']}",
        "",
        f"- **Verwerkingsactiviteit**: `{register['verwerkingsactiviteit']}`",
        f"- **Verwerkingsverantwoordelijke**: {people(register['verwerkingsverantwoordelijke'])}",
        f"- **Functionaris gegevensbescherming**: "
        f"{people(register['functionaris_gegevensbescherming'])}",
        f"- **Doel**: {register['doel']}",
        f"- **Grondslag**: {register['grondslag']}",
        "",
        "## Categorieën betrokkenen",
        *(f"- {item}" for item in register["categorieen_betrokkenen"]),
        "",
        "## Categorieën persoonsgegevens",
    ]
    for kind, items in register["categorieen_persoonsgegevens"].items():
        out.append(f"- **{kind}**: " + (", ".join(items) if isinstance(items, list) else items))
    out += ["", "## Ontvangers", *(f"- {item}" for item in register["ontvangers"]),
            "", "## Bronnen (signaalpartners)", *(f"- {p}" for p in register["signaalpartners"]),
            "", "## Doorgifte buiten de EER", register["doorgifte"],
            "", "## Bewaartermijnen (wissen)"]
    out += [f"- {what}: {n} dagen" for what, n in register["bewaartermijnen_dagen"].items()]
    out += ["", "## Beveiligingsmaatregelen", "### Technisch",
            *(f"- {m}" for m in register["beveiligingsmaatregelen"]["technisch"]),
            "### Organisatorisch",
            *(f"- {m}" for m in register["beveiligingsmaatregelen"]["organisatorisch"] or
              ["(nog niet ingevuld in gemeente.yaml, privacy.processing.measures)"]),
            "", "## Geautomatiseerde besluitvorming", register["geautomatiseerde_besluitvorming"],
            ""]
    return "\n".join(out)
