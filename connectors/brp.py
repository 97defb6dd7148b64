"""The BRP connector: what the population register says about a signalled person and address,
through RvIG's Haal Centraal BRP API Personen (POST /personen), as few fields as needed.

Per signal that counts in the period (the caller decides which: data minimisation):

- with a BSN: RaadpleegMetBurgerservicenummer, fields: the address object, postcode and house
  number, the municipality of registration and the date of death. Deceased, or registered in
  another municipality: the signal is excluded like the exclusion lists exclude it. Registered
  in this municipality at another address: "niet ingeschreven op dit adres", a reason shown to
  the coordinator, never an exclusion (people live unregistered).
- always: ZoekMetPostcodeEnHuisnummer at the signalled address (or
  ZoekMetNummeraanduidingIdentificatie when the BRP gave the address's id), fields: names, date
  of birth and age. Who lives there now (the number of residents and of minors, no names kept)
  and, without a BSN, whether the signalled person is among them (`same_person`: robust to
  diacritics, prefixes, maiden and partner names, case).
- a contract in a business name ("Bakkerij Jansen B.V.") is reported, never guessed.
- the address object (adresseerbaarObjectIdentificatie) the person is registered at, when the
  BRP gave it (the BSN answer); and, only for signals at a postcode and house number that other
  signals of the run spell with another addition ("12 hs" and "12", "7-1" and "7, 1 hoog"):
  ZoekMetAdresseerbaarObjectIdentificatie at the address objects those signals gave, to see
  whether the signalled person lives there (`link_address_objects`). Signals at one address
  object are one household for the run (scoring/brp.py keeps a keyed MAC of the id, never the
  id itself).

What comes back is `BrpFacts`: counts and yes/no, no names and no BSN; every query is one
`QueryLine` (query type, counts, outcome) for the audit trail. Every answer is checked against
the spec (vroeg.haalcentraal) before it is believed: an answer that does not follow it raises
BrpRefused, a BRP that does not answer (after the retries) BrpUnavailable; both in Dutch, and
the caller goes on without BRP facts, saying so.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field

import httpx

from vroeg.config import Brp
from vroeg.haalcentraal import CONTENT_TYPE, PATHS, SpecViolation, check_response

#: The fields asked for per query type: only what the facts below need.
BSN_FIELDS = ("burgerservicenummer", "overlijden.datum", "gemeenteVanInschrijving",
              "verblijfplaats.adresseerbaarObjectIdentificatie",
              "verblijfplaats.nummeraanduidingIdentificatie",
              "verblijfplaats.verblijfadres.postcode", "verblijfplaats.verblijfadres.huisnummer",
              "verblijfplaats.verblijfadres.huisletter",
              "verblijfplaats.verblijfadres.huisnummertoevoeging")
RESIDENT_FIELDS = ("naam.voornamen", "naam.voorvoegsel", "naam.geslachtsnaam", "geboorte.datum",
                   "leeftijd")
ADULT_AGE = 18

#: Name prefixes (voorvoegsels) as the BRP's table has them, and as partners write them.
PREFIXES = frozenset((
    "van", "de", "der", "den", "het", "t", "te", "ter", "ten", "in", "op", "aan", "bij", "onder",
    "over", "uit", "vd", "v", "d", "da", "das", "del", "della", "di", "do", "dos", "du", "el",
    "la", "le", "les", "lo", "l", "von", "zu", "zum", "zur", "af", "al", "y", "vom",
))
#: Words that make a contract name a business's, not a person's.
_BUSINESS = re.compile(
    r"\b(b\.?\s?v\.?|n\.?\s?v\.?|v\.?\s?o\.?\s?f\.?|c\.?\s?v\.?|stichting|vereniging|holding|"
    r"beheer|handelsonderneming|onderneming|coöperatie|cooperatie|maatschap|kerkgenootschap|"
    r"vof|bv|nv|eenmanszaak|gebr\.?|firma|fa\.)(?=\W|$)", re.IGNORECASE)


class BrpUnavailable(RuntimeError):
    """The BRP did not answer (time-out, connection, 429/5xx after the retries)."""


class BrpRefused(RuntimeError):
    """The BRP answered something that does not follow the spec, or refused the question."""


@dataclass(frozen=True)
class Signalled:
    """The signal's person and address as the partner wrote them (clear data: never logged)."""

    postcode: str
    huisnummer: int
    huisletter: str = ""
    toevoeging: str = ""
    bsn: str = ""
    voornamen: str = ""
    voorvoegsel: str = ""
    achternaam: str = ""
    geboortedatum: dt.date | None = None


