"""Finding one person (or one address) in every store: what subject access, erasure and
re-identification build on (governance/subject_access.py, erasure.py, reidentification.py).

A privacy officer asks by BSN or by address (postcode, house number, addition: how DDAS identifies
a client). From that the person's and household's pseudonyms are computed with the same function
the pipeline uses (privacy.pseudonymise.pseudonyms), under every key version the municipality
holds, so records and audit lines from before a key rotation are found too. Nothing about the
person is decrypted except through `Vault.reidentify`, which writes its audit lines first.

Nothing here opens the warehouse: the portal (re-identification, retention status) builds on
this module and never loads DuckDB (docs/design.md, "The portal").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import select

import connectors
from privacy import archive
from privacy.context import Context
from privacy.pseudonymise import pseudonyms, records_frame
from privacy.vault import IndexRow, subject_token
from publishing.visit_list import published_paths
from vroeg import address
from vroeg import bsn as bsn_rule
from vroeg.config import STANDARD_PARTNER_ID, standard_partner
from vroeg.errors import DeliveryError
from vroeg.opsdb import db
from vroeg.opsdb.models import Delivery, Publication

# ASCII digits only ([0-9], not \d: connectors/parse.py says why).
_ADDRESS_RE = re.compile(
    r"^\s*([0-9]{4}\s*[A-Za-z]{2})\s*[,;\s]\s*([0-9]+)\s*[-\s,]?\s*(.*?)\s*$")
#: An addition as the BAG knows it: a house letter and/or up to four letters or digits, written
#: with or without separators ("a", "2-hoog", "bis"); anything longer is not an address.
_ADDITION_RE = re.compile(r"^[0-9A-Za-z]{0,6}$")
#: House numbers in the Netherlands run from 1 to 99999 (the delivery check allows five digits).
_MAX_HOUSE_NUMBER = 99_999


class SubjectProblem(Exception):
    """The request cannot be understood (not: nothing found); the message says why."""


@dataclass(frozen=True)
class Query:
    """Who is asked about: a BSN, or an address (and, for erasure, optionally a surname)."""

    bsn: str | None = None
    postcode: str | None = None
    huisnummer: str | None = None
    toevoeging: str = ""
    achternaam: str | None = None

    @classmethod
    def parse(cls, *, bsn: str | None = None, adres: str | None = None,
              achternaam: str | None = None) -> Query:
        if bool(bsn) == bool(adres):
            raise SubjectProblem("Geef precies een van --bsn of --address.")
        # A request the stores cannot match is refused, not answered with "nothing held": for a
        # typo that answer would be false, and the officer would pass it on to the person.
        if bsn:
            digits = re.sub(r"[\s.]", "", bsn)
            if not re.fullmatch(r"[0-9]{8,9}", digits):
                raise SubjectProblem("Een BSN bestaat uit 9 cijfers (0-9).")
            if not bsn_rule.is_valid(digits.zfill(9)):
                raise SubjectProblem("Dit BSN voldoet niet aan de elfproef: er zit een tikfout in. "
                                     "Controleer het nummer bij de betrokkene.")
            return cls(bsn=digits.zfill(9), achternaam=achternaam)
        m = _ADDRESS_RE.match(adres or "")
        example = "bijvoorbeeld \"8911 AB 12 a\""
        if not m:
            raise SubjectProblem("Geef het adres als postcode en huisnummer, met eventuele "
                                 f"toevoeging, {example}.")
        if address.normalise_postcode(m.group(1)) is None:
            raise SubjectProblem("Dat is geen Nederlandse postcode (vier cijfers, de eerste geen "
                                 f"0, en twee letters), {example}.")
        if not 1 <= int(m.group(2)) <= _MAX_HOUSE_NUMBER:
            raise SubjectProblem(f"Een huisnummer ligt tussen 1 en {_MAX_HOUSE_NUMBER}, {example}.")
        if not _ADDITION_RE.fullmatch(re.sub(r"[\s-]", "", m.group(3) or "")):
            raise SubjectProblem("Een toevoeging is een huisletter of een korte aanduiding van "
                                 f"letters en cijfers (zoals a, 2-hoog of bis), {example}.")
        return cls(postcode=m.group(1), huisnummer=m.group(2), toevoeging=m.group(3) or "",
                   achternaam=achternaam)

    def describe(self) -> str:
        """For display: the BSN masked, the address as given."""
        if self.bsn:
            return f"BSN eindigend op {self.bsn[-3:]}"
        addition = f" {self.toevoeging}" if self.toevoeging else ""
        return f"adres {self.postcode} {self.huisnummer}{addition}"

    def frame(self) -> pl.DataFrame:
        """One row in the columns pseudonym_texts needs, normalised as a delivery would be."""
        raw = pl.DataFrame({"postcode": [self.postcode], "huisnummer": [self.huisnummer],
                            "toevoeging": [self.toevoeging], "bsn": [self.bsn]},
                           schema={c: pl.String for c in ("postcode", "huisnummer", "toevoeging",
                                                          "bsn")})
        return raw.select(
            pl.lit(None, pl.String).alias("partner_id"),
            pl.lit(None, pl.String).alias("signaal_id"),
            address.postcode(pl.col("postcode")).alias("postcode"),
            address.house_number(pl.col("huisnummer")).alias("huisnummer"),
            address.addition(pl.col("huisnummer"), pl.col("toevoeging"))
            .alias("toevoeging_sleutel"),
            pl.col("bsn"),
            pl.lit(None, pl.String).alias("achternaam"),
            pl.lit(None, pl.String).alias("voornamen"),
            pl.lit(None, pl.String).alias("geboortedatum"),
        )

    def address_key(self) -> tuple[str, str, str] | None:
        row = self.frame().row(0, named=True)
        if not row["postcode"] or not row["huisnummer"]:
            return None
        return row["postcode"], row["huisnummer"], row["toevoeging_sleutel"] or ""


@dataclass
class Located:
    """The pseudonyms of a query under every key version, and the vault records they find."""

    persons: set[str] = field(default_factory=set)       # all versions
    households: set[str] = field(default_factory=set)    # all versions
    records: list[IndexRow] = field(default_factory=list)

    @property
    def candidates(self) -> set[str]:
        return self.persons | self.households

    @property
    def signals(self) -> list[str]:
        return sorted({r.signaal for r in self.records})

    @property
    def record_households(self) -> list[str]:
        return sorted({r.huishouden for r in self.records})

    @property
    def record_persons(self) -> list[str]:
        return sorted({r.persoon for r in self.records})

    def tokens(self) -> list[str]:
        """Audit subjects for this request: person@household per record, else the query's own
        pseudonyms under the current key (so a request that found nothing is still logged)."""
        found = sorted({subject_token(r.persoon, r.huishouden) for r in self.records})
        return found


def locate(ctx: Context, query: Query) -> Located:
    frame = query.frame()
    located = Located()
    for version in ctx.keys.versions:
        row = pseudonyms(frame, ctx.keys.at(version)).row(0, named=True)
        if query.bsn and row["persoon_pseudoniem"]:
            located.persons.add(row["persoon_pseudoniem"])
        if not query.bsn and row["huishouden_pseudoniem"]:
            located.households.add(row["huishouden_pseudoniem"])
    located.records = ctx.vault.index(persons=located.persons, households=located.households)
    return located


def current_tokens(ctx: Context, query: Query, located: Located) -> list[str]:
    tokens = located.tokens()
    if tokens:
        return tokens
    row = pseudonyms(query.frame(), ctx.keys).row(0, named=True)
    own = row["persoon_pseudoniem"] if query.bsn else row["huishouden_pseudoniem"]
    return [own] if own else []


# ------------------------------------------------------------------------------------------------
# The archive: originals in which the person appears (also in quarantined rows)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveHit:
    sha256: str
    path: Path
    deliveries: tuple[str, ...]
    filenames: tuple[str, ...]
    partner_id: str
    received_at: dt.datetime
    rows: int


def archive_matches(ctx: Context, query: Query, people: list[dict] | None = None) -> tuple[
        list[ArchiveHit], int]:
    """Archived originals with a row about the person: (hits, files that could not be read).

    A row matches on the BSN; or on the address (with the surname when one is given); or, with
    `people` (decrypted vault records of the person), on the address and surname of any of them,
    which also finds the person in a partner's file that carries no BSN. Parsing happens in memory
    only; nothing about the rows is kept but their count.
    """
    keys: set[tuple[str, str, str, str | None]] = set()
    addr = query.address_key()
    if addr:
        keys.add((*addr, query.achternaam.lower() if query.achternaam else None))
    for person in people or []:
        if person.get("postcode") and person.get("huisnummer") and person.get("achternaam"):
            addition = person.get("toevoeging_sleutel")
            if addition is None:
                addition = Query(postcode=person["postcode"], huisnummer=person["huisnummer"],
                                 toevoeging=person.get("huisnummertoevoeging") or ""
                                 ).address_key()[2]
            keys.add((person["postcode"], person["huisnummer"], addition,
                      person["achternaam"].lower()))
    bsns = {query.bsn} if query.bsn else set()
    bsns |= {p["bsn"] for p in people or [] if p.get("bsn")}

    with db.session(ctx.database_url) as s:
        deliveries = s.execute(
            select(Delivery.id, Delivery.sha256, Delivery.filename, Delivery.partner_id,
                   Delivery.received_at, Delivery.archive_path)
            .where(Delivery.gemeente == ctx.gemeente, Delivery.archive_path.is_not(None))
            .order_by(Delivery.received_at)).all()
    by_digest: dict[str, list] = {}
    for d in deliveries:
        by_digest.setdefault(d.sha256, []).append(d)
    hits: list[ArchiveHit] = []
    unreadable = 0
    for digest, group in by_digest.items():
        first = group[0]
        path = archive.archive_path(ctx.home.archive_dir(ctx.gemeente), digest)
        if not path.exists():
            continue
        try:
            data = archive.load(path, ctx.keys)
            partner = (standard_partner() if first.partner_id == STANDARD_PARTNER_ID
                       else ctx.municipality.partner(first.partner_id))
            table = connectors.read_table(data, first.filename, partner)
            mapped = connectors.map_to_standard(table, partner, first.filename,
                                                ctx.municipality.partners)
            parsed = connectors.parse(mapped, ctx.municipality)
        except (DeliveryError, Exception):
            unreadable += 1
            continue
        rows = parsed.select(
            pl.col("bsn_p"), pl.col("postcode_p"), pl.col("huisnummer_p"),
            pl.col("toevoeging_p").fill_null(""), pl.col("achternaam").str.to_lowercase(),
        ).iter_rows()
        matched = 0
        for bsn, postcode, number, addition, surname in rows:
            if (bsn and bsn in bsns) or (postcode, number, addition, surname) in keys or (
                    (postcode, number, addition, None) in keys):
                matched += 1
        if matched:
            hits.append(ArchiveHit(digest, path, tuple(d.id for d in group),
                                   tuple(sorted({d.filename for d in group})), first.partner_id,
                                   first.received_at, matched))
    return hits, unreadable


def list_files(ctx: Context, publication: Publication) -> tuple[Path, Path]:
    """Where a published list's CSV and XLSX are now: in this home's outbox (the paths recorded
    at publication may point to where VROEG_HOME was then, e.g. before a restore elsewhere)."""
    return published_paths(ctx.home.outbox_dir(ctx.gemeente), publication)


#: The columns of an opened vault record that are the software's, not the resident's: left out
#: of what a privacy officer is shown.
INTERNAL_COLUMNS = {"signaal_pseudoniem", "persoon_pseudoniem", "toevoeging_sleutel"}


def households_of(ctx: Context, records: list[dict]) -> set[str]:
    """The household pseudonyms of opened records under every key version (to find audit lines
    written before a key rotation)."""
    if not records:
        return set()
    frame = records_frame(records)
    out: set[str] = set()
    for version in ctx.keys.versions:
        out.update(h for h in pseudonyms(frame, ctx.keys.at(version))["huishouden_pseudoniem"]
                   if h)
    return out
