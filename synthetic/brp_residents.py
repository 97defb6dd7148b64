"""The demo's population as the BRP stand-in registers it (`vroeg demo --brp`).

Every synthetic household the generator simulated (synthetic.people.Population) becomes a set
of person lists at its address, with an address object and a number designation of its own, so
that the run's BRP questions have something to find. A few households differ from what the
partners believe, the way the register differs from a creditor's file:

- a signalled person died (in the demo's month): the run excludes their signals;
- a signalled person moved to another municipality: excluded as well;
- a signalled person is registered elsewhere in the municipality (lives at the signalled
  address unregistered): "niet ingeschreven op dit adres", a reason, never an exclusion;
- children under 18 live in the household (the partners never mention them): the minors fact,
  and points when the municipality's minors rule is on;
- the register writes a floor as "2HG" where the housing corporation wrote "2-hoog" (the BRP's
  additions are at most four characters), and partners without a BSN write their own variants
  (synthetic.generator.SPELLING_VARIANTS, and "hs" after a few ground-floor addresses:
  GROUND_FLOOR_VARIANT): one address object, several household keys.

Deterministic: one random stream seeded from the demo's seed, people in BSN order and
households in id order. Nothing
here describes a real person (the names and BSNs are the generator's, in the test range 999).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from synthetic import names
from synthetic.brp_standin import Resident
from synthetic.generator import ground_floor_households
from synthetic.people import Household, Person, Population
from synthetic.simulation import Signal
from synthetic.writers import BSN_TYPES

#: Shares of the people signalled in the demo's month whom the register has elsewhere or no
#: longer (at least one each): deceased and moved out are drawn among those a partner gave a
#: BSN for (only a BSN finds someone who no longer lives there).
DECEASED_SHARE = 0.03
MOVED_OUT_SHARE = 0.03
ELSEWHERE_SHARE = 0.04
#: Share of households with an adult of 22-50 that also have children under 18.
CHILDREN_SHARE = 0.3
#: The municipality a moved resident now lives in (Amsterdam), and its sample address.
MOVED_TO = ("0363", "1011AB")
#: The register's spelling of the population's additions (at most four characters).
BRP_ADDITIONS = {"2-hoog": "2HG", "3-hoog": "3HG"}


@dataclass(frozen=True)
class RegisterCounts:
    """What the demo's register holds (counts only: safe to print)."""

    huishoudens: int
    personen: int
    overleden: int
    verhuisd: int
    elders_ingeschreven: int
    met_kinderen: int


def _ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _object(code: str, kind: int, household: Household) -> str:
    """A 16-digit BAG-style id: municipality, object kind (01 address object, 20 number
    designation), then the household's number."""
    return f"{code}{kind:02d}{household.id:010d}"


def _lives_at(person: Person, household: Household, code: str, since: str) -> Resident:
    addition = household.toevoeging
    letter = addition if len(addition) == 1 and addition.isalpha() else ""
    return Resident(
        bsn=person.bsn, voornamen=person.voornamen, voorvoegsel=person.tussenvoegsel,
        geslachtsnaam=person.achternaam, geboortedatum=_ymd(person.geboortedatum), gemeente=code,
        postcode=household.postcode, huisnummer=household.huisnummer, huisletter=letter,
        toevoeging="" if letter else BRP_ADDITIONS.get(addition, addition),
        woonplaats=household.woonplaats, adresseerbaar_object=_object(code, 1, household),
        nummeraanduiding=_object(code, 20, household), sinds=since)


def _some(rng: random.Random, people: list[str], share: float) -> set[str]:
    return set(rng.sample(people, min(len(people), max(1, round(share * len(people))))))


def register(population: Population, signals: list[Signal], code: str, *, seed: int,
             today: dt.date, last_month: tuple[int, int]) -> tuple[list[Resident], RegisterCounts]:
    """The population's residents as person lists, and what the register holds in counts.
    `signals`: the demo's month (synthetic.generator.population), whose signalled people
    include the deceased, the moved and the registered elsewhere."""
    rng = random.Random(f"vroeg-synthetic/{seed}/brp")
    since = _ymd(today.replace(year=today.year - 3))
    # The people at the households whose address partners without a BSN spell "hs" stay
    # registered there: a deceased, moved or elsewhere-registered person gives the BRP no
    # address object to merge on, and the demo is to show merges (issue 16).
    spelt = ground_floor_households(signals)
    kept = {s.resident.bsn for s in signals if s.household.id in spelt}
    with_bsn = sorted({s.resident.bsn for s in signals if s.partner_type in BSN_TYPES} - kept)
    deceased = _some(rng, with_bsn, DECEASED_SHARE)
    moved = _some(rng, [b for b in with_bsn if b not in deceased], MOVED_OUT_SHARE)
    elsewhere = _some(rng, sorted({s.resident.bsn for s in signals} - deceased - moved - kept),
                      ELSEWHERE_SHARE)
    residents: list[Resident] = []
    with_children = 0
    for household in population.households:
        for person in household.residents:
            entry = _lives_at(person, household, code, since)
            if person.bsn in deceased:
                entry = replace(entry, overlijdensdatum=_ymd(
                    dt.date(*last_month, rng.randint(1, 28))))
            elif person.bsn in moved:
                entry = replace(entry, gemeente=MOVED_TO[0], postcode=MOVED_TO[1],
                                huisnummer=1 + household.id % 200, huisletter="",
                                toevoeging="", woonplaats="Amsterdam",
                                adresseerbaar_object=_object(MOVED_TO[0], 1, household),
                                nummeraanduiding=_object(MOVED_TO[0], 20, household))
            elif person.bsn in elsewhere:
                # Registered at a number the population never uses (MAX_HOUSE_NUMBER is 250).
                entry = replace(entry, huisnummer=household.huisnummer + 300, huisletter="",
                                toevoeging="", adresseerbaar_object=_object(code, 3, household),
                                nummeraanduiding=_object(code, 23, household))
            residents.append(entry)
        parents = [p for p in household.residents
                   if 22 <= (today - p.geboortedatum).days // 365 <= 50]
        if parents and rng.random() < CHILDREN_SHARE:
            with_children += 1
            for _ in range(rng.randint(1, 3)):
                born = today - dt.timedelta(days=rng.randint(30, 17 * 365))
                given = rng.choice(names.GIVEN_NAMES_FEMALE if rng.random() < 0.5
                                   else names.GIVEN_NAMES_MALE)
                child = Person(voornamen=given, tussenvoegsel=parents[0].tussenvoegsel,
                               achternaam=parents[0].achternaam, geboortedatum=born,
                               bsn=population.new_bsn(), telefoon="", email="")
                residents.append(_lives_at(child, household, code, since))
    counts = RegisterCounts(len(population.households), len(residents), len(deceased),
                            len(moved), len(elsewhere), with_children)
    return residents, counts
