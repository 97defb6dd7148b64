"""The operational database: migrations on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from tests.postgres import pg_schema_url  # noqa: F401 (fixture
from vroeg.opsdb import db
from vroeg.opsdb.models import Base, Delivery, QuarantineRecord

TABLES = {"deliveries", "quarantine", "validation_results", "runs", "publications", "audit_log"}


def _check(url: str) -> None:
    engine = db.engine(url)  # migrates to head
    names = set(inspect(engine).get_table_names())
    assert TABLES | {"alembic_version"} <= names
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"migrations must form one chain, found heads {heads}"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == heads[0]
    # The migration and the models agree: every model column exists in the migrated table.
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert {c.name for c in table.columns} <= columns, table.name
    db.migrate(engine)  # idempotent
    with db.session(url) as s:
        d = Delivery(id="d-1", gemeente="0080", partner_id="p", filename="f.csv", sha256="0" * 64,
                     size_bytes=1)
        d.quarantine.append(QuarantineRecord(row=2, reason="VERPLICHT_LEEG", column="achternaam",
                                             message="f.csv, rij 2: verplicht veld is leeg."))
        s.add(d)
    with db.session(url) as s:
        stored = s.scalars(select(Delivery)).one()
        assert stored.status == "ontvangen" and stored.quarantine[0].row == 2
        s.delete(stored)
    with db.session(url) as s:
        assert s.scalars(select(QuarantineRecord)).all() == []  # cascade


def test_migrations_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'ops.sqlite'}")


@pytest.mark.postgres
def test_migrations_on_postgresql(pg_schema_url):  # noqa: F811
    _check(pg_schema_url)


@pytest.mark.postgres
def test_vault_on_postgresql(pg_schema_url, monkeypatch, home):  # noqa: F811
    """The vault's upsert and re-identification work on PostgreSQL as on SQLite."""
    import datetime as dt

    import polars as pl

    from privacy.audit import Audit
    from privacy.keys import load_keys
    from privacy.vault import Vault

    keys = load_keys(home, "0080")
    vault = Vault(pg_schema_url, keys)
    identities = pl.DataFrame([{
        "signaal_pseudoniem": f"k1_s{i}", "huishouden_pseudoniem": "k1_h", "persoon_pseudoniem": "k1_p",
        "sleutelversie": 1, "signaal_id": f"S-{i}", "bsn": None, "voornamen": "Anna",
        "tussenvoegsel": None, "achternaam": "Testpersoon", "geboortedatum": dt.date(1980, 1, 1),
        "straatnaam": "Proefstraat", "postcode": "8911AB", "huisnummer": "1",
        "huisnummertoevoeging": None, "woonplaats": "Leeuwarden", "telefoon": None, "email": None,
    } for i in range(3)])
    assert vault.store(identities) == 3
    assert vault.store(identities) == 3
    assert vault.count() == 3
    found = vault.reidentify(["k1_h"], purpose="test", audit=Audit(pg_schema_url, keys),
                             trace_id="t" * 32)
    assert sorted(i["signaal_id"] for i in found["k1_h"]) == ["S-0", "S-1", "S-2"]
