"""A synthetic population: streets and postcodes per wijkteam area, households and their adults.

Households are made on demand (only signalled households are ever needed) from one seeded
random stream, so the same seed and the same sequence of requests give the same people.
Nothing here describes a real person: names, addresses, dates of birth, BSNs and phone numbers
are drawn at random; e-mail addresses use reserved example domains.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from synthetic import names
from vroeg import bsn as bsn_rule
from vroeg.config import Municipality

#: Letters used in Dutch postcodes: F, I, O, Q, U and Y are not used by PostNL.
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
#: Letter pairs never used as a postcode suffix (SA, SD and SS for their historical meaning).
FORBIDDEN_SUFFIXES = frozenset({"SA", "SD", "SS"})
#: House numbers 1..50 share one postcode, 51..100 the next, and so on (roughly how PostNL does it).
NUMBERS_PER_POSTCODE = 50
MAX_HOUSE_NUMBER = 250

#: House-number additions and how often each occurs among the addresses that have one.
ADDITIONS: tuple[tuple[str, int], ...] = (
    ("A", 30), ("B", 15), ("1", 12), ("2", 12), ("bis", 6), ("2-hoog", 10), ("3-hoog", 5), ("C", 5),
)
ADDITION_SHARE = 0.12

#: Adults per household: 1, 2 or 3 (an adult child or housemate).
ADULTS_WEIGHTS = (50, 40, 10)
MIN_AGE, MAX_AGE = 18, 88


@dataclass(frozen=True)
class Street:
    name: str
    pc4: int
    woonplaats: str
    max_number: int
    #: One two-letter suffix per block of NUMBERS_PER_POSTCODE house numbers.
    suffixes: tuple[str, ...]

    def postcode(self, number: int) -> str:
        return f"{self.pc4}{self.suffixes[(number - 1) // NUMBERS_PER_POSTCODE]}"


@dataclass(frozen=True)
class Person:
    voornamen: str
    tussenvoegsel: str
    achternaam: str
    geboortedatum: date
    bsn: str
    telefoon: str
    email: str

    @property
    def initials(self) -> str:
        """'Anna Maria' -> 'A.M.': some partners only know a resident's initials."""
        return "".join(f"{part[0]}." for part in self.voornamen.split())


@dataclass
class Household:
    id: int
    team: str
    straatnaam: str
    postcode: str  # normal form 1234AB
    huisnummer: int
    toevoeging: str
    woonplaats: str
    residents: list[Person]
    #: Partner type -> index of the resident who holds that contract (chosen on first use).
    holders: dict[str, int] = field(default_factory=dict)

    def holder(self, partner_type: str, rng: random.Random) -> Person:
        if partner_type not in self.holders:
            # Usually the first adult holds the contracts; sometimes another adult in the house.
            others = len(self.residents) - 1
            pick = 0 if others == 0 or rng.random() < 0.7 else rng.randint(1, others)
            self.holders[partner_type] = pick
        return self.residents[self.holders[partner_type]]


def town_name(municipality: Municipality) -> str:
    """'Leeuwarden (voorbeeldgemeente)' -> 'Leeuwarden'."""
    return re.sub(r"\s*\(.*?\)", "", municipality.name).strip() or municipality.name


def team_weights(municipality: Municipality) -> list[tuple[str, float, list[int]]]:
    """Each team's share of new households, with its postcode areas.

    Wijkteams are drawn to carry comparable caseloads, so half of the weight is spread evenly;
    the other half grows with the square root of the number of postcode areas, so a team with
    thirty village areas gets more than a one-area city-centre team, but not thirty times more.
    This keeps every team at a workable number of signals every month.
    """
    teams = [(t.code, sorted(pc for lo, hi in t.pc4_ranges() for pc in range(lo, hi + 1)))
             for t in municipality.wijkteams]
    roots = [math.sqrt(len(pcs)) for _, pcs in teams]
    total = sum(roots)
    return [(code, 0.5 / len(teams) + 0.5 * root / total, pcs)
            for (code, pcs), root in zip(teams, roots, strict=True)]


