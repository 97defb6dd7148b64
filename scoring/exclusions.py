"""Exclusion lists a municipality supplies, loaded into the warehouse as pseudonyms only.

A list (deceased, moved away, already in debt help, safety list, closed with "hoeft geen hulp")
names residents or addresses. Its file holds personal data, so it is pseudonymised on load with
the same keyed HMAC as the signals, and only the pseudonyms (with dates) are kept; the clear file
is not archived. A list is always supplied whole: loading it replaces the previous version.

File format (`;` or `,` separated, UTF-8, header row; docs/scoring.md "Uitsluitingen"):

    bsn;achternaam;voornamen;geboortedatum;postcode;huisnummer;huisnummertoevoeging;datum;geldig_tot

Every column is optional, but each row needs a BSN, or a postcode and house number. A row is
matched as a person by BSN; without BSN, by surname, first initial, date of birth and address
(exactly how signals without BSN are pseudonymised); with only an address, as a household.
`datum` is the event (death, move, closing of a case), `geldig_tot` the last day it applies.

A list with any bad row is refused whole, with row numbers and no values: half a safety list is
worse than the previous one.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from connectors.parse import bsn as parse_bsn
from connectors.parse import elfproef, parse_date
from privacy.keys import KeyRing
from privacy.pseudonymise import Pseudonymiser, person_text
from scoring.warehouse import transaction
from sql import sql
from vroeg import address
from vroeg.config import ExclusionList, Municipality
from vroeg.errors import DeliveryError
from vroeg.opsdb.cases import NO_HELP_NEEDED, closed_cases

LIST_COLUMNS = ("bsn", "achternaam", "voornamen", "geboortedatum", "postcode", "huisnummer",
                "huisnummertoevoeging", "datum", "geldig_tot")
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y"]
#: Larger list files are refused (a municipality's BRP death register for a year is far smaller).
MAX_LIST_BYTES = 64 * 1024 * 1024
_MAX_MESSAGES = 10


class ExclusionListError(DeliveryError):
    """A list cannot be loaded; the message names the file, rows and columns, never a value.

    A DeliveryError, so that a flow step passes its (value-free) message on unscrubbed.
    """

    code = "LIJST_AFGEKEURD"


@dataclass(frozen=True)
class LoadedList:
    code: str
    #: Keyed MAC of the file (see file_mac), never a plain hash.
    mac: str
    filename: str
    persons: int
    addresses: int


def _refuse(filename: str, problems: list[str]) -> ExclusionListError:
    shown = "; ".join(problems[:_MAX_MESSAGES])
    more = f" (en nog {len(problems) - _MAX_MESSAGES})" if len(problems) > _MAX_MESSAGES else ""
    return ExclusionListError(f"{filename}: lijst niet geladen, de vorige versie blijft gelden. "
                              f"{shown}{more}.")


def _table(data: bytes, filename: str) -> pl.DataFrame:
    if len(data) > MAX_LIST_BYTES:
        raise _refuse(filename, [f"het bestand is groter dan {MAX_LIST_BYTES // 2**20} MB"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(filename, ["het bestand is geen UTF-8-tekst"]) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise _refuse(filename, ["het bestand is leeg; een lege lijst heeft wel een kopregel "
                                 "nodig"])
    delimiter = ";" if ";" in lines[0] else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = [h.strip().lower() for h in records[0]]
    unknown = [h for h in header if h not in LIST_COLUMNS]
    if unknown or len(set(header)) != len(header):
        raise _refuse(filename, [
            f"onbekende of dubbele kolommen ({', '.join(unknown) or 'dubbel'}); toegestaan zijn "
            f"{', '.join(LIST_COLUMNS)}"])
    if "bsn" not in header and not {"postcode", "huisnummer"} <= set(header):
        raise _refuse(filename, ["de lijst heeft een kolom bsn nodig, of postcode en huisnummer"])
    rows, numbers, problems = [], [], []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(f"rij {number}: {len(record)} velden in plaats van {len(header)}")
            continue
        values = {name: (cell.strip() or None) for name, cell in zip(header, record, strict=True)}
        rows.append([values.get(name) for name in LIST_COLUMNS])
        numbers.append(number)
    if problems:
        raise _refuse(filename, problems)
    frame = pl.DataFrame(rows, schema={name: pl.String for name in LIST_COLUMNS}, orient="row")
    return frame.with_columns(pl.Series("rij", numbers, dtype=pl.Int64))


def _parsed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        parse_bsn(pl.col("bsn")).alias("bsn_p"),
        address.postcode(pl.col("postcode")).alias("postcode_p"),
        address.house_number(pl.col("huisnummer")).alias("huisnummer_p"),
        address.addition(pl.col("huisnummer"), pl.col("huisnummertoevoeging"))
        .alias("toevoeging_p"),
        parse_date(pl.col("geboortedatum"), DATE_FORMATS).alias("geboortedatum_p"),
        parse_date(pl.col("datum"), DATE_FORMATS).alias("datum_p"),
        parse_date(pl.col("geldig_tot"), DATE_FORMATS).alias("geldig_tot_p"),
    ).with_columns(
        pl.when(pl.col("bsn_p").is_not_null()).then(elfproef(pl.col("bsn_p")))
        .otherwise(False).alias("bsn_ok"),
        (pl.col("postcode_p").is_not_null() & pl.col("huisnummer_p").is_not_null())
        .alias("adres_ok"),
    )


def _problems(parsed: pl.DataFrame) -> list[str]:
    checks = [
        (pl.col("bsn").is_not_null() & ~pl.col("bsn_ok"),
         "kolom bsn: geen 9 cijfers of voldoet niet aan de elfproef"),
        (pl.col("bsn").is_null() & ~pl.col("adres_ok"),
         "geen BSN en geen geldig adres (postcode 1234AB en huisnummer)"),
        (pl.col("postcode").is_not_null() & pl.col("postcode_p").is_null(),
         "kolom postcode: geen geldige postcode"),
        (pl.col("geboortedatum").is_not_null() & pl.col("geboortedatum_p").is_null(),
         "kolom geboortedatum: geen datum (JJJJ-MM-DD)"),
        (pl.col("datum").is_not_null() & pl.col("datum_p").is_null(),
         "kolom datum: geen datum (JJJJ-MM-DD)"),
        (pl.col("geldig_tot").is_not_null() & pl.col("geldig_tot_p").is_null(),
         "kolom geldig_tot: geen datum (JJJJ-MM-DD)"),
        (pl.col("geldig_tot_p") < pl.col("datum_p"), "geldig_tot ligt voor datum"),
    ]
    problems = []
    for condition, text in checks:
        for number in parsed.filter(condition)["rij"].to_list():
            problems.append((number, f"rij {number}: {text}"))
    return [text for _, text in sorted(problems)]


def read_list(data: bytes, filename: str, code: str, keys: KeyRing) -> pl.DataFrame:
    """The list's entries as pseudonyms: lijst, sleutelsoort, pseudoniem, sleutelversie, dates."""
    parsed = _parsed(_table(data, filename))
    problems = _problems(parsed)
    if problems:
        raise _refuse(filename, problems)
    p = Pseudonymiser(keys)
    household = address.household_key(pl.col("postcode_p"), pl.col("huisnummer_p"),
                                       pl.col("toevoeging_p"))
    texts = parsed.select(
        pl.col("bsn_p").alias("bsn"), pl.col("achternaam"), pl.col("voornamen"),
        pl.col("geboortedatum_p").alias("geboortedatum"), household.alias("_huishouden"),
        pl.col("datum_p").alias("datum"), pl.col("geldig_tot_p").alias("geldig_tot"),
    ).with_columns(
        # A person by BSN, or by name + date of birth + address as signals without BSN are;
        # an address alone is a household.
        pl.when(pl.col("bsn").is_not_null() | pl.col("achternaam").is_not_null())
        .then(pl.lit("persoon")).otherwise(pl.lit("huishouden")).alias("sleutelsoort"),
        person_text().alias("_persoon"),
    )
    persons = p.series("persoon", texts["_persoon"])
    households = p.series("huishouden", texts["_huishouden"])
    return texts.select(
        pl.lit(code).alias("lijst"),
        pl.col("sleutelsoort"),
        pl.when(pl.col("sleutelsoort") == "persoon").then(persons).otherwise(households)
        .alias("pseudoniem"),
        pl.lit(keys.version, dtype=pl.Int32).alias("sleutelversie"),
        pl.col("datum"),
        pl.col("geldig_tot"),
    )