@dataclass(frozen=True)
class BrpFacts:
    """What the BRP said about one signal: pseudonymous facts only (no names, no BSN)."""

    #: The person is registered at the signalled address (None: not known, e.g. a business).
    ingeschreven_op_adres: bool | None
    overleden: bool = False
    buiten_gemeente: bool = False
    #: Residents registered at the address now, and how many are under 18.
    bewoners: int | None = None
    minderjarigen: int | None = None
    #: The reason, in Dutch, for the coordinator and the run's counts; None: nothing to report.
    reden: str | None = None
    #: The BRP's address object of the signalled address (clear: held in memory only; the
    #: warehouse gets a keyed MAC of it), None when the BRP did not give one.
    adresobject: str | None = None
    #: The signal spells its address as the BRP does (postcode, number, letter and addition).
    adres_zoals_brp: bool = False

    @property
    def uitsluiten(self) -> bool:
        """Excluded like the exclusion lists exclude (deceased, or moved out)."""
        return self.overleden or self.buiten_gemeente

    @property
    def minderjarigen_in_huishouden(self) -> bool | None:
        return None if self.minderjarigen is None else self.minderjarigen > 0


@dataclass(frozen=True)
class QueryLine:
    """One query for the audit trail: what was asked and how much came back, never who."""

    vraagsoort: str
    activiteit: str
    doel: str
    personen: int
    velden: int
    uitkomst: str  # "ok", "geweigerd", "geen antwoord"


# ------------------------------------------------------------------------------------------
# Names
# ------------------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case, no diacritics ("Bronwaßer" -> "bronwasser", "Bilgiç" -> "bilgic"), and only
    letters, digits and single spaces."""
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ø", "o")
                                 .replace("Ø", "O").replace("ł", "l").replace("æ", "ae"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^0-9a-z-]+", " ", text).split())


def surname_parts(surname: str, prefix: str = "") -> set[str]:
    """The parts of a surname that identify it, without prefixes: "van der Meijden" ->
    {"meijden"}; a double name "Jansen-de Vries" -> {"jansen", "vries", "jansen vries"}."""
    words = fold(f"{prefix} {surname}").replace("-", " - ").split()
    parts, current = [], []
    for word in [*words, "-"]:
        if word == "-":
            if current:
                parts.append(" ".join(current))
            current = []
        elif word not in PREFIXES:
            current.append(word)
    every = " ".join(parts)
    return {p for p in (*parts, every) if p}


def is_business(*names: str) -> bool:
    """A contract in a business's name: the BRP holds people, so it is reported, not searched."""
    return any(_BUSINESS.search(name or "") for name in names)


def _first(text: str) -> str:
    folded = fold(text)
    return folded[:1]


def same_person(signal: Signalled, resident: dict, housemates: list[dict]) -> bool:
    """The signalled person is this resident (a `naam`/`geboorte` answer of the BRP).

    The date of birth decides when both have one; otherwise the first initial must agree. The
    surname matches on the resident's own name (the BRP keeps the birth name) or, for someone
    signalled under a partner's name ("mevrouw Jansen"), on the name of a housemate.
    """
    name = resident.get("naam", {})
    born = resident.get("geboorte", {}).get("datum", {}).get("datum")
    if signal.geboortedatum is not None and born is not None:
        if signal.geboortedatum.isoformat() != born:
            return False
    elif signal.voornamen and name.get("voornamen"):
        if _first(signal.voornamen) != _first(name["voornamen"]):
            return False
    else:
        return False
    wanted = surname_parts(signal.achternaam, signal.voorvoegsel)
    own = surname_parts(name.get("geslachtsnaam", ""), name.get("voorvoegsel", ""))
    if wanted & own:
        return True
    for other in housemates:
        other_name = other.get("naam", {})
        if other is not resident and wanted & surname_parts(
                other_name.get("geslachtsnaam", ""), other_name.get("voorvoegsel", "")):
            return True
    return False


