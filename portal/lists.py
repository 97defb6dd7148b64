"""Published visit lists as the portal reads them: from the outbox, checked, paired with pseudonyms.

The list files are the publication: the portal shows and serves exactly what was published (the
CSV and XLSX written by publishing.visit_list, formula injection already neutralised there) and
never renders a list of its own. Columns are read by header name, so columns added later (advice
term, points per rule, section) are shown generically.

Each line is paired with its household pseudonym from `publication_households` (written when the
list was published), so that every view can be logged per household and cases are keyed by
pseudonym, never by name. A list without that record, a file changed since publication (SHA-256),
or a path outside the team's outbox folder is not shown.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select

from publishing.visit_list import (
    BEZOEKLIJST,
    LIST_COLUMNS,
    POINTS_PREFIX,
    WACHTLIJST,
    published_paths,
)
from vroeg.formats import euros, parse_decimal_comma, postal_address
from vroeg.opsdb.models import Publication, PublicationHousehold


class ListUnavailable(Exception):
    """The list cannot be shown; the message (Dutch) says why, without personal data."""


@dataclass(frozen=True)
class ListLine:
    regel: int
    rang: int
    pseudonym: str
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column) or ""

    @property
    def adres(self) -> str:
        return postal_address(self.values)

    @property
    def crisis(self) -> bool:
        return self.get("crisis").lower() == "ja"

    @property
    def bedrag(self) -> str:
        return euro(self.get("totaal_bedrag"))

    @property
    def sectie(self) -> str:
        """Lists published before sections were marked are all bezoeklijst."""
        return self.get("sectie") or BEZOEKLIJST


#: Extra columns the list page shows in a place of their own (the advice in its column, the
#: creditors under the signals, the section as headings), not as a generic column.
SHOWN_APART = ("advies", "schuldeisers", "sectie")


@dataclass(frozen=True)
class LoadedList:
    publication: Publication
    columns: tuple[str, ...]
    lines: tuple[ListLine, ...]

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns beyond the first model's, in file order (e.g. advice term, section)."""
        return tuple(c for c in self.columns if c not in LIST_COLUMNS)

    @property
    def table_extras(self) -> tuple[str, ...]:
        """Extra columns for the list table; points per rule stay on the household page."""
        return tuple(c for c in self.extra_columns
                     if not c.startswith(POINTS_PREFIX) and c not in SHOWN_APART)

    def line(self, regel: int) -> ListLine | None:
        # By number, not position: after an erasure (governance/erasure.py) took a household's row
        # out of the file and its record out of publication_households, the other lines keep
        # their numbers (in URLs and cases), so the numbers have a gap.
        return next((line for line in self.lines if line.regel == regel), None)

    @property
    def pseudonyms(self) -> list[str]:
        return [line.pseudonym for line in self.lines]

    @property
    def waiting(self) -> int:
        """Households in the wachtlijst section (`sectie`; lists without it have none)."""
        return sum(1 for line in self.lines if line.get("sectie") == WACHTLIJST)

    @property
    def visits(self) -> int:
        """Households on the bezoeklijst section: the number `publications.households` holds and
        the overview shows, so both pages name the same figure the same way."""
        return len(self.lines) - self.waiting

    def sections(self, lines: tuple[ListLine, ...]) -> list[tuple[str, int, list[ListLine]]]:
        """The bezoeklijst and the wachtlijst, each with its count in the whole list and its
        lines among `lines` (a page); a section without lines on the page is left out, except
        that an empty list still shows its (empty) bezoeklijst."""
        found = [(BEZOEKLIJST, self.visits, [x for x in lines if x.sectie != WACHTLIJST]),
                 (WACHTLIJST, self.waiting, [x for x in lines if x.sectie == WACHTLIJST])]
        return [s for s in found if s[2]] or found[:1]


#: Households per list page. A page shows (and the audit trail records) only the households on
#: it: a list of thousands on one page cost every view seconds of rendering and thousands of audit
#: lines, which many coordinators at once turned into waits of half a minute. Printing and the
#: downloads still give the whole list.
PAGE_SIZE = 250


@dataclass(frozen=True)
class ListPage:
    number: int
    pages: int
    lines: tuple[ListLine, ...]

    @property
    def first(self) -> int:
        """Position (1-based) of the page's first line in the list, for "1-250 van 2.577"."""
        return (self.number - 1) * PAGE_SIZE + 1 if self.lines else 0

    @property
    def last(self) -> int:
        return self.first + len(self.lines) - 1 if self.lines else 0


