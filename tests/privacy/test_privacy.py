"""Keys, pseudonyms, the vault, the encrypted archive and the audit trail, each on its own."""

from __future__ import annotations

import base64
import datetime as dt
import os
import stat

import polars as pl
import pytest
from cryptography.exceptions import InvalidTag

from privacy import archive
from privacy.keys import KeyProblem, KeyRing, init_keys, load_keys
from privacy.pseudonymise import FACT_COLUMNS, IDENTITY_COLUMNS, Pseudonymiser, pseudonymise

# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------

def test_init_writes_a_private_key_file_and_never_overwrites(home):
    path = home.key_file("0080")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(KeyProblem, match="bestaat al"):
        init_keys(home, "0080")
    assert load_keys(home, "0080").version == 1


def test_world_readable_key_file_is_refused_with_the_fix(home):
    path = home.key_file("0080")
    os.chmod(path, 0o644)
    with pytest.raises(KeyProblem, match="chmod 600"):
        load_keys(home, "0080")


def test_missing_key_says_how_to_make_one(tmp_path):
    from vroeg.settings import Home

    with pytest.raises(KeyProblem, match="vroeg keys init"):
        load_keys(Home(tmp_path), "0080")


def test_key_from_environment_wins_and_is_checked(home, monkeypatch):
    monkeypatch.setenv("VROEG_KEY_0080", base64.urlsafe_b64encode(b"k" * 32).decode())
    assert load_keys(home, "0080").master == b"k" * 32
    monkeypatch.setenv("VROEG_KEY_0080", base64.urlsafe_b64encode(b"short").decode())
    with pytest.raises(KeyProblem, match="32 bytes"):
        load_keys(home, "0080")


def test_derived_keys_differ_per_purpose_and_municipality():
    a = KeyRing("0080", 1, b"m" * 32)
    b = KeyRing("0363", 1, b"m" * 32)
    derived = {a.derive(p) for p in ("pseudoniem", "kluis", "archief", "audit")}
    assert len(derived) == 4
    assert a.derive("pseudoniem") != b.derive("pseudoniem")
    assert KeyRing("0080", 2, b"m" * 32).derive("pseudoniem") != a.derive("pseudoniem")


# ---------------------------------------------------------------------------------------------
# Pseudonyms
# ---------------------------------------------------------------------------------------------

def test_pseudonym_is_a_keyed_mac_with_version_and_domain():
    import hashlib
    import hmac

    keys = KeyRing("0080", 1, b"s" * 32)
    p = Pseudonymiser(keys)
    value = p.one("persoon", "bsn:999990019")
    assert value.startswith("k1_") and len(value) == 3 + 32
    expected = hmac.new(keys.derive("pseudoniem"), b"persoon\x1fbsn:999990019", "sha256").digest()
    assert value == "k1_" + expected[:16].hex()
    # Not a plain hash: without the key the BSN cannot be tested against it.
    assert hashlib.sha256(b"bsn:999990019").hexdigest()[:32] != value[3:]
    assert p.one("huishouden", "bsn:999990019") != value  # domains separate
    assert Pseudonymiser(KeyRing("0080", 1, b"t" * 32)).one("persoon", "bsn:999990019") != value
    series = p.series("persoon", pl.Series(["bsn:999990019", None]))
    assert series.to_list() == [value, None]


def test_pre_keyed_pseudonyms_equal_the_standard_hmac_on_many_values():
    """The fast path hashes copies of the two pre-keyed states; it must give exactly what
    hmac.digest gives (else every pseudonym would change without a re-key)."""
    import hmac
    import random

    rng = random.Random(14)
    alphabet = "azAZ09 |\x1f-éüñâ€\u0000\U0001F600"
    values = ["", "a" * 200, "x\x1fy", "1234AB|12|", *(
        "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120)))
        for _ in range(3000))]
    for master in (b"s" * 32, bytes(range(32))):
        keys = KeyRing("0080", 3, master)
        key = keys.derive("pseudoniem")
        p = Pseudonymiser(keys)
        for domain in ("signaal", "huishouden", "persoon"):
            expected = ["k3_" + hmac.digest(key, f"{domain}\x1f{v}".encode(), "sha256")[:16].hex()
                        for v in values]
            assert p.series(domain, pl.Series(values)).to_list() == expected
            assert [p.one(domain, v) for v in values[:50]] == expected[:50]


