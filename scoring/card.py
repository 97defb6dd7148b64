"""The algorithm card: the current model described in the spirit of the national Algoritmeregister.

Purpose, legal basis, the data used, every rule and weight with its value, what is excluded,
human oversight, and the version and hash of the rules. The card is generated from the same
configuration and rules document that the scoring SQL receives (scoring.rules), so it cannot
describe a model other than the one that ran; its version is the `rules_version` every run and
every published list records.

Texts are in Dutch: the card is read by council members, privacy officers and residents.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from scoring.explanations import ARREARS
from scoring.rules import RULE_SQL, rules_document, rules_hash
from vroeg import ddas
from vroeg.config import Municipality, PartnerTypeRules
from vroeg.config.features import FEATURES, PROHIBITED, RULES
from vroeg.files import write_atomic
from vroeg.formats import euros

PURPOSE = (
    "Bepalen in welke volgorde het sociaal wijkteam huishoudens met betalingsachterstanden "
    "benadert voor een huisbezoek, zodat een bezoek komt vóórdat een achterstand escaleert "
    "(ontruiming, afsluiting, incasso). Het algoritme beslist niet over hulp, uitkering of "
    "sanctie: het ordent signalen die de gemeente wettelijk moet oppakken."
)

LEGAL_BASIS = [
    "Wet gemeentelijke schuldhulpverlening (Wgs), artikel 3: de taak van het college om "
    "vroegsignalering uit te voeren en de verstrekking van signalen door vaste-lastenpartners.",
    "Besluit gemeentelijke schuldhulpverlening (Bgs, Stb. 2020, 240), § 2 'Gegevensverstrekking "
    "vroegsignalering': welke partners welke gegevens verstrekken en wanneer.",
    "AVG artikel 6, eerste lid, onder e (taak van algemeen belang) en artikel 4, onder 5 "
    "(pseudonimisering).",
]

HUMAN_OVERSIGHT = (
    "De lijst is een advies over de volgorde van bezoeken. De coördinator van het wijkteam "
    "beslist wie wanneer bezocht wordt en mag afwijken (bijvoorbeeld bij een bekende situatie). "
    "Elke plaats op de lijst is per huishouden uitgelegd: de punten per regel staan in de "
    "kolommen punten_* en in woorden in de kolom 'redenen'. Er is geen automatisch besluit met "
    "rechtsgevolg (AVG art. 22): een bezoek is een aanbod van hulp, dat de inwoner mag weigeren. "
    "Wijzigingen in regels of gewichten gaan via de configuratie, krijgen een nieuwe versie op "
    "deze kaart, en kunnen vooraf met 'vroeg run --dry-run' worden doorgerekend."
)

NOT_USED = (
    "Geen naam, geboorteland, nationaliteit, taal, religie, geslacht of postcode/wijk als "
    "kenmerk: zulke gegevens kunnen etniciteit, nationaliteit of religie benaderen. Het wijkteam "
    "(afgeleid van de postcode) bepaalt alleen naar welk team een lijst gaat, nooit punten. "
    "Namen en adressen zitten niet in het datapakhuis maar versleuteld in de identiteitskluis; "
    "ze worden alleen ontsleuteld voor huishoudens op een gepubliceerde lijst."
)


BRP_ON = (
    "De gemeente controleert de signalen die in de periode meetellen bij de BRP (Haal Centraal "
    "BRP API Personen van RvIG; Wgs art. 3 en de BRP-autorisatie van de gemeente). Gevraagd "
    "wordt alleen: of de persoon op het gesignaleerde adres staat ingeschreven, of hij "
    "overleden is of buiten de gemeente woont, en hoeveel bewoners en minderjarigen er op het "
    "adres staan ingeschreven. Overleden of buiten de gemeente: de signalen van die persoon "
    "tellen niet mee (zoals bij de uitsluitingslijsten). Niet ingeschreven op dit adres: een "
    "reden op de lijst, geen uitsluiting (mensen wonen soms niet ingeschreven). Bewaard worden "
    "alleen ja/nee en aantallen bij het pseudoniem, nooit namen of BSN's; elke vraag staat in "
    "het logboek. Antwoordt de BRP niet, dan zegt de run dat en telt hij zonder BRP-gegevens."
)
BRP_OFF = ("De gemeente gebruikt de BRP niet: er wordt niets bij de BRP gevraagd en geen regel "
           "gebruikt BRP-gegevens.")

#: The crisis lane (issue 17, flows/crisis.py), as the card explains it.
CRISIS_LANE = (
    "Een crisissignaal wacht niet op de maandelijkse run. Zodra een levering met crisissignalen "
    "van de lopende of de vorige maand is ingelezen, worden de huishoudens met een crisissignaal "
    "in die maand gematcht en gescoord met dezelfde regels en dezelfde SQL als hierboven "
    "(uitsluitingen, herhalingen en de BRP-controle gelden net zo), en komen de "
    "crisishuishoudens die nog niet als crisis op de lijst stonden bovenaan de huidige lijst van "
    "hun wijkteam, als nieuwe versie: de andere regels, zaken en contactpogingen blijven staan. "
    "Geeft de partner een datum (ontruiming, afsluiting, einde levering), dan staat die bij het "
    "advies ('vóór 14-11-2026'). De coördinatoren krijgen meteen een e-mail zonder "
    "persoonsgegevens. De gewone signalen van dezelfde levering wachten op de maandelijkse run.")


def _euro(value: float) -> str:
    return euros(round(value * 100))


def _window(rule) -> str:
    parts = []
    if rule.min_days is not None and rule.max_days is not None:
        parts.append(f"{rule.min_days} tot en met {rule.max_days} dagen")
    elif rule.min_days is not None:
        parts.append(f"vanaf {rule.min_days} dagen")
    elif rule.max_days is not None:
        parts.append(f"tot en met {rule.max_days} dagen")
    else:
        parts.append("geen termijn")
    if rule.min_amount:
        parts.append(f"minimaal {_euro(rule.min_amount)} per signaal")
    if rule.condition:
        parts.append(rule.condition)
    if rule.source:
        parts.append(f"bron: {rule.source}")
    return ", ".join(parts)


def card(municipality: Municipality) -> dict:
    """The card as data (the JSON file); `markdown` renders the same content."""
    rules = municipality.scoring
    document = rules_document(municipality)
    digest = rules_hash(municipality)
    types = list(dict.fromkeys([*rules.partner_type_points, *(
        t for t in ddas.signaalpartners()
        if t in rules.typical_monthly_bill or t in municipality.partner_types)]))
    points = [
        {"regel": "crisis", "omschrijving": "crisissignaal (ontruiming of afsluiting "
         "aangekondigd, of einde energiecontract)", "punten": rules.crisis_points},
        *({"regel": "partnertype", "omschrijving": f"{ARREARS.get(t, t)}",
           "punten": rules.partner_type_points.get(t, rules.other_partner_type_points)}
          for t in types),
        {"regel": "partnertype", "omschrijving": "andere soort schuldeiser",
         "punten": rules.other_partner_type_points},
        {"regel": "meervoudig", "omschrijving": "per extra soort schuldeiser in de periode",
         "punten": rules.multiple_points},
        {"regel": "bedrag", "omschrijving": "per maandbedrag achterstand (opgeteld over de "
         "signalen; naar beneden afgerond)", "punten": rules.points_per_bill_month,
         "maximum": rules.amount_points_max},
        {"regel": "duur", "omschrijving": "per volle maand sinds de oudste achterstand begon "
         "(tot de laatste dag van de periode)", "punten": rules.points_per_month_in_arrears,
         "maximum": rules.arrears_points_max},
        {"regel": "opeenvolgend", "omschrijving": "eerder signaal op het adres in de "
         f"{municipality.matching.consecutive_months} maanden voor de periode",
         "punten": rules.consecutive_points},
    ]
    if "age_group" in rules.features:
        points += [{"regel": "leeftijd", "omschrijving": f"leeftijdsgroep {g}", "punten": p}
                   for g, p in sorted(rules.age_group_points.items())]
    if "household_minors" in rules.features:
        points.append({"regel": "minderjarigen", "omschrijving": "minderjarigen in het "
                       "huishouden volgens de BRP", "punten": rules.minors_points})
    return {
        "naam": f"Prioritering vroegsignalering {municipality.name}",
        "gemeente": {"code": municipality.code, "naam": municipality.name},
        "versie": digest[:12],
        "hash": f"sha256:{digest}",
        "doel": PURPOSE,
        "wettelijke_grondslag": LEGAL_BASIS,
        "gegevens": {
            "bronnen": "Signalen van vaste-lastenpartners (huur, energie, water, zorgverzekering, "
                       "...), gepseudonimiseerd; uitsluitingslijsten van de gemeente, "
                       "gepseudonimiseerd.",
            "kenmerken": [
                {"kenmerk": name, "kolom": FEATURES[name].column,
                 "omschrijving": FEATURES[name].label, "waarom": FEATURES[name].why}
                for name in rules.features
            ],
            "niet_gebruikt": NOT_USED,
            "nooit_toegestaan": sorted(set(PROHIBITED.values())),
        },
        "werking": {
            "matching": {
                "huishouden": "signalen met hetzelfde genormaliseerde adres (postcode, "
                              "huisnummer, toevoeging; '1234 ab 12-a' = '1234AB 12 A')",
                "periode_maanden": municipality.matching.period_months,
                "opeenvolgend_maanden": municipality.matching.consecutive_months,
                "zelfde_achterstand": "zelfde partner, zelfde ontstaansdatum, zelfde adres of "
                                      "zelfde persoon (of hetzelfde signaal opnieuw gestuurd); "
                                      "telt alleen als het bedrag steeg of het een crisis werd",
            },
            "drempels": {
                "minimum_huishouden": _euro(rules.minimum_amount),
                "termijnen": {t: _window(r) for t, r in municipality.partner_types.items()},
                "overige_soorten": _window(PartnerTypeRules()),
                "crisis": "een crisissignaal telt altijd, ook buiten de termijn en onder het "
                          "minimum",
                "leeftijd_minimum": {g: _euro(v) for g, v in
                                     sorted(rules.age_group_minimum_amount.items())}
                if "age_group" in rules.features else {},
            },
            "maandbedragen": {**{t: _euro(v) for t, v in rules.typical_monthly_bill.items()},
                              "overige": _euro(rules.other_typical_monthly_bill)},
            "punten": points,
            "regels_in_gebruik": {name: municipality.scoring.rule_in_use(name) and all(
                f in rules.features for f in rule.features) for name, rule in RULES.items()},
            "volgorde": "Crisis altijd bovenaan, dan de hoogste score; bij gelijke score de "
                        "oudste achterstand, dan het eerste signaal, dan loting die per periode "
                        "vastligt (niet afhankelijk van de sleutel).",
            "advies": rules.advice.model_dump(),
            "crisisroute": CRISIS_LANE,
            "capaciteit": {
                "crisis_telt_mee": municipality.capacity.crisis_counts_toward_capacity,
                "wijkteams": {t.code: t.capacity for t in municipality.wijkteams},
                "uitleg": "Per wijkteam komen zoveel huishoudens op de bezoeklijst als de "
                          "capaciteit, plus elk huishouden met een crisissignaal; de rest boven "
                          "de drempel staat op volgorde op de wachtlijst.",
            },
        },
        "uitsluitingen": [
            {"lijst": x.code, "naam": x.name, "soort": x.kind,
             "reikwijdte": "alleen de signalen van deze persoon" if x.scope == "persoon"
             else "het hele huishouden", "geldig_maanden": x.valid_months,
             "verplicht": x.required, "bron": x.source}
            for x in municipality.exclusions
        ],
        "brp": BRP_ON if municipality.brp.enabled else BRP_OFF,
        "menselijke_tussenkomst": HUMAN_OVERSIGHT,
        "sql": {name: f"sql/{name}.sql (sha256 {h[:12]})" for name, h in document["sql"].items()},
        "regels": document,
    }


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def markdown(data: dict) -> str:
    """The card as a Markdown page."""
    w = data["werking"]
    lines = [
        f"# Algoritmekaart: {data['naam']}",
        "",
        f"**Versie** `{data['versie']}` · **Hash** `{data['hash']}`",
        "",
        "Elke gepubliceerde bezoeklijst vermeldt op het blad *Toelichting* de regelversie waarmee "
        "ze is gemaakt; die is gelijk aan de versie hierboven.",
        "",
        "## Doel",
        "",
        data["doel"],
        "",
        "## Wettelijke grondslag",
        "",
        *(f"- {item}" for item in data["wettelijke_grondslag"]),
        "",
        "## Gegevens",
        "",
        data["gegevens"]["bronnen"],
        "",
        "Kenmerken die het model mag gebruiken (lijst in de configuratie, `scoring.features`):",
        "",
        *_table([[k["kenmerk"], k["omschrijving"], f"`{k['kolom']}`", k["waarom"]]
                 for k in data["gegevens"]["kenmerken"]],
                ["kenmerk", "omschrijving", "kolom", "waarom"]),
        "",
        f"Niet gebruikt: {data['gegevens']['niet_gebruikt']}",
        "",
        "Nooit toegestaan, wat de configuratie ook zegt: "
        + ", ".join(data["gegevens"]["nooit_toegestaan"]) + ".",
        "",
        "## Werking",
        "",
        "### Matching",
        "",
        f"- Huishouden: {w['matching']['huishouden']}.",
        f"- Periode: {w['matching']['periode_maanden']} kalendermaand(en).",
        f"- Opeenvolgend: een signaal op het adres in de {w['matching']['opeenvolgend_maanden']} "
        "maanden voor de periode.",
        f"- Zelfde achterstand: {w['matching']['zelfde_achterstand']}.",
        "",
        "### Drempels en termijnen",
        "",
        f"- Een huishouden komt op de lijst vanaf {w['drempels']['minimum_huishouden']} "
        "aan meegetelde achterstand in de periode, of met een crisissignaal.",
        f"- Crisis: {w['drempels']['crisis']}.",
        "",
        *_table([[t, v] for t, v in w["drempels"]["termijnen"].items()]
                + [["andere soorten", w["drempels"]["overige_soorten"]]],
                ["soort", "telt als de achterstand bij het signaal (dagen sinds ontstaan)"]),
        "",
    ]
    if w["drempels"]["leeftijd_minimum"]:
        lines += [*(f"- Minimum voor leeftijdsgroep {g}: {v}"
                    for g, v in w["drempels"]["leeftijd_minimum"].items()), ""]
    lines += [
        "### Punten",
        "",
        *_table([[p["regel"], p["omschrijving"], p["punten"], p.get("maximum", "")]
                 for p in w["punten"]], ["regel", "wanneer", "punten", "maximaal"]),
        "",
        "Typisch maandbedrag per soort (voor de regel 'bedrag'): "
        + ", ".join(f"{t} {v}" for t, v in w["maandbedragen"].items()) + ".",
        "",
        "Regels in gebruik: " + ", ".join(
            f"{name} {'ja' if used else 'nee'}" for name, used in w["regels_in_gebruik"].items())
        + ".",
        "",
        f"### Volgorde\n\n{w['volgorde']}",
        "",
        "### Capaciteit en wachtlijst",
        "",
        w["capaciteit"]["uitleg"]
        + (" Crisishuishoudens tellen mee in de capaciteit."
           if w["capaciteit"]["crisis_telt_mee"] else ""),
        "",
        *_table([[t, "geen grens" if c is None else c]
                 for t, c in w["capaciteit"]["wijkteams"].items()],
                ["wijkteam", "huishoudens per periode"]),
        "",
        "### Crisisroute",
        "",
        w["crisisroute"],
        "",
        f"Adviestermijn: crisis {w['advies']['crisis']}; bezoeklijst "
        f"{w['advies']['bezoeklijst']}; wachtlijst {w['advies']['wachtlijst']}.",
        "",
        f"Vervolgadvies: na {w['advies']['follow_up']['unanswered_attempts']} contactpogingen "
        "van één soort zonder contact (sinds de bewoner voor het laatst bereikt is, ook in "
        "eerdere maanden) adviseert de lijst een andere soort, met de reden: "
        + "; ".join(f"{a.lower()} → {b.lower()}"
                    for a, b in w["advies"]["follow_up"]["next_kind"].items())
        + f"; als alles onbeantwoord bleef: {w['advies']['follow_up']['last_resort']}.",
        "",
        "## Uitsluitingen",
        "",
        "Lijsten die de gemeente aanlevert; ze worden bij het laden gepseudonimiseerd en alleen "
        "als pseudoniemen bewaard.",
        "",
        *_table([[x["lijst"], x["naam"], x["reikwijdte"],
                  f"{x['geldig_maanden']} maanden" if x["geldig_maanden"] else "",
                  "ja" if x["verplicht"] else "nee", x["bron"]]
                 for x in data["uitsluitingen"]],
                ["lijst", "wat", "geldt voor", "termijn", "verplicht", "bron"]),
        "",
        "## De BRP",
        "",
        data["brp"],
        "",
        "## Menselijke tussenkomst",
        "",
        data["menselijke_tussenkomst"],
        "",
        "## Versie en herleidbaarheid",
        "",
        f"De versie `{data['versie']}` is het begin van de SHA-256 over alle regels en gewichten "
        "hierboven en over de SQL die ze toepast:",
        "",
        *(f"- {text}" for text in data["sql"].values()),
        "",
        "Elke andere waarde van een regel of gewicht geeft een andere versie.",
        "",
    ]
    return "\n".join(lines)


def write_card(municipality: Municipality, folder: Path) -> tuple[Path, Path]:
    """Write algoritmekaart_<code>_<version>.md and .json (atomically); returns both paths."""
    data = card(municipality)
    stem = f"algoritmekaart_{municipality.code}_{data['versie']}"
    md_path, json_path = folder / f"{stem}.md", folder / f"{stem}.json"
    stamped = {**data, "gemaakt_op": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    write_atomic(json_path, (json.dumps(stamped, ensure_ascii=False, indent=2) + "\n").encode())
    write_atomic(md_path, markdown(data).encode())
    return md_path, json_path


__all__ = ["RULE_SQL", "card", "markdown", "write_card"]
