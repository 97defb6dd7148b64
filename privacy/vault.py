"""The identity vault: per signal, who and where, sealed with AES-GCM and keyed by pseudonym.

The vault is a database of its own (SQLite file by default, any SQLAlchemy URL in production), apart
from the warehouse and the operational database. Rows are found by pseudonym (household, person,
signal); their content is only readable with the vault key, and each ciphertext is bound to its
row's pseudonym and key version (AEAD associated data), so rows cannot be swapped.

Re-identification is the one way out, `Vault.reidentify`, and it writes one audit line per
household before it returns anything.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from functools import cache

import polars as pl
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column, DateTime, Engine, Integer, LargeBinary, MetaData, String, Table, create_engine, select,
)

from privacy.audit import Audit
from privacy.keys import KeyRing
from privacy.pseudonymise import IDENTITY_COLUMNS

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

_CHUNK = 5000


@cache
def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        os.makedirs(os.path.dirname(path), exist_ok=True)
    eng = create_engine(url, future=True)
    # The vault's one table is created here; it has no history of migrations yet.
    metadata.create_all(eng)
    return eng


def _json_default(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class Vault:
    def __init__(self, url: str, keys: KeyRing):
        self._engine = _engine(url)
        self._aead = AESGCM(keys.derive("kluis"))
        self._gemeente = keys.gemeente

    def _aad(self, signal: str, version: int) -> bytes:
        return f"{self._gemeente}|{signal}|{version}".encode()

    def seal(self, signal: str, version: int, identity: dict) -> bytes:
        nonce = os.urandom(12)
        plain = json.dumps(identity, default=_json_default, ensure_ascii=False).encode()
        return nonce + self._aead.encrypt(nonce, plain, self._aad(signal, version))

    def open(self, signal: str, version: int, sealed: bytes) -> dict:
        plain = self._aead.decrypt(sealed[:12], sealed[12:], self._aad(signal, version))
        return json.loads(plain)

    def store(self, frame: pl.DataFrame) -> int:
        """Seal and upsert the identities of a batch of signals; returns the number stored."""
        if frame.is_empty():
            return 0
        now = dt.datetime.now(dt.UTC)
        rows = []
        for record in frame.iter_rows(named=True):
            signal, version = record["signaal_pseudoniem"], record["sleutelversie"]
            identity = {c: record[c] for c in IDENTITY_COLUMNS}
            rows.append({
                "signaal_pseudoniem": signal,
                "huishouden_pseudoniem": record["huishouden_pseudoniem"],
                "persoon_pseudoniem": record["persoon_pseudoniem"],
                "sleutelversie": version,
                "verzegeld": self.seal(signal, version, identity),
                "opgeslagen": now,
            })
        with self._engine.begin() as connection:
            for start in range(0, len(rows), _CHUNK):
                connection.execute(self._upsert(), rows[start:start + _CHUNK])
        return len(rows)

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
                   parent: str | None = None, **attributes) -> dict[str, list[dict]]:
        """Identities per household pseudonym; one audit line per household, written first."""
        wanted = sorted(set(households))
        if not wanted:
            return {}
        audit.subjects("heridentificatie", trace_id, parent, wanted, doel=purpose, **attributes)
        found: dict[str, list[dict]] = {h: [] for h in wanted}
        with self._engine.connect() as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start:start + _CHUNK]
                result = connection.execute(
                    select(identities).where(identities.c.huishouden_pseudoniem.in_(chunk))
                )
                for row in result.mappings():
                    identity = self.open(row["signaal_pseudoniem"], row["sleutelversie"],
                                         row["verzegeld"])
                    identity["signaal_pseudoniem"] = row["signaal_pseudoniem"]
                    found[row["huishouden_pseudoniem"]].append(identity)
        return found

    def count(self) -> int:
        from sqlalchemy import func

        with self._engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(identities)).scalar_one()