def test_pseudonyms_of_repeated_values_are_those_of_each_value():
    """Households and persons are MACed once per distinct text and joined back: the same
    pseudonyms as one MAC per row, in the rows' order, a missing text still missing."""
    import random

    from privacy.pseudonymise import _per_distinct

    rng = random.Random(9)
    texts = ["bsn:999990019", "naam:vries|1980-01-01|8911ab|12|", "", "x\x1fy", "é€"]
    values = [rng.choice([*texts, None]) for _ in range(2000)]
    p = Pseudonymiser(KeyRing("0080", 2, b"s" * 32))
    for domain in ("huishouden", "persoon"):
        expected = p.series(domain, pl.Series(values)).to_list()
        assert _per_distinct(p, domain, pl.Series(values)).to_list() == expected
        assert _per_distinct(p, domain, pl.Series(texts)).to_list() == [
            p.one(domain, t) for t in texts]  # all distinct: the plain way


def test_hmac_pads_give_the_standard_hmac_for_short_and_long_keys():
    import hashlib
    import hmac

    from privacy.pseudonymise import hmac_pads

    for key in (b"", b"k" * 32, b"k" * 64, bytes(range(65)), b"z" * 200):
        ipad, opad = hmac_pads(key)
        inner = hashlib.sha256(ipad + b"bericht").digest()
        assert hashlib.sha256(opad + inner).digest() == hmac.digest(key, b"bericht", "sha256")


def _clean(**overrides) -> pl.DataFrame:
    base = {
        "partner_id": "wonen-fryslan", "signaal_id": "D-1", "partner_type": "Huur",
        "partner_naam": "Woongroep Fryslân", "signaaldatum": dt.date(2026, 10, 14),
        "ontstaansdatum": dt.date(2026, 8, 1), "bedrag_cent": 62000, "crisis": False,
        "bsn": "999990019", "voornamen": "Anna", "tussenvoegsel": "de", "achternaam": "Testpersoon",
        "geboortedatum": dt.date(1984, 3, 2), "straatnaam": "Proefstraat", "postcode": "8911AB",
        "huisnummer": "12", "toevoeging_sleutel": "A", "huisnummertoevoeging": "a",
        "woonplaats": "Leeuwarden", "telefoon": "0580000001", "email": None,
        "wijkteam": "wt-centrum", "bron_rij": 2,
    }
    rows = [dict(base, **o) for o in (overrides.get("rows") or [{}])]
    return pl.DataFrame(rows)


def test_pseudonymise_splits_facts_from_identity():
    keys = KeyRing("0080", 1, b"s" * 32)
    result = pseudonymise(_clean(rows=[
        {},
        {"signaal_id": "D-2", "bsn": None, "achternaam": "Ander", "partner_id": "energie-fryslan"},
        {"signaal_id": "D-3", "postcode": "8911AC"},
    ]), keys)
    facts, identities = result.facts, result.identities
    assert tuple(facts.columns) == FACT_COLUMNS
    assert set(IDENTITY_COLUMNS) <= set(identities.columns)
    # Nothing of the identity is in the facts.
    text = repr(facts.to_dicts())
    for value in ("Testpersoon", "999990019", "Proefstraat", "8911AB", "0580000001", "1984"):
        assert value not in text
    households = facts["huishouden_pseudoniem"].to_list()
    assert households[0] == households[1] != households[2]  # same address, other address
    persons = facts["persoon_pseudoniem"].to_list()
    assert persons[0] == persons[2]  # same BSN at two addresses: one person
    assert persons[0] != persons[1]
    assert facts["leeftijdsgroep"].to_list()[0] == "27-44"
    assert facts["signaal_pseudoniem"].n_unique() == 3
    assert facts["sleutelversie"].to_list() == [1, 1, 1]


