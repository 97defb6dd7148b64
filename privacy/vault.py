"""The identity vault: per signal, who and where, sealed with AES-GCM and keyed by pseudonym.

The vault is a database of its own (SQLite file by default, any SQLAlchemy URL in production), apart
from the warehouse and the operational database. Rows are found by pseudonym (household, person,
signal); their content is only readable with the vault key, and each ciphertext is bound to its
row's pseudonym and key version (AEAD associated data), so rows cannot be swapped.

Re-identification is the one way out, `Vault.reidentify`, and it writes one audit line per
data subject before it decrypts anything. It is called only to publish a visit list
(publishing/publish.py), to answer a subject-access request or erasure request
(governance/subject.py, governance/erasure.py), and by a privacy officer's explicit
`vroeg reidentify`.
Everything else sees pseudonyms only (`index`, `delete_signals`, `count`).

Deleted rows are overwritten on disk (SQLite `secure_delete`), so an erased or expired identity
does not linger in free pages of the vault file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

import polars as pl
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    event,
    func,
    select,
)

from privacy.audit import Audit
from privacy.keys import KeyRing
from privacy.pseudonymise import IDENTITY_COLUMNS, REKEY_COLUMNS
from vroeg.opsdb import db
from vroeg.stores import Store

metadata = MetaData()
identities = Table(
    "identiteiten",
    metadata,
    Column("signaal_pseudoniem", String(64), primary_key=True),
    Column("huishouden_pseudoniem", String(64), nullable=False, index=True),
    Column("persoon_pseudoniem", String(64), nullable=False, index=True),
    Column("sleutelversie", Integer, nullable=False),
    Column("verzegeld", LargeBinary, nullable=False),
    Column("opgeslagen", DateTime(timezone=True), nullable=False),
)

#: While a key rotation runs: which old pseudonyms became which new ones (pseudonyms only).
#: The warehouse step applies it; it is emptied when the rotation is finished.
rekey_map = Table(
    "sleutelrotatie",
    metadata,
    Column("oud_signaal", String(64), primary_key=True),
    Column("nieuw_signaal", String(64), nullable=False),
    Column("oud_huishouden", String(64), nullable=False),
    Column("nieuw_huishouden", String(64), nullable=False),
    Column("oud_persoon", String(64), nullable=False),
    Column("nieuw_persoon", String(64), nullable=False),
    Column("naar_versie", Integer, nullable=False),
)

_CHUNK = 5000
#: A batch at least 1/_REBUILD_SHARE of the vault's rows is stored with the secondary indexes
#: dropped and built again after it (see Vault._store_sqlite; figures in docs/benchmark.md).
_REBUILD_SHARE = 4

#: The columns that find a record, before its sealed identity.
_KEY_COLUMNS = ("signaal_pseudoniem", "huishouden_pseudoniem", "persoon_pseudoniem",
                "sleutelversie")
#: The columns `store` writes, in the order of its rows.
_STORED_COLUMNS = ("signaal_pseudoniem", "huishouden_pseudoniem", "persoon_pseudoniem",
                   "sleutelversie", "verzegeld", "opgeslagen")
#: The upsert on SQLite, as the sqlite3 driver takes it: a re-sent signal replaces its identity
#: snapshot (the newest address and phone win), as Vault._upsert does on other databases.
_SQLITE_UPSERT = (
    f"INSERT INTO identiteiten ({', '.join(_STORED_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (signaal_pseudoniem) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _STORED_COLUMNS[1:]))
#: SQLite page cache of a vault connection, in KiB.
_CACHE_KIB = 256 * 1024


@cache
def _engine(url: str) -> Engine:
    # The vault keeps the rollback journal: it is written in bulk by one flow at a time.
    eng = db.create(url, wal=False, foreign_keys=False, store=Store.VAULT)
    if eng.dialect.name == "sqlite":
        @event.listens_for(eng, "connect")
        def _page_cache(dbapi_connection, _record):  # pragma: no cover - trivial
            # A delivery's identities are upserted into three indexes (signal, household,
            # person pseudonyms) at random places; with SQLite's default 2 MB page cache that
            # spills to disk over and over. 256 MB is a ceiling, not an allocation.
            dbapi_connection.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
    # The vault's tables are created here; they have no history of migrations yet.
    metadata.create_all(eng)
    # create_all leaves an existing table's indexes alone; a bulk store drops and rebuilds the
    # secondary ones in one transaction, so they are there, but a vault is never left without.
    with eng.begin() as connection:
        for index in identities.indexes:
            index.create(connection, checkfirst=True)
    return eng


def _json_default(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


#: Column types polars encodes as JSON exactly as `seal` (json.dumps) does.
_JSON_TYPES = (pl.String, pl.Date, pl.Boolean, pl.Null, pl.Int8, pl.Int16, pl.Int32, pl.Int64,
               pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def _identity_json(frame: pl.DataFrame) -> list[str]:
    """Each row as the JSON object `seal` would make of it (dates as ISO text, nulls as null).

    Vectorised by polars where every column has a type it encodes the same way; otherwise
    (a datetime, say) row by row with json.dumps, so the sealed content never depends on the path.
    """
    if all(dtype in _JSON_TYPES for dtype in frame.dtypes):
        return frame.select(pl.struct(pl.all()).struct.json_encode()).to_series().to_list()
    return [json.dumps(record, default=_json_default, ensure_ascii=False)
            for record in frame.iter_rows(named=True)]


def _prepared(frame: pl.DataFrame) -> pl.DataFrame:
    """The pseudonyms, key version and identity columns of each row, in the order they are
    stored: by signal pseudonym, so the primary key's index grows in order instead of at
    random places, which spares the database most of its page splits."""
    carried = [*IDENTITY_COLUMNS, *(c for c in REKEY_COLUMNS if c in frame.columns)]
    return frame.select(*_KEY_COLUMNS, *carried).sort(
        "signaal_pseudoniem", maintain_order=True)  # a repeat: the last wins


class Vault:
    def __init__(self, url: str, keys: KeyRing):
        self._engine = _engine(url)
        self._keys = keys
        self._aeads: dict[int, AESGCM] = {}
        self._gemeente = keys.gemeente

    @property
    def engine(self) -> Engine:
        return self._engine

    def _aead(self, version: int) -> AESGCM:
        # Each row names the key version it was sealed with; any version the ring knows opens.
        if version not in self._aeads:
            self._aeads[version] = AESGCM(self._keys.at(version).derive("kluis"))
        return self._aeads[version]

    def _aad(self, signal: str, version: int) -> bytes:
        return f"{self._gemeente}|{signal}|{version}".encode()

    def seal(self, signal: str, version: int, identity: dict) -> bytes:
        plain = json.dumps(identity, default=_json_default, ensure_ascii=False).encode()
        return self._seal_plain(signal, version, plain, os.urandom(12))

    def _seal_plain(self, signal: str, version: int, plain: bytes, nonce: bytes) -> bytes:
        """The sealed form: a fresh 12-byte nonce, then AES-GCM bound to signal and key version."""
        return nonce + self._aead(version).encrypt(nonce, plain, self._aad(signal, version))

    def open(self, signal: str, version: int, sealed: bytes) -> dict:
        plain = self._aead(version).decrypt(sealed[:12], sealed[12:], self._aad(signal, version))
        return json.loads(plain)

    def store(self, frame: pl.DataFrame) -> int:
        """Seal and upsert the identities of a batch of signals; returns the number stored.

        In bulk: the identities are encoded as JSON by polars (one vectorised pass, no dict per
        row), each is sealed with AES-GCM under its own random nonce and bound to its pseudonym
        and key version, and the rows go to the database as one executemany per chunk, all in
        one transaction.
        """
        if frame.is_empty():
            return 0
        keys = _prepared(frame)
        with self._engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                self._store_sqlite(connection, keys)
            else:
                self._store_other(connection, keys)
        return keys.height

    def _sealed_rows(self, keys: pl.DataFrame, stored: object) -> Iterable[list[tuple]]:
        """(signal, household, person, version, sealed, stored) per row, in chunks of _CHUNK:
        the identities are encoded as JSON (by polars, one vectorised pass per chunk) and
        sealed a chunk at a time, so those of a large batch are never all in memory at once.
        Each is `_seal_plain` of its row (own nonce, bound to signal and key version), written
        out here: per row it is the bulk of the step's Python work."""
        prefix = f"{self._gemeente}|"
        for offset in range(0, keys.height, _CHUNK):
            part = keys.slice(offset, _CHUNK)
            plains = _identity_json(part.drop(_KEY_COLUMNS))
            nonces = os.urandom(12 * part.height)  # one system call per chunk
            signals, households, persons, versions = (part.get_column(c).to_list()
                                                      for c in _KEY_COLUMNS)
            rows = []
            append = rows.append
            for i, (signal, household, person, version, plain) in enumerate(zip(
                    signals, households, persons, versions, plains, strict=True)):
                nonce = nonces[12 * i:12 * i + 12]
                sealed = nonce + self._aead(version).encrypt(
                    nonce, plain.encode(), f"{prefix}{signal}|{version}".encode())
                append((signal, household, person, version, sealed, stored))
            yield rows

    def _store_sqlite(self, connection, keys: pl.DataFrame) -> None:
        """The upsert through the sqlite3 driver itself, with a column list; the timestamp is
        converted to text once (the same for every row).

        A batch that is large next to the vault is inserted with only the primary key in place
        and the two secondary indexes (household, person) are built again after it, in the same
        transaction: SQLite builds an index from sorted keys in one pass, while inserting into it
        row by row at random pseudonyms costs a page split here and there for every row.
        """
        with db.driver_errors(Store.VAULT):
            self._store_sqlite_raw(connection, connection.connection.driver_connection, keys)

    def _store_sqlite_raw(self, connection, raw, keys: pl.DataFrame) -> None:
        if not raw.in_transaction:
            # The sqlite3 module opens a transaction only before the first INSERT: the indexes
            # must be dropped inside it, so that a failed batch leaves them as they were.
            raw.execute("BEGIN")
        # The text the sqlite3 driver's datetime adapter made of the timestamp row by row (what
        # earlier batches stored, read back as an aware time), made once for the batch.
        stored = dt.datetime.now(dt.UTC).isoformat(" ")
        rebuild = keys.height * _REBUILD_SHARE >= (
            raw.execute("SELECT coalesce(max(rowid), 0) FROM identiteiten").fetchone()[0])
        if rebuild:
            for index in identities.indexes:
                raw.execute(f'DROP INDEX IF EXISTS "{index.name}"')  # our own constant names
        for chunk in self._sealed_rows(keys, stored):
            raw.executemany(_SQLITE_UPSERT, chunk)
        if rebuild:
            for index in identities.indexes:
                index.create(connection, checkfirst=True)

    def _store_other(self, connection, keys: pl.DataFrame) -> None:
        # The upsert compiled once and sent to the driver as one executemany per chunk of
        # plain tuples: SQLAlchemy's per-value processing cost more than the insert itself.
        compiled = self._upsert().compile(dialect=connection.dialect)
        stored = dt.datetime.now(dt.UTC)  # the driver takes it as it is (PostgreSQL)
        names = list(compiled.positiontup) if compiled.positional else None
        for chunk in self._sealed_rows(keys, stored):
            rows = [dict(zip(_STORED_COLUMNS, row, strict=True)) for row in chunk]
            connection.exec_driver_sql(
                compiled.string, [tuple(r[n] for n in names) for r in rows] if names else rows)

    def _upsert(self):
        dialect = self._engine.dialect.name
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:  # pragma: no cover - other databases are not supported for the vault
            raise RuntimeError(f"vault on {dialect} is not supported")
        stmt = insert(identities)
        # A re-sent signal replaces its identity snapshot: the newest address and phone win.
        return stmt.on_conflict_do_update(
            index_elements=["signaal_pseudoniem"],
            set_={c: stmt.excluded[c] for c in
                  ("huishouden_pseudoniem", "persoon_pseudoniem", "sleutelversie", "verzegeld",
                   "opgeslagen")},
        )

    def reidentify(self, households: Iterable[str], *, purpose: str, audit: Audit, trace_id: str,
                   parent: str | None = None, persons: Iterable[str] | None = None,
                   signals: Iterable[str] | None = None,
                   **attributes) -> dict[str, list[dict]]:
        """Identities per household pseudonym; one audit line per data subject, written first.

        Without `persons` every record of the households is returned and the subject of each
        audit line is the household. With `persons` (a subject-access or erasure request) only
        those persons' records are returned and each line's subject is "<person>@<household>".
        With `signals` (publishing a list) only the records of those signals are decrypted and
        returned: a household's older signals stay sealed. The audit lines are the same.
        """
        wanted = sorted(set(households))
        if not wanted:
            return {}
        only = set(persons) if persons is not None else None
        chosen = set(signals) if signals is not None else None
        if only is None:
            audit.subjects("heridentificatie", trace_id, parent, wanted, doel=purpose, **attributes)
        else:
            pairs = sorted({subject_token(r.persoon, r.huishouden)
                            for r in self.index(households=wanted)
                            if r.persoon in only})
            if not pairs:
                return {h: [] for h in wanted}
            audit.subjects("heridentificatie", trace_id, parent, pairs, doel=purpose,
                           **attributes)
        found: dict[str, list[dict]] = {h: [] for h in wanted}
        for signal, household, person, version, sealed in self._sealed_of_households(wanted):
            if only is not None and person not in only:
                continue
            if chosen is not None and signal not in chosen:
                continue
            identity = self.open(signal, version, sealed)
            identity["signaal_pseudoniem"] = signal
            identity["persoon_pseudoniem"] = person
            found[household].append(identity)
        return found

    def _sealed_of_households(self, households: list[str]) -> Iterator[tuple]:
        """(signal, household, person, key version, sealed) of every record of the households.

        On SQLite through the sqlite3 driver: SQLAlchemy's row objects cost more than the
        lookups when a list of thousands of households is published.
        """
        columns = (identities.c.signaal_pseudoniem, identities.c.huishouden_pseudoniem,
                   identities.c.persoon_pseudoniem, identities.c.sleutelversie,
                   identities.c.verzegeld)
        with self._engine.connect() as connection:
            raw = (connection.connection.driver_connection
                   if connection.dialect.name == "sqlite" else None)
            for start in range(0, len(households), _CHUNK):
                chunk = households[start:start + _CHUNK]
                if raw is not None:
                    with db.driver_errors(Store.VAULT):
                        rows = raw.execute(
                            f"SELECT {', '.join(c.name for c in columns)} FROM identiteiten "
                            f"WHERE huishouden_pseudoniem IN ({', '.join('?' * len(chunk))})",
                            chunk).fetchall()  # only placeholders are formatted in; values bound
                    yield from rows
                else:
                    yield from connection.execute(
                        select(*columns).where(identities.c.huishouden_pseudoniem.in_(chunk)))

    def index(self, *, persons: Iterable[str] = (), households: Iterable[str] = (),
              signals: Iterable[str] = ()) -> list[IndexRow]:
        """Pseudonyms of the records matching any of the given pseudonyms; nothing decrypted."""
        persons, households, signals = list(persons), list(households), list(signals)
        out: list[IndexRow] = []
        with self._engine.connect() as connection:
            for column, values in ((identities.c.persoon_pseudoniem, persons),
                                   (identities.c.huishouden_pseudoniem, households),
                                   (identities.c.signaal_pseudoniem, signals)):
                for start in range(0, len(values), _CHUNK):
                    rows = connection.execute(
                        select(identities.c.signaal_pseudoniem, identities.c.huishouden_pseudoniem,
                               identities.c.persoon_pseudoniem, identities.c.sleutelversie,
                               identities.c.opgeslagen)
                        .where(column.in_(values[start:start + _CHUNK]))
                    ).all()
                    out.extend(IndexRow(*row) for row in rows)
        unique = {r.signaal: r for r in out}
        return sorted(unique.values(), key=lambda r: r.signaal)

    def all_index(self) -> list[IndexRow]:
        """The pseudonyms of every record (for retention: which to keep, which to destroy)."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(identities.c.signaal_pseudoniem, identities.c.huishouden_pseudoniem,
                       identities.c.persoon_pseudoniem, identities.c.sleutelversie,
                       identities.c.opgeslagen)
            ).all()
        return [IndexRow(*row) for row in rows]

    def delete_signals(self, signals: Iterable[str]) -> int:
        """Destroy the records of these signals (irreversibly: secure_delete); returns the count."""
        wanted = sorted(set(signals))
        deleted = 0
        with self._engine.begin() as connection:
            for start in range(0, len(wanted), _CHUNK):
                deleted += connection.execute(
                    delete(identities).where(
                        identities.c.signaal_pseudoniem.in_(wanted[start:start + _CHUNK]))
                ).rowcount
        return deleted

    def count(self) -> int:
        with self._engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(identities)).scalar_one()

    def count_by_version(self) -> dict[int, int]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(identities.c.sleutelversie, func.count())
                .group_by(identities.c.sleutelversie)
            ).all()
        return {int(v): int(n) for v, n in rows}


@dataclass(frozen=True)
class IndexRow:
    """One vault record's pseudonyms: what can be known about it without decrypting."""

    signaal: str
    huishouden: str
    persoon: str
    sleutelversie: int
    opgeslagen: dt.datetime


def subject_token(person: str, household: str) -> str:
    """The data-subject id of a person-level audit line: "<person>@<household>"."""
    return f"{person}@{household}"
