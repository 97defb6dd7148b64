"""Split each valid signal into pseudonymised facts (warehouse) and identity (vault).

Pseudonyms are keyed MACs (HMAC-SHA256 under the municipality's pseudonym key), not plain hashes:
a plain hash of a nine-digit BSN is brute-forced in seconds. Each pseudonym names its domain
(household, person, signal) in the MAC input, so equal text in two domains gives unrelated
pseudonyms, and carries its key version as a prefix ("k1_...") so a rotation can tell old from new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from privacy.keys import KeyRing
from vroeg import address
from vroeg.config.features import AGE_BANDS

#: Truncation to 128 bits: collisions stay negligible (birthday bound ~2^64 signals).
PSEUDONYM_BYTES = 16

#: Identity fields the vault keeps per signal. Everything else about a signal is a fact.
IDENTITY_COLUMNS = (
    "signaal_id", "bsn", "voornamen", "tussenvoegsel", "achternaam", "geboortedatum", "straatnaam",
    "postcode", "huisnummer", "huisnummertoevoeging", "woonplaats", "telefoon", "email",
)

#: What the warehouse receives: pseudonyms and facts, no identity.
FACT_COLUMNS = (
    "signaal_pseudoniem", "huishouden_pseudoniem", "persoon_pseudoniem", "sleutelversie",
    "partner_id", "partner_type", "signaaldatum", "ontstaansdatum", "bedrag_cent", "crisis",
    "wijkteam", "leeftijdsgroep", "uiterste_datum",
)


@dataclass
class Pseudonymised:
    facts: pl.DataFrame
    identities: pl.DataFrame


_BLOCK = 64  # SHA-256's block size in bytes


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104, section 2): the key (hashed
    first when longer than a block) padded with zeros to the block, XOR 0x36 and XOR 0x5C."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


class Pseudonymiser:
    def __init__(self, keys: KeyRing):
        self._key = keys.derive("pseudoniem")
        self.version = keys.version
        self._prefix = f"k{keys.version}_"
        # HMAC's two padded-key blocks hashed once: per value only copies of the two pre-keyed
        # states are updated. The same MAC as hmac.digest (RFC 2104; a test compares them),
        # about twice as fast on short values (docs/benchmark.md).
        ipad, opad = hmac_pads(self._key)
        self._inner, self._outer = hashlib.sha256(ipad), hashlib.sha256(opad)

    def _mac(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def one(self, domain: str, value: str) -> str:
        mac = self._mac(f"{domain}\x1f{value}".encode())
        return self._prefix + mac[:PSEUDONYM_BYTES].hex()

    def series(self, domain: str, values: pl.Series) -> pl.Series:
        # A list comprehension over pre-keyed hashlib states is far faster than map_elements
        # and keeps the MAC a real HMAC (see bench/ for the figures).
        inner_state, outer_state = self._inner, self._outer
        prefix, tag = self._prefix, f"{domain}\x1f"
        out = []
        append = out.append
        for v in values.to_list():
            if v is None:
                append(None)
                continue
            inner = inner_state.copy()
            inner.update((tag + v).encode())
            outer = outer_state.copy()
            outer.update(inner.digest())
            append(prefix + outer.digest()[:PSEUDONYM_BYTES].hex())
        return pl.Series(values.name, out, dtype=pl.String)


def _age_group(birth: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Coarse age band at the signal date; the date of birth itself stays in the vault."""
    years = (on.dt.year() - birth.dt.year()) - (
        (on.dt.month() < birth.dt.month())
        | ((on.dt.month() == birth.dt.month()) & (on.dt.day() < birth.dt.day()))
    ).cast(pl.Int32)
    band = pl.when(birth.is_null()).then(None)
    # Each band up to where the next one starts; the last band has no end.
    for (name, _), (_, next_start) in zip(AGE_BANDS, AGE_BANDS[1:], strict=False):
        band = band.when(years < next_start).then(pl.lit(name))
    return band.otherwise(pl.lit(AGE_BANDS[-1][0]))