def file_mac(data: bytes, keys: KeyRing) -> str:
    """Recognises an unchanged list file. Keyed, not a plain SHA-256: a list of one BSN has so
    few possible contents that a plain hash of the file would give the BSN away. Prefixed
    `mac_` so that it is never mistaken for a pseudonym (`k1_...`)."""
    tagged = Pseudonymiser(keys).one("lijstbestand", hashlib.sha256(data).hexdigest())
    return "mac_" + tagged.split("_", 1)[1]


def store_list(con: duckdb.DuckDBPyConnection, entries: pl.DataFrame, *, code: str, mac: str,
               filename: str, key_version: int, own_transaction: bool = True) -> LoadedList:
    """Replace one list's entries in the warehouse (in one transaction, or the caller's)."""
    persons = entries.filter(pl.col("sleutelsoort") == "persoon").height
    loaded = LoadedList(code, mac, filename, persons, entries.height - persons)
    params = {"lijst": code, "bestand_mac": mac, "bestand": filename, "personen": loaded.persons,
              "adressen": loaded.addresses, "sleutelversie": key_version,
              "nu": dt.datetime.now(dt.UTC)}

    def statements() -> None:
        con.execute(sql("exclusions/delete_entries"), {"lijst": code})
        con.execute(sql("exclusions/insert_entries"))
        con.execute(sql("exclusions/record_list"), params)

    if own_transaction:
        with transaction(con, staging=entries):
            statements()
    else:
        con.register("staging", entries.to_arrow())
        try:
            statements()
        finally:
            con.unregister("staging")
    return loaded