# ---------------------------------------------------------------------------------------------
# Vault
# ---------------------------------------------------------------------------------------------

def test_vault_seals_identities_and_reidentifies_only_with_an_audit_line(ctx):
    from sqlalchemy import create_engine, text

    result = pseudonymise(_clean(rows=[{}, {"signaal_id": "D-2", "telefoon": "0580000002"}]),
                          ctx.keys)
    assert ctx.vault.store(result.identities) == 2
    assert ctx.vault.store(result.identities) == 2  # upsert: a re-sent signal is not doubled
    assert ctx.vault.count() == 2
    raw = create_engine(ctx.home.vault_url("0080")).connect()
    sealed = raw.execute(text("SELECT verzegeld FROM identiteiten")).scalars().all()
    raw.close()
    assert all(b"Testpersoon" not in blob and b"999990019" not in blob for blob in sealed)
    vault_file = ctx.home.root / "vault" / "0080.sqlite"
    assert b"Testpersoon" not in vault_file.read_bytes()

    household = result.facts["huishouden_pseudoniem"][0]
    found = ctx.vault.reidentify([household], purpose="test", audit=ctx.audit, trace_id="t" * 32)
    people = found[household]
    assert {p["telefoon"] for p in people} == {"0580000001", "0580000002"}
    assert people[0]["achternaam"] == "Testpersoon" and people[0]["geboortedatum"] == "1984-03-02"

    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine

    with db.session(ctx.database_url) as s:
        lines = s.scalars(select(AuditLine).where(AuditLine.name == "heridentificatie")).all()
    assert len(lines) == 1
    assert ctx.audit.decrypt_subject(lines[0].data_subject_id) == household
    assert lines[0].attributes == {"doel": "test"}


def test_vault_ciphertext_is_bound_to_its_row(ctx):
    sealed = ctx.vault.seal("k1_aaa", 1, {"achternaam": "X"})
    assert ctx.vault.open("k1_aaa", 1, sealed) == {"achternaam": "X"}
    with pytest.raises(InvalidTag):
        ctx.vault.open("k1_bbb", 1, sealed)  # moved to another signal's row


