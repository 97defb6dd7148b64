"""The plain script the interactive commands are compared with (bench/interactive.py).

    python -m bench.plain FILE FOLDER

One process doing the same kind of work as `vroeg ingest` of a small delivery, written the way
one would without a pipeline: read the standard CSV with polars, three HMAC-SHA256 pseudonyms
per row, each identity sealed with AES-GCM under its own nonce, the facts into a DuckDB file and
the sealed identities into a SQLite file. The key comes from VROEG_KEY_0080 like the benchmark's
phases. Its imports are part of its time: it is started as a new process and timed from outside.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sqlite3
import sys
from pathlib import Path

import duckdb
import polars as pl
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

IDENTITY = ("signaal_id", "bsn", "voornamen", "tussenvoegsel", "achternaam", "geboortedatum",
            "straatnaam", "postcode", "huisnummer", "huisnummertoevoeging", "woonplaats",
            "telefoon", "email")


def main(csv_path: Path, folder: Path) -> int:
    master = base64.urlsafe_b64decode(os.environ["VROEG_KEY_0080"])
    mac_key = hashlib.sha256(b"pseudoniem" + master).digest()
    aead = AESGCM(hashlib.sha256(b"kluis" + master).digest())
    rows = pl.read_csv(csv_path, separator=";", infer_schema=False)
    texts = rows.select(
        pl.concat_str([pl.col("partner_naam"), pl.col("signaal_id")], separator="|")
        .alias("signaal"),
        pl.concat_str([pl.col("postcode"), pl.col("huisnummer"),
                       pl.col("huisnummertoevoeging").fill_null("")], separator="|")
        .alias("huishouden"),
        pl.coalesce(pl.col("bsn"), pl.col("achternaam")).alias("persoon"))

    def mac(domain: str, values: list[str]) -> list[str]:
        return [hmac.new(mac_key, f"{domain}\x1f{v}".encode(), "sha256").hexdigest()[:32]
                for v in values]

    signal, household, person = (mac(name, texts[name].to_list())
                                 for name in ("signaal", "huishouden", "persoon"))
    plains = rows.select(pl.struct(list(IDENTITY)).struct.json_encode()).to_series().to_list()
    sealed = []
    for s, text in zip(signal, plains, strict=True):
        nonce = os.urandom(12)
        sealed.append((s, nonce + aead.encrypt(nonce, text.encode(), s.encode())))
    facts = rows.select("partner_type", "signaaldatum", "bedrag", "crisis").with_columns(
        pl.Series("signaal", signal), pl.Series("huishouden", household),
        pl.Series("persoon", person))
    with duckdb.connect(str(folder / "warehouse.duckdb")) as con:
        con.register("facts_v", facts.to_arrow())
        con.execute("CREATE TABLE facts AS SELECT * FROM facts_v")
    with sqlite3.connect(folder / "vault.sqlite") as vault:
        vault.execute("CREATE TABLE identiteiten (signaal TEXT PRIMARY KEY, verzegeld BLOB)")
        vault.executemany("INSERT INTO identiteiten VALUES (?, ?)", sealed)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