def page_of(loaded: LoadedList, number: int) -> ListPage:
    """Page `number` (1-based; out of range: the nearest page) of the list's lines."""
    pages = max(1, -(-len(loaded.lines) // PAGE_SIZE))
    number = min(max(number, 1), pages)
    start = (number - 1) * PAGE_SIZE
    return ListPage(number, pages, loaded.lines[start:start + PAGE_SIZE])


def euro(text: str) -> str:
    """'1234,56' (the list's CSV) as '€ 1.234,56'; anything else unchanged."""
    cents = parse_decimal_comma(text)
    return (text or "") if cents is None else euros(cents)


def team_folder(outbox: Path, publication: Publication) -> Path:
    return (outbox / publication.wijkteam).resolve()


def published_file(outbox: Path, publication: Publication, kind: str) -> Path:
    """The path of the published CSV or XLSX in this outbox, only if it lies in the team's
    folder (also once links are followed)."""
    csv_file, xlsx_file = published_paths(outbox, publication)
    path = (csv_file if kind == "csv" else xlsx_file).resolve()
    if team_folder(outbox, publication) not in path.parents:
        raise ListUnavailable("Deze lijst staat niet in de map van het wijkteam en wordt niet "
                              "getoond. Neem contact op met de data-officer.")
    if not path.is_file():
        raise ListUnavailable("Deze lijst is niet meer beschikbaar (bewaartermijn verstreken of "
                              "verwijderd).")
    return path


@dataclass(frozen=True)
class Pair:
    """One line's number, rank and household pseudonym, as publication_households holds them."""

    regel: int
    rang: int
    huishouden_pseudoniem: str


def households(s, publication_id: int) -> list[Pair]:
    # Plain rows, not ORM objects: a list of thousands of households is read on every view.
    rows = s.execute(select(PublicationHousehold.regel, PublicationHousehold.rang,
                            PublicationHousehold.huishouden_pseudoniem)
                     .where(PublicationHousehold.publication_id == publication_id)
                     .order_by(PublicationHousehold.regel))
    return [Pair(*row) for row in rows]


#: Lists parsed in this process, by file and publication: (SHA-256 of the file as read, the
#: signature of its pseudonyms, the list). Parsing a list of thousands of lines and reading its
#: pseudonyms was half of a list view's work, and twenty coordinators opening pages of one list
#: parsed it twenty times (issue 19, point 19). Either half can change after publication: an
#: erasure takes a row out of the file and its pseudonym out of publication_households, a key
#: rotation re-keys every pseudonym and leaves the file alone. Both are checked on every view,
#: and the entry is replaced when either differs, so an erased household does not stay in the
#: portal's memory.
_PARSED_LISTS = 8
_parsed: OrderedDict[tuple[str, int], tuple[str, tuple, LoadedList]] = OrderedDict()
_parsed_guard = threading.Lock()


def households_signature(s, publication_id: int) -> tuple:
    """What changes whenever the list's pseudonyms do: their number (an erasure), the least and
    the greatest (a rotation re-keys them all, under a new key version's prefix). One indexed
    aggregate instead of thousands of rows."""
    column = PublicationHousehold.huishouden_pseudoniem
    return tuple(s.execute(select(func.count(), func.min(column), func.max(column))
                           .where(PublicationHousehold.publication_id == publication_id)).one())


def open_list(outbox: Path, publication: Publication, s) -> LoadedList:
    """The list as `load` gives it, parsed once per version of its file and its pseudonyms in
    this process. On every view the file is read and its digest checked, and the pseudonyms'
    signature is read (`s`, a session of the operational database)."""
    path = published_file(outbox, publication, "csv")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    signature = households_signature(s, publication.id)
    key = (str(path), publication.id)
    with _parsed_guard:
        hit = _parsed.get(key)
        if (hit is not None and hit[0] == digest == publication.csv_sha256
                and hit[1] == signature):
            _parsed.move_to_end(key)
            # The publication's own record may have changed (replaced by a newer version).
            return replace(hit[2], publication=publication)
    loaded = _parse(raw, digest, publication, households(s, publication.id))
    with _parsed_guard:
        _parsed[key] = (digest, signature, loaded)
        _parsed.move_to_end(key)
        while len(_parsed) > _PARSED_LISTS:
            _parsed.popitem(last=False)
    return loaded


def load(outbox: Path, publication: Publication, pairs: list[Pair]) -> LoadedList:
    raw = published_file(outbox, publication, "csv").read_bytes()
    return _parse(raw, hashlib.sha256(raw).hexdigest(), publication, pairs)


def _parse(raw: bytes, digest: str, publication: Publication, pairs: list[Pair]) -> LoadedList:
    if digest != publication.csv_sha256:
        raise ListUnavailable("Het bestand van deze lijst is gewijzigd sinds de publicatie en "
                              "wordt daarom niet getoond. Neem contact op met de data-officer.")
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";")
    rows = list(reader)
    columns = tuple(reader.fieldnames or ())
    if len(pairs) != len(rows) or any(str(p.rang) != (r.get("rang") or "").strip()
                                      for p, r in zip(pairs, rows, strict=False)):
        # Without the pseudonym per line, views cannot be logged per household: not shown.
        raise ListUnavailable("Bij deze lijst ontbreekt de registratie van huishoudens (de lijst "
                              "is gepubliceerd met een oudere versie). Laat de data-officer de "
                              "lijst opnieuw publiceren met 'vroeg run'.")
    lines = tuple(ListLine(regel=p.regel, rang=p.rang, pseudonym=p.huishouden_pseudoniem,
                           values={k: (v or "") for k, v in r.items() if k is not None})
                  for p, r in zip(pairs, rows, strict=True))
    return LoadedList(publication, columns, lines)