class Population:
    """Streets of the municipality and the households created so far."""

    def __init__(self, municipality: Municipality, rng: random.Random) -> None:
        self._rng = rng
        self._teams = team_weights(municipality)
        self._streets = _lay_out_streets(municipality, rng)
        self._addresses: set[tuple[str, int, str]] = set()
        self._bsns: set[str] = set()
        self.households: list[Household] = []

    def new_household(self, reference: date) -> Household:
        """A household not seen before; its adults are at least 18 on `reference`."""
        rng = self._rng
        codes = [code for code, _, _ in self._teams]
        weights = [w for _, w, _ in self._teams]
        team_index = rng.choices(range(len(codes)), weights)[0]
        pc4 = rng.choice(self._teams[team_index][2])
        street, number, addition = self._free_address(pc4)
        household = Household(
            id=len(self.households),
            team=codes[team_index],
            straatnaam=street.name,
            postcode=street.postcode(number),
            huisnummer=number,
            toevoeging=addition,
            woonplaats=street.woonplaats,
            residents=self._adults(reference),
        )
        self.households.append(household)
        return household

    # -- addresses ------------------------------------------------------------------------------

    def _free_address(self, pc4: int) -> tuple[Street, int, str]:
        rng = self._rng
        while True:
            street = rng.choice(self._streets[pc4])
            number = rng.randint(1, street.max_number)
            addition = ""
            if rng.random() < ADDITION_SHARE:
                addition = rng.choices([a for a, _ in ADDITIONS], [w for _, w in ADDITIONS])[0]
            key = (street.postcode(number), number, addition)
            if key not in self._addresses:
                self._addresses.add(key)
                return street, number, addition

    # -- people ---------------------------------------------------------------------------------

    def _adults(self, reference: date) -> list[Person]:
        rng = self._rng
        count = rng.choices((1, 2, 3), ADULTS_WEIGHTS)[0]
        female = rng.random() < 0.55
        age = MIN_AGE + min(MAX_AGE - MIN_AGE, int(rng.betavariate(2.0, 3.0) * 71))
        surname = rng.choice(names.SURNAMES)
        adults = [self._person(reference, female, age, surname)]
        if count >= 2:
            partner_age = max(MIN_AGE, min(MAX_AGE, age + rng.randint(-6, 6)))
            partner_surname = surname if rng.random() < 0.6 else rng.choice(names.SURNAMES)
            partner_female = not female if rng.random() < 0.9 else female
            adults.append(self._person(reference, partner_female, partner_age, partner_surname))
        if count == 3:
            # An adult child when the parents are old enough, otherwise a housemate.
            if age >= 42:
                child_female = rng.random() < 0.5
                adults.append(self._person(reference, child_female, rng.randint(18, 26), surname))
            else:
                adults.append(self._person(reference, rng.random() < 0.5, rng.randint(18, 40),
                                           rng.choice(names.SURNAMES)))
        return adults

    def _person(self, reference: date, female: bool, age: int, surname: tuple[str, str]) -> Person:
        rng = self._rng
        pool = names.GIVEN_NAMES_FEMALE if female else names.GIVEN_NAMES_MALE
        given = rng.sample(pool, 2 if rng.random() < 0.3 else 1)
        tussenvoegsel, achternaam = surname
        # At least `age` whole years old on the reference date, younger than age + 1.
        days = math.floor(age * 365.25) + 1 + rng.randint(0, 363)
        return Person(
            voornamen=" ".join(given),
            tussenvoegsel=tussenvoegsel,
            achternaam=achternaam,
            geboortedatum=reference - timedelta(days=days),
            bsn=self._new_bsn(),
            telefoon=_phone(rng),
            email=_email(rng, given[0], tussenvoegsel, achternaam),
        )

    def new_bsn(self) -> str:
        """A BSN no one in the population has (the demo's BRP registers children with it)."""
        return self._new_bsn()

    def _new_bsn(self) -> str:
        rng = self._rng
        while True:
            # Only the 999 block: the official test BSNs (999990000-999999999) live there and it is
            # far from the numbers issued to residents, so a sample BSN is not a real person's.
            digits = [9, 9, 9] + [rng.randint(0, 9) for _ in range(5)]
            # The elfproef fixes d9; a remainder of 10 has no digit.
            first_eight = "".join(map(str, digits))
            check = bsn_rule.check_digit(first_eight)
            if check is None:
                continue
            bsn = first_eight + str(check)
            if bsn not in self._bsns:
                self._bsns.add(bsn)
                return bsn