def load_file(con: duckdb.DuckDBPyConnection, path: Path, exclusion: ExclusionList, keys: KeyRing,
              *, own_transaction: bool = True) -> LoadedList:
    data = path.read_bytes()
    entries = read_list(data, path.name, exclusion.code, keys)
    return store_list(con, entries, code=exclusion.code, mac=file_mac(data, keys),
                      filename=path.name, key_version=keys.version,
                      own_transaction=own_transaction)


def from_cases(con: duckdb.DuckDBPyConnection, exclusion: ExclusionList, database_url: str,
               gemeente: str, keys: KeyRing, *, own_transaction: bool = True) -> LoadedList:
    """The list of households whose case was closed with "hoeft geen hulp" (the portal's cases).

    Cases are keyed by household pseudonym already; the closing date is the entry's date, and the
    list's valid_months decides for how long it keeps a household off the lists.
    """
    closed = closed_cases(database_url, gemeente, results=[NO_HELP_NEEDED])
    rows = sorted({(c.huishouden_pseudoniem, c.eindresultaat_op.date()) for c in closed})
    entries = pl.DataFrame(
        [{"lijst": exclusion.code, "sleutelsoort": "huishouden", "pseudoniem": pseudonym,
          "sleutelversie": keys.version, "datum": day, "geldig_tot": None}
         for pseudonym, day in rows],
        schema={"lijst": pl.String, "sleutelsoort": pl.String, "pseudoniem": pl.String,
                "sleutelversie": pl.Int32, "datum": pl.Date, "geldig_tot": pl.Date})
    digest = file_mac("\n".join(f"{p}|{d}" for p, d in rows).encode(), keys)
    return store_list(con, entries, code=exclusion.code, mac=digest, filename="casussen",
                      key_version=keys.version, own_transaction=own_transaction)