# ---------------------------------------------------------------------------------------------
# Archive
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 10, archive.CHUNK, archive.CHUNK + 1, 3 * archive.CHUNK])
def test_archive_round_trip_and_encryption(tmp_path, size):
    keys = KeyRing("0080", 1, b"a" * 32)
    data = (b"Testpersoon;999990019;" * (size // 22 + 1))[:size]
    digest, path = archive.store(tmp_path, data, keys)
    assert path.name == f"{digest}.bin"
    if size:
        assert b"Testpersoon" not in path.read_bytes()
    assert archive.load(path, keys) == data
    again_digest, again_path = archive.store(tmp_path, data, keys)
    assert (again_digest, again_path) == (digest, path)


def test_archive_detects_tampering_and_truncation(tmp_path):
    keys = KeyRing("0080", 1, b"a" * 32)
    _, path = archive.store(tmp_path, os.urandom(2 * archive.CHUNK + 5), keys)
    blob = bytearray(path.read_bytes())
    blob[40] ^= 1
    path.write_bytes(bytes(blob))
    with pytest.raises(InvalidTag):
        archive.load(path, keys)
    _, path2 = archive.store(tmp_path, b"x" * (2 * archive.CHUNK), keys)
    path2.write_bytes(path2.read_bytes()[: -(archive.CHUNK + 16)])  # drop the last chunk
    with pytest.raises(InvalidTag):
        archive.load(path2, keys)


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------

def test_audit_operation_records_status_and_attributes(ctx):
    from sqlalchemy import select

    from vroeg.opsdb import db
    from vroeg.opsdb.models import AuditLine

    with ctx.audit.operation("stap", "a" * 32, rijen=3) as op:
        op.attributes["klaar"] = True
    with pytest.raises(ValueError), ctx.audit.operation("stap-fout", "a" * 32):
        raise ValueError("boom")
    with db.session(ctx.database_url) as s:
        lines = {line.name: line for line in s.scalars(select(AuditLine)).all()}
    ok, failed = lines["stap"], lines["stap-fout"]
    assert (ok.status_code, failed.status_code) == (1, 2)
    assert ok.attributes == {"rijen": 3, "klaar": True}
    assert len(ok.trace_id) == 32 and len(ok.operation_id) == 16
    assert ok.processing_activity_id.startswith("urn:vroegsignalering:0080:")
    assert ok.end_time >= ok.start_time


def test_vault_bulk_json_is_what_seal_would_encode():
    """The vault encodes identities in one polars pass; each must decode to the same object that
    json.dumps (Vault.seal) makes of the row, with the row-by-row path for other column types."""
    import datetime as dt
    import json

    import polars as pl

    from privacy.vault import _identity_json, _json_default

    frame = pl.DataFrame({
        "achternaam": ["Zzcanaryqq \"x\"\n", None, "Fryslân ë"],
        "geboortedatum": [dt.date(1950, 1, 2), None, dt.date(2001, 12, 31)],
        "huisnummer": ["12", "3", None],
    })
    expected = [json.loads(json.dumps(r, default=_json_default, ensure_ascii=False))
                for r in frame.iter_rows(named=True)]
    assert [json.loads(text) for text in _identity_json(frame)] == expected
    stamped = frame.with_columns(pl.lit(dt.datetime(2026, 1, 1, 8, 30)).alias("moment"))
    assert [json.loads(t)["moment"] for t in _identity_json(stamped)] == ["2026-01-01T08:30:00"] * 3


def _vault_rows(vault) -> list[tuple]:
    """Every record of a vault: its pseudonyms, key version, the opened identity and the stored
    time's type, in pseudonym order."""
    from sqlalchemy import select

    from privacy.vault import identities

    with vault.engine.connect() as connection:
        rows = connection.execute(select(identities).order_by(
            identities.c.signaal_pseudoniem)).mappings().all()
    return [(r["signaal_pseudoniem"], r["huishouden_pseudoniem"], r["persoon_pseudoniem"],
             r["sleutelversie"], vault.open(r["signaal_pseudoniem"], r["sleutelversie"],
                                            r["verzegeld"]), type(r["opgeslagen"]))
            for r in rows]


def _vault_indexes(vault) -> set[str]:
    with vault.engine.connect() as connection:
        return {row[1] for row in connection.exec_driver_sql(
            "PRAGMA index_list('identiteiten')").all()}


def test_vault_bulk_store_on_sqlite_equals_the_generic_upsert(tmp_path):
    """The sqlite3 fast path (secondary indexes rebuilt after a large batch, or kept for a small
    one) stores exactly what the SQLAlchemy upsert used on other databases stores, upserts the
    same way, and leaves the indexes in place, also after a batch that fails half-way."""
    from privacy.vault import Vault, _prepared

    keys = KeyRing("0080", 1, b"v" * 32)
    rows = [{"signaal_id": f"D-{i}", "postcode": f"89{i % 7}1AB", "huisnummer": str(i % 5 + 1),
             "telefoon": f"05800000{i:02d}", "bsn": None if i % 3 else "999990019"}
            for i in range(40)]
    first = pseudonymise(_clean(rows=rows), keys).identities
    # A re-sent signal with a new phone number, and a new one, into a vault of 40: the small
    # batch keeps its indexes (1 * 4 < 40), the first batch rebuilt them (40 * 4 >= 0).
    again = pseudonymise(_clean(rows=[dict(rows[3], telefoon="0580999999"),
                                      {"signaal_id": "D-new"}]), keys).identities
    fast, generic = (Vault(f"sqlite:///{tmp_path / name}.sqlite", keys)
                     for name in ("fast", "generic"))
    expected_indexes = _vault_indexes(generic)
    assert {"ix_identiteiten_huishouden_pseudoniem",
            "ix_identiteiten_persoon_pseudoniem"} <= expected_indexes
    for batch in (first, again):
        assert fast.store(batch) == batch.height
        with generic.engine.begin() as connection:  # what Vault.store does on PostgreSQL
            generic._store_other(connection, _prepared(batch))
    assert _vault_rows(fast) == _vault_rows(generic)
    assert len(_vault_rows(fast)) == 41
    # The stored time reads back as the aware time earlier batches stored (the sqlite3
    # driver's own text for it).
    assert all(r.opgeslagen.tzinfo is not None for r in fast.all_index())
    assert _vault_indexes(fast) == expected_indexes
    changed = next(r for r in _vault_rows(fast) if r[4]["signaal_id"] == "D-3")
    assert changed[4]["telefoon"] == "0580999999"

    broken = pseudonymise(_clean(rows=[{"signaal_id": f"X-{i}"} for i in range(60)]),
                          keys).identities.with_columns(
        pl.when(pl.col("signaal_pseudoniem") == pl.col("signaal_pseudoniem").max())
        .then(None).otherwise(pl.col("huishouden_pseudoniem")).alias("huishouden_pseudoniem"))
    before = _vault_rows(fast)
    with pytest.raises(Exception, match="NOT NULL"):
        fast.store(broken)  # 60 * 4 >= 41: the rebuild path, failing at its last row
    assert _vault_rows(fast) == before
    assert _vault_indexes(fast) == expected_indexes


def test_frame_digest_is_the_csv_hash_computed_once_per_frame():
    import hashlib

    from privacy import audit

    frame = pl.DataFrame({"a": [1, 2, None], "b": ["x", "é", None],
                          "d": [dt.date(2026, 1, 2), None, dt.date(1999, 12, 31)]})
    expected = hashlib.sha256(frame.write_csv().encode()).hexdigest()
    assert audit.frame_sha256(frame) == expected
    assert audit._frame_digests[id(frame)][2] == expected  # remembered for the next step
    assert audit.frame_sha256(frame) == expected
    # Another frame with equal content has the same digest; a changed frame another.
    assert audit.frame_sha256(frame.clone()) == expected
    frame.insert_column(0, pl.Series("c", [0, 0, 0]))  # changed in place: hashed again
    assert audit.frame_sha256(frame) == hashlib.sha256(frame.write_csv().encode()).hexdigest()
    key = id(frame)
    del frame
    import gc

    gc.collect()
    assert key not in audit._frame_digests


@pytest.mark.postgres
def test_vault_on_postgresql_stores_and_reidentifies_what_sqlite_does(pg_schema_url, tmp_path,
                                                                      ctx):
    """Production's vault on PostgreSQL takes the generic upsert and the SQLAlchemy reads; both
    must give what the SQLite fast paths give."""
    from privacy.vault import Vault

    keys = ctx.keys
    rows = [{"signaal_id": f"P-{i}", "huisnummer": str(i % 3 + 1), "telefoon": f"05800001{i:02d}"}
            for i in range(12)]
    batch = pseudonymise(_clean(rows=rows), keys).identities
    resent = pseudonymise(_clean(rows=[dict(rows[0], telefoon="0580999999")]), keys).identities
    pg, lite = Vault(pg_schema_url, keys), Vault(f"sqlite:///{tmp_path / 'v.sqlite'}", keys)
    for vault in (pg, lite):
        assert vault.store(batch) == 12
        assert vault.store(resent) == 1
    assert [r[:5] for r in _vault_rows(pg)] == [r[:5] for r in _vault_rows(lite)]
    households = sorted(set(batch["huishouden_pseudoniem"].to_list()))
    # Per household in the databases' own order (publishing orders them itself): by signal here.
    found = [{h: sorted(records, key=lambda r: r["signaal_pseudoniem"]) for h, records in
              vault.reidentify(households, purpose="test", audit=ctx.audit,
                               trace_id="t" * 32).items()}
             for vault in (pg, lite)]
    assert found[0] == found[1]
    assert sum(len(v) for v in found[0].values()) == 12