def _phone(rng: random.Random) -> str:
    """06 mobile (most) or a 058 landline (the Leeuwarden area code); some residents have none."""
    if rng.random() < 0.2:
        return ""
    if rng.random() < 0.75:
        return f"06{rng.randint(1, 5)}{rng.randint(0, 9_999_999):07d}"
    return f"058{rng.randint(2, 9)}{rng.randint(0, 999_999):06d}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _email(rng: random.Random, given: str, tussenvoegsel: str, achternaam: str) -> str:
    if rng.random() < 0.6:
        return ""
    local_given = _ascii(given).lower()
    local_surname = _ascii(tussenvoegsel + achternaam).lower().replace(" ", "")
    style = rng.randint(0, 2)
    if style == 0:
        local = f"{local_given}.{local_surname}"
    elif style == 1:
        local = f"{local_given[0]}{local_surname}"
    else:
        local = f"{local_given}{rng.randint(1, 99)}"
    return f"{local}@{rng.choice(names.EMAIL_DOMAINS)}"


# -- street layout -------------------------------------------------------------------------------


def _lay_out_streets(municipality: Municipality, rng: random.Random) -> dict[int, list[Street]]:
    """Four to eight streets per postcode area, each with its own postcode suffixes.

    The town's own postcode block (the first two digits of the lowest area, 89xx for the sample)
    gets Dutch street names and the town as woonplaats; other areas are villages with Frisian
    street names, several neighbouring areas sharing one village.
    """
    all_pc4 = sorted(municipality.pc4_to_team)
    town_block = str(all_pc4[0])[:2]
    villages = _assign_villages([pc for pc in all_pc4 if str(pc)[:2] != town_block], rng)
    town = town_name(municipality)
    town_names = _StreetNames(names.TOWN_STREET_STEMS, names.TOWN_STREET_SUFFIXES, rng)
    village_names = _StreetNames(names.VILLAGE_STREET_STEMS, names.VILLAGE_STREET_SUFFIXES, rng)
    pairs = [a + b for a in POSTCODE_LETTERS for b in POSTCODE_LETTERS
             if a + b not in FORBIDDEN_SUFFIXES]

    streets: dict[int, list[Street]] = {}
    for pc4 in all_pc4:
        in_town = pc4 not in villages
        pool = town_names if in_town else village_names
        maxima = [rng.randint(12, MAX_HOUSE_NUMBER) for _ in range(rng.randint(4, 8))]
        blocks = [math.ceil(m / NUMBERS_PER_POSTCODE) for m in maxima]
        # Postcodes rise along the streets of an area, as real ones roughly do.
        suffixes = sorted(rng.sample(pairs, sum(blocks)))
        area: list[Street] = []
        taken: set[str] = set()
        for maximum, block in zip(maxima, blocks, strict=True):
            name = pool.take(taken)
            area.append(Street(name, pc4, town if in_town else villages[pc4], maximum,
                               tuple(suffixes[:block])))
            suffixes = suffixes[block:]
        streets[pc4] = area
    return streets


def _assign_villages(pc4s: list[int], rng: random.Random) -> dict[int, str]:
    """Consecutive postcode areas in runs of one to three per village."""
    order = list(names.VILLAGES)
    rng.shuffle(order)
    out: dict[int, str] = {}
    i = village = 0
    while i < len(pc4s):
        run = rng.randint(1, 3)
        for pc in pc4s[i:i + run]:
            out[pc] = order[village % len(order)]
        i += run
        village += 1
    return out


class _StreetNames:
    """Stem + suffix combinations in a seeded order, handed out in turn.

    When the list is used up it starts again from the top, so an area may repeat a street name
    of another area (realistic for villages), but never one of its own.
    """

    def __init__(self, stems: tuple[str, ...], suffixes: tuple[str, ...],
                 rng: random.Random) -> None:
        self._names = [stem + suffix for stem in stems for suffix in suffixes]
        rng.shuffle(self._names)
        self._next = 0

    def take(self, taken: set[str]) -> str:
        for _ in range(len(self._names)):
            name = self._names[self._next % len(self._names)]
            self._next += 1
            if name not in taken:
                taken.add(name)
                return name
        raise ValueError("an area needs more street names than the word lists provide")