def purge_expired(con: duckdb.DuckDBPyConnection, municipality: Municipality, today: dt.date, *,
                  own_transaction: bool = True) -> int:
    """Drop entries that can no longer apply (expired, or of a list no longer configured)."""
    configured = pl.DataFrame(
        [{"lijst": x.code, "geldig_maanden": x.valid_months} for x in municipality.exclusions],
        schema={"lijst": pl.String, "geldig_maanden": pl.Int32})

    def statements() -> int:
        removed = con.execute(sql("exclusions/delete_expired"), {"vandaag": today}).fetchone()[0]
        con.execute(sql("exclusions/delete_unconfigured_lists"))
        return int(removed or 0)

    if own_transaction:
        with transaction(con, configured_lists=configured):
            return statements()
    con.register("configured_lists", configured.to_arrow())
    try:
        return statements()
    finally:
        con.unregister("configured_lists")


def loaded_lists(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    columns = ("lijst", "bestand_mac", "bestand", "personen", "adressen", "sleutelversie",
               "geladen_op")
    return {row[0]: dict(zip(columns, row, strict=True))
            for row in con.execute(sql("exclusions/list_status")).fetchall()}


def sync_configured(con: duckdb.DuckDBPyConnection, municipality: Municipality, config_dir: Path,
                    keys: KeyRing, *, own_transaction: bool = True,
                    database_url: str | None = None, today: dt.date | None = None) -> list[dict]:
    """Load every configured list file that changed since it was last loaded, and the lists fed
    by cases (with `database_url`); report each list.

    Returns one summary per configured list (counts, dates and statuses, no values). Raises
    ExclusionListError when a list file is bad, or a required list was never loaded or only
    under an earlier key (its pseudonyms no longer match any signal).
    """
    purge_expired(con, municipality, today or dt.date.today(), own_transaction=own_transaction)
    before = loaded_lists(con)
    report = []
    for exclusion in municipality.exclusions:
        status = "niet geladen"
        if exclusion.from_cases and database_url:
            from_cases(con, exclusion, database_url, municipality.code, keys,
                       own_transaction=own_transaction)
            status = "uit casussen"
        elif exclusion.file:
            path = config_dir / exclusion.file
            if path.is_file():
                mac = file_mac(path.read_bytes(), keys)
                current = before.get(exclusion.code)
                # A new key version gives another MAC: the list is pseudonymised again.
                if current and current["bestand_mac"] == mac:
                    status = "ongewijzigd"
                else:
                    load_file(con, path, exclusion, keys, own_transaction=own_transaction)
                    status = "geladen"
            elif exclusion.code in before:
                status = "eerder geladen"
        elif exclusion.code in before:
            status = "eerder geladen"
        report.append({"lijst": exclusion.code, "status": status})
    after = loaded_lists(con)
    for item in report:
        loaded = after.get(item["lijst"])
        if loaded and loaded["sleutelversie"] != keys.version:
            # Loaded before a key rotation and no file to load again: its pseudonyms are dead.
            item["status"] = "oude sleutel"
    missing = [x.code for x in municipality.exclusions if x.required and (
        x.code not in after or after[x.code]["sleutelversie"] != keys.version)]
    if missing:
        raise ExclusionListError(
            f"Verplichte uitsluitingslijst(en) {', '.join(missing)} nooit geladen of nog onder "
            "een oude sleutel; er wordt niets gepubliceerd. Laad ze (opnieuw) met "
            "'vroeg exclusions load'.")
    for item in report:
        loaded = after.get(item["lijst"])
        if loaded:
            item.update(personen=loaded["personen"], adressen=loaded["adressen"],
                        geladen_op=loaded["geladen_op"].isoformat(timespec="seconds"))
        elif item["status"] == "niet geladen":
            item.update(personen=0, adressen=0, geladen_op=None)
    return report