def person_text() -> pl.Expr:
    """Who a signal is about: the BSN where known, else name, date of birth and address."""
    by_bsn = pl.concat_str([pl.lit("bsn:"), pl.col("bsn")])
    by_name = pl.concat_str(
        [
            pl.lit("naam:"),
            pl.col("achternaam").str.to_lowercase(),
            pl.col("voornamen").fill_null("").str.to_lowercase().str.slice(0, 1),
            pl.col("geboortedatum").cast(pl.String).fill_null(""),
            pl.col("_huishouden"),
        ],
        separator="|",
    )
    return pl.when(pl.col("bsn").is_not_null()).then(by_bsn).otherwise(by_name)


#: What the vault keeps besides the identity, so that pseudonyms can be rebuilt from the vault
#: alone when the key is rotated (governance/rotation.py): the partner (part of the signal's
#: pseudonym) and the normalised house-number addition (part of the household's).
REKEY_COLUMNS = ("partner_id", "toevoeging_sleutel")


def pseudonym_texts(frame: pl.DataFrame) -> pl.DataFrame:
    """The clear text each pseudonym is a MAC of: `signaal`, `huishouden`, `persoon`.

    The one derivation of pseudonym inputs, used at ingestion (from clean rows) and at key
    rotation, subject access and erasure (from vault records or a person's BSN or address).
    Needs partner_id, signaal_id, postcode, huisnummer (normalised), toevoeging_sleutel, bsn,
    achternaam, voornamen, geboortedatum; a missing partner or signal id gives a null `signaal`.
    """
    return frame.select(
        pl.concat_str([pl.col("partner_id"), pl.col("signaal_id")], separator="|").alias("signaal"),
        address.household_key(pl.col("postcode"), pl.col("huisnummer"),
                              pl.col("toevoeging_sleutel")).alias("_huishouden"),
        *[pl.col(c) for c in ("bsn", "achternaam", "voornamen", "geboortedatum")],
    ).with_columns(person_text().alias("persoon")).select(
        "signaal", pl.col("_huishouden").alias("huishouden"), "persoon")


def records_frame(records: list[dict]) -> pl.DataFrame:
    """Opened vault records as the columns pseudonym_texts needs (all text, as sealed).

    Records sealed before the vault kept the normalised addition get it derived as the connectors
    derive it (vroeg.address.addition).
    """
    columns = ("partner_id", "signaal_id", "postcode", "huisnummer", "huisnummertoevoeging",
               "toevoeging_sleutel", "bsn", "achternaam", "voornamen", "geboortedatum")
    frame = pl.DataFrame({c: [r.get(c) for r in records] for c in columns},
                         schema={c: pl.String for c in columns})
    return frame.with_columns(pl.coalesce(
        pl.col("toevoeging_sleutel"),
        address.addition(pl.col("huisnummer"), pl.col("huisnummertoevoeging")),
    ).alias("toevoeging_sleutel"))


def pseudonyms(frame: pl.DataFrame, keys: KeyRing) -> pl.DataFrame:
    """signaal_, huishouden_ and persoon_pseudoniem of each row, under `keys`."""
    p = Pseudonymiser(keys)
    texts = pseudonym_texts(frame)
    return pl.DataFrame([
        p.series("signaal", texts["signaal"]).alias("signaal_pseudoniem"),
        p.series("huishouden", texts["huishouden"]).alias("huishouden_pseudoniem"),
        p.series("persoon", texts["persoon"]).alias("persoon_pseudoniem"),
    ])


def pseudonymise(clean: pl.DataFrame, keys: KeyRing) -> Pseudonymised:
    """Facts with pseudonyms for the warehouse; identities keyed by the same pseudonyms."""
    with_ids = pl.concat([clean, pseudonyms(clean, keys)], how="horizontal").with_columns(
        pl.lit(keys.version, dtype=pl.Int32).alias("sleutelversie"),
        _age_group(pl.col("geboortedatum"), pl.col("signaaldatum")).alias("leeftijdsgroep"),
    )
    if "uiterste_datum" not in with_ids.columns:
        # An optional fact (issue 17), absent from frames built before it existed.
        with_ids = with_ids.with_columns(pl.lit(None, dtype=pl.Date).alias("uiterste_datum"))
    facts = with_ids.select(FACT_COLUMNS)
    identities = with_ids.select(
        "signaal_pseudoniem", "huishouden_pseudoniem", "persoon_pseudoniem", "sleutelversie",
        *IDENTITY_COLUMNS, *REKEY_COLUMNS,
    )
    return Pseudonymised(facts=facts, identities=identities)