# ------------------------------------------------------------------------------------------
# The client
# ------------------------------------------------------------------------------------------

def _postcode(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def _address_of(person: dict) -> tuple[str, int | None, str, str]:
    address = person.get("verblijfplaats", {}).get("verblijfadres", {})
    return (_postcode(address.get("postcode", "")), address.get("huisnummer"),
            fold(address.get("huisletter", "")), fold(address.get("huisnummertoevoeging", "")))


def _addition_key(*parts: str) -> str:
    """Letter and addition as one, the way vroeg.address normalises a partner's addition."""
    return re.sub(r"[^0-9A-Z]", "", "".join(parts).upper())


class BrpClient:
    """A client of BRP API Personen with the municipality's settings; one per run."""

    def __init__(self, settings: Brp, gemeente: str) -> None:
        self.settings = settings
        self.gemeente = gemeente
        headers = {"Accept": CONTENT_TYPE, "Content-Type": CONTENT_TYPE}
        if settings.api_key_env:
            key = os.environ.get(settings.api_key_env)
            if not key:
                raise BrpUnavailable(
                    f"De BRP-sleutel ontbreekt: zet de omgevingsvariabele "
                    f"{settings.api_key_env} (brp.api_key_env in gemeente.yaml).")
            headers["X-API-KEY"] = key
        cert = (settings.client_cert, settings.client_key) if settings.client_cert else None
        self._http = httpx.Client(
            base_url=(settings.personen_url or "").rstrip("/"), headers=headers, cert=cert,
            timeout=settings.timeout_seconds)
        self.lines: list[QueryLine] = []
        # Who lives at an address, per address asked about in this run: several signals at one
        # address ask the BRP once.
        self._residents: dict[tuple, list[dict]] = {}
        self._at_object: dict[str, list[dict]] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BrpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _line(self, query: dict, people: int, outcome: str) -> None:
        self.lines.append(QueryLine(query["type"], self.settings.processing_activity,
                                    self.settings.purpose, people, len(query["fields"]), outcome))

    def personen(self, query: dict) -> list[dict]:
        """POST /personen; the answer's persons, checked against the spec."""
        body = json.dumps(query).encode()
        response = None
        for _attempt in range(self.settings.retries + 1):
            try:
                response = self._http.post(PATHS["personen"], content=body)
            except httpx.HTTPError as exc:
                response = None
                why = type(exc).__name__
                continue
            if response.status_code != 429 and response.status_code < 500:
                break
            why = f"HTTP {response.status_code}"
        if response is None or response.status_code == 429 or response.status_code >= 500:
            self._line(query, 0, "geen antwoord")
            tries = self.settings.retries + 1
            raise BrpUnavailable(
                f"De BRP ({self.settings.personen_url}) antwoordt niet ({why}, na {tries} "
                f"{'poging' if tries == 1 else 'pogingen'}).")
        try:
            answer = check_response("personen", body, response.status_code, response.content,
                                    response.headers.get("content-type", ""))
        except SpecViolation as exc:
            self._line(query, 0, "geweigerd")
            raise BrpRefused(f"{exc}. Het antwoord is niet gebruikt.") from None
        if response.status_code != 200:
            self._line(query, 0, "geweigerd")
            raise BrpRefused(f"De BRP weigert de vraag {query['type']} (HTTP "
                             f"{response.status_code}: {answer.get('title', '')}).")
        people = answer.get("personen", [])
        self._line(query, len(people), "ok")
        return people

    def residents(self, signal: Signalled, nummeraanduiding: str | None = None) -> list[dict]:
        """Who is registered at the address now (living persons only, as the API answers by
        default); asked once per address per client."""
        key = (nummeraanduiding,) if nummeraanduiding else (
            _postcode(signal.postcode), signal.huisnummer, fold(signal.huisletter),
            fold(signal.toevoeging))
        if key not in self._residents:
            self._residents[key] = self._ask_residents(signal, nummeraanduiding)
        return self._residents[key]

    def _ask_residents(self, signal: Signalled, nummeraanduiding: str | None) -> list[dict]:
        fields = {"fields": list(RESIDENT_FIELDS)}
        if nummeraanduiding:
            return self.personen({"type": "ZoekMetNummeraanduidingIdentificatie",
                                  "nummeraanduidingIdentificatie": nummeraanduiding, **fields})
        query = {"type": "ZoekMetPostcodeEnHuisnummer", "postcode": _postcode(signal.postcode),
                 "huisnummer": signal.huisnummer, **fields}
        addition = signal.toevoeging.strip()
        if not re.fullmatch(r"[a-zA-Z0-9 \-]{1,4}", addition):
            addition = ""
        if signal.huisletter:
            variants = [{"huisletter": signal.huisletter,
                         **({"huisnummertoevoeging": addition} if addition else {})}]
        elif len(addition) == 1 and addition.isalpha():
            # Partners write "14 A" for a house letter as well as for an addition; the BRP
            # keeps them apart: the letter first, then the addition.
            variants = [{"huisletter": addition}, {"huisnummertoevoeging": addition}]
        else:
            variants = [{"huisnummertoevoeging": addition} if addition else {}]
        for extra in variants:
            found = self.personen({**query, **extra})
            if found:
                return found
        return []

    def facts(self, signal: Signalled) -> BrpFacts:
        """What the BRP says about one signal (see the module's docstring)."""
        if not signal.bsn and is_business(signal.achternaam, signal.voornamen):
            return BrpFacts(ingeschreven_op_adres=None,
                            reden="contract op een bedrijfsnaam: niet in de BRP gezocht")
        nummeraanduiding = adresobject = None
        registered: bool | None = None
        as_brp = False
        if signal.bsn:
            found = self.personen({"type": "RaadpleegMetBurgerservicenummer",
                                   "burgerservicenummer": [signal.bsn],
                                   "fields": list(BSN_FIELDS)})
            if not found:
                return BrpFacts(ingeschreven_op_adres=False,
                                reden="BSN niet gevonden in de BRP")
            person = found[0]
            if person.get("overlijden"):
                return BrpFacts(ingeschreven_op_adres=False, overleden=True,
                                reden="overleden volgens de BRP")
            if person.get("gemeenteVanInschrijving", {}).get("code") != self.gemeente:
                return BrpFacts(ingeschreven_op_adres=False, buiten_gemeente=True,
                                reden="ingeschreven buiten de gemeente volgens de BRP")
            wanted = (_postcode(signal.postcode), signal.huisnummer, fold(signal.huisletter),
                      fold(signal.toevoeging))
            found_at = _address_of(person)
            registered = found_at[:2] == wanted[:2]
            if registered:
                stay = person.get("verblijfplaats", {})
                nummeraanduiding = stay.get("nummeraanduidingIdentificatie")
                adresobject = stay.get("adresseerbaarObjectIdentificatie")
                as_brp = _addition_key(*found_at[2:]) == _addition_key(signal.huisletter,
                                                                       signal.toevoeging)
        residents = self.residents(signal, nummeraanduiding)
        if registered is None:
            registered = any(same_person(signal, r, residents) for r in residents)
        return self._living(residents, registered, adresobject, as_brp)

    @staticmethod
    def _living(residents: list[dict], registered: bool, adresobject: str | None = None,
                as_brp: bool = False) -> BrpFacts:
        minors = sum(1 for r in residents if r.get("leeftijd", ADULT_AGE) < ADULT_AGE)
        return BrpFacts(
            ingeschreven_op_adres=registered, bewoners=len(residents), minderjarigen=minors,
            reden=None if registered else "niet ingeschreven op dit adres volgens de BRP",
            adresobject=adresobject, adres_zoals_brp=as_brp)

    def at_address_object(self, adresobject: str) -> list[dict]:
        """Who is registered at the address object now (ZoekMetAdresseerbaarObjectIdentificatie,
        names and ages only); asked once per address object per client."""
        if adresobject not in self._at_object:
            self._at_object[adresobject] = self.personen({
                "type": "ZoekMetAdresseerbaarObjectIdentificatie",
                "adresseerbaarObjectIdentificatie": adresobject,
                "fields": list(RESIDENT_FIELDS)})
        return self._at_object[adresobject]

    def link_address_objects(self, signals: dict[str, Signalled],
                             facts: dict[str, BrpFacts]) -> dict[str, BrpFacts]:
        """The address object of signals whose address the BRP did not give, found through the
        address objects other signals at the same postcode and house number gave.

        Only where it can matter (data minimisation): a postcode and house number that the
        run's signals spell with more than one addition, at least one of them with an address
        object from the BRP. A signal without one is looked for among the residents of those
        address objects (`same_person`); found at exactly one, it takes that address object,
        and counts as registered at the signalled address (the BRP spells it differently).
        Returns the facts that changed.
        """
        groups: dict[tuple, list[str]] = {}
        for key, signal in signals.items():
            groups.setdefault((_postcode(signal.postcode), signal.huisnummer), []).append(key)
        changed: dict[str, BrpFacts] = {}
        for keys in groups.values():
            spelling = {k: _addition_key(signals[k].huisletter, signals[k].toevoeging)
                        for k in keys}
            placed = [k for k in keys if k in facts and facts[k].adresobject]
            objects = sorted({facts[k].adresobject for k in placed})
            # A spelling that a placed signal has is that signal's household already.
            known = {spelling[k] for k in placed}
            if len(set(spelling.values())) < 2 or not objects:
                continue
            for key in keys:
                current = facts.get(key)
                if current is None or current.adresobject or current.uitsluiten \
                        or current.ingeschreven_op_adres is None or signals[key].bsn \
                        or spelling[key] in known:
                    # Known already, excluded, a business name, a BSN the BRP placed
                    # elsewhere (the BSN decides, a name never overrules it), or one household
                    # with a placed signal already.
                    continue
                signal = signals[key]
                hits = [o for o in objects
                        if any(same_person(signal, r, self.at_address_object(o))
                               for r in self.at_address_object(o))]
                if len(hits) == 1:
                    changed[key] = self._living(self.at_address_object(hits[0]), True,
                                                hits[0])
        return changed


@dataclass
class BrpOutcome:
    """The facts per signal of one run, or why there are none; counts for the run's summary."""

    facts: dict[str, BrpFacts] = field(default_factory=dict)
    lines: list[QueryLine] = field(default_factory=list)
    #: Why the run has no BRP facts (Dutch), None when it has them.
    zonder_brp: str | None = None

    def counts(self) -> dict[str, int]:
        values = list(self.facts.values())
        return {
            "brp_gevraagd": len(values),
            "brp_overleden": sum(f.overleden for f in values),
            "brp_buiten_gemeente": sum(f.buiten_gemeente for f in values),
            "brp_niet_op_adres": sum(f.ingeschreven_op_adres is False and not f.uitsluiten
                                     for f in values),
            "brp_bedrijfsnaam": sum(f.ingeschreven_op_adres is None for f in values),
            "brp_met_minderjarigen": sum(bool(f.minderjarigen) for f in values),
            "brp_met_adresobject": sum(f.adresobject is not None for f in values),
        }


def check_signals(settings: Brp, gemeente: str, signals: dict[str, Signalled]) -> BrpOutcome:
    """Ask the BRP about each signal (keyed by the caller's pseudonym); a BRP that does not
    answer or answers against the spec ends the asking: the outcome says why, with no facts,
    so that nothing is published as if the BRP had said nothing."""
    outcome = BrpOutcome()
    if not settings.enabled:
        outcome.zonder_brp = "BRP-koppeling staat uit (brp.enabled in gemeente.yaml)"
        return outcome
    try:
        with BrpClient(settings, gemeente) as client:
            try:
                for key, signal in signals.items():
                    outcome.facts[key] = client.facts(signal)
                outcome.facts.update(client.link_address_objects(signals, outcome.facts))
            finally:
                outcome.lines = list(client.lines)
    except (BrpUnavailable, BrpRefused) as exc:
        outcome.facts = {}
        outcome.zonder_brp = f"{exc} De run gaat verder zonder BRP-gegevens."
    return outcome
