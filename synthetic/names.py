"""Word lists for the synthetic population: made-up but plausible Dutch and Frisian names.

Everything here is invented or a very common name; combined at random they describe nobody.
All lists are tuples (fixed order) so that a seeded choice picks the same item in every process.
Every character is in Latin-1, because one sample partner (energie-fryslan) exports in Latin-1:
ú, ë, â, ô and û are fine, ŷ is not and is left out on purpose.
"""

from __future__ import annotations

GIVEN_NAMES_FEMALE: tuple[str, ...] = (
    "Anna", "Maria", "Johanna", "Sjoukje", "Fokje", "Jeltsje", "Wytske", "Gerbrich", "Hiske",
    "Ypie", "Aukje", "Baukje", "Tineke", "Geeske", "Sietske", "Froukje", "Janke", "Marieke",
    "Anouk", "Sanne", "Lisa", "Femke", "Iris", "Eva", "Sara", "Fleur", "Noa", "Zoë", "Chloë",
    "Loïs", "Daphne", "Esther", "Ingrid", "Petra", "Monique", "Yvonne", "Ilse", "Nienke",
    "Renée", "Hélène", "Fatima", "Samira", "Amira", "Agnieszka", "Ana", "Lotte", "Julia",
)

GIVEN_NAMES_MALE: tuple[str, ...] = (
    "Jan", "Pieter", "Hendrik", "Hylke", "Sietse", "Tsjalling", "Douwe", "Jelle", "Wiebe",
    "Sjoerd", "Auke", "Bauke", "Jouke", "Klaas", "Durk", "Folkert", "Gerrit", "Jorrit", "Rinse",
    "Tjeerd", "Ruurd", "Willem", "Johannes", "Cornelis", "Dirk", "Bram", "Daan", "Sem", "Lucas",
    "Thijs", "Ruben", "Mark", "Erik", "Kees", "Henk", "Noël", "Raphaël", "René", "André",
    "Mohamed", "Youssef", "Ahmet", "Tomasz", "João", "Piotr", "Jeroen", "Bart",
)

#: (tussenvoegsel, achternaam): common Dutch and Frisian surnames, a few of other origins.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("de", "Vries"), ("", "Jansen"), ("", "Visser"), ("", "Dijkstra"), ("", "Bakker"),
    ("", "Hoekstra"), ("de", "Jong"), ("", "Postma"), ("", "Kuipers"), ("", "Bouma"),
    ("", "Wiersma"), ("van der", "Meer"), ("de", "Boer"), ("", "Mulder"), ("de", "Groot"),
    ("", "Bos"), ("", "Smit"), ("van", "Dijk"), ("", "Meijer"), ("de", "Haan"),
    ("", "Veenstra"), ("", "Sikkema"), ("", "Hiemstra"), ("", "Zijlstra"), ("", "Jellema"),
    ("", "Terpstra"), ("", "Kramer"), ("", "Boersma"), ("", "Brouwer"), ("", "Fûns"),
    ("", "Sjaarda"), ("", "Dykstra"), ("", "Yntema"), ("", "Haagsma"), ("van den", "Berg"),
    ("ter", "Horst"), ("van", "Wijk"), ("", "Faber"), ("", "Tjallema"), ("", "Hofstra"),
    ("", "Rienstra"), ("", "Algra"), ("van der", "Wal"), ("van den", "Bosch"), ("", "Koopmans"),
    ("", "Westra"), ("", "Nauta"), ("", "Sybesma"), ("", "Elzinga"), ("", "Miedema"),
    ("", "Öztürk"), ("", "El Amrani"), ("", "Nguyen"), ("", "Kowalski"), ("", "Santos"),
    ("", "Haddou"), ("", "Gaastra"), ("", "Kloosterman"), ("de", "Wit"), ("ter", "Veen"),
)

#: Street name stems for the town: trees, birds, waterways, local names.
TOWN_STREET_STEMS: tuple[str, ...] = (
    "Acacia", "Berken", "Beuken", "Eiken", "Linden", "Wilgen", "Iepen", "Elzen", "Meidoorn",
    "Vlier", "Lijster", "Merel", "Kievit", "Grutto", "Reiger", "Zwaluw", "Fazant", "Molen",
    "Kerk", "Kanaal", "Sluis", "Haven", "Vaart", "Terp", "Mieden", "Zuider", "Wester", "Ooster",
    "Noorder", "Harlinger", "Dokkumer", "Franeker", "Sneeker", "Bolswarder", "Slauerhoff",
    "Troelstra", "Jelsumer", "Marssumer", "Huizumer", "Camminga", "Bonifatius", "Potmarge",
    "Dotinga", "Schieringer", "Tjerk Hiddes", "Willem Lodewijk", "Aldlân", "Nylân",
)

TOWN_STREET_SUFFIXES: tuple[str, ...] = (
    "straat", "laan", "weg", "pad", "plein", "singel", "kade", "hof",
)

#: Frisian stems and suffixes for the villages (bilingual street names are common there).
VILLAGE_STREET_STEMS: tuple[str, ...] = (
    "Tsjerke", "Mole", "Skoalle", "Sân", "Fenne", "Greiden", "Feart", "Hege", "Lege", "Wâld",
    "Pôle", "Âlde", "Nije", "Terp", "Skilpe", "Slachte", "Kampen", "Doarps", "Ikker", "Finne",
    "Wetter", "Hoarne",
)

VILLAGE_STREET_SUFFIXES: tuple[str, ...] = (
    "wei", "dyk", "paad", "strjitte", "leane", "hôf", "reed", "buorren",
)

#: Villages for postcode areas outside the town's own block (the 90xx areas of the sample).
VILLAGES: tuple[str, ...] = (
    "Grou", "Stiens", "Wirdum", "Goutum", "Jirnsum", "Warga", "Reduzum", "Wytgaard", "Hempens",
    "Teerns", "Lekkum", "Britsum", "Jelsum", "Koarnjum", "Feinsum", "Hijum", "Finkum", "Swichum",
    "Beers", "Jellum", "Idaerd", "Roordahuizum",
)

#: Reserved example domains (RFC 2606 style): a synthetic e-mail address can never reach anyone.
EMAIL_DOMAINS: tuple[str, ...] = ("example.nl", "example.com", "example.org")
