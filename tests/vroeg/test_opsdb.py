"""The operational database: migrations on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from vroeg.opsdb import db
from vroeg.opsdb.models import Base, Delivery, QuarantineRecord
from vroeg.opsdb.statuses import DeliveryStatus

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
        assert connection.execute(
            text("SELECT version_num FROM alembic_version")).scalar() == heads[0]
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
    _statuses(url)


def _delivery(id_: str, status: str) -> Delivery:
    return Delivery(id=id_, gemeente="0080", partner_id="p", filename="f.csv", sha256="0" * 64,
                    size_bytes=1, status=status)


def _statuses(url: str) -> None:
    """The status column takes every DeliveryStatus and refuses anything else (CHECK)."""
    with db.session(url) as s:
        s.add_all(_delivery(f"s-{status}", status) for status in DeliveryStatus)
    for wrong in ("verwerkt", "Geladen", "geweigerd", ""):
        with pytest.raises(IntegrityError, match="ck_deliveries_status|CHECK"), \
                db.session(url) as s:
            s.add(_delivery("s-wrong", wrong))
    with db.session(url) as s:
        assert sorted(s.scalars(select(Delivery.status))) == sorted(DeliveryStatus)
        loaded = s.get(Delivery, "s-geladen")
        loaded.status = "klaar"
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def _upgrade_keeps_the_quarantine(url: str) -> None:
    """Adding the check copies the deliveries table on SQLite: the rows that point to a delivery
    (quarantine, validation results; ON DELETE CASCADE) must survive the copy."""
    from alembic import command
    from alembic.config import Config

    engine = db.create(url)
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "i7_0001")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO deliveries (id, gemeente, partner_id, filename, sha256, size_bytes, "
            "received_at, status, rows_read, rows_loaded, rows_updated, rows_quarantined, "
            "rows_duplicate) VALUES ('d-old', '0080', 'p', 'f.csv', :sha, 1, :now, 'geladen', "
            "1, 0, 0, 1, 0)"), {"sha": "0" * 64, "now": "2026-10-01 12:00:00"})
        connection.execute(text("INSERT INTO quarantine (delivery_id, row, reason, message) "
                                "VALUES ('d-old', 2, 'VERPLICHT_LEEG', 'f.csv, rij 2')"))
    db.migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM quarantine")).scalar() == 1
        assert connection.execute(text("SELECT status FROM deliveries")).scalar() == "geladen"
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:  # foreign keys are on again after migrating
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_migrations_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'ops.sqlite'}")


def test_status_check_keeps_existing_quarantine_on_sqlite(tmp_path):
    _upgrade_keeps_the_quarantine(f"sqlite:///{tmp_path / 'old.sqlite'}")


@pytest.mark.postgres
def test_migrations_on_postgresql(pg_schema_url):
    _check(pg_schema_url)


@pytest.mark.postgres
def test_status_check_keeps_existing_quarantine_on_postgresql(pg_schema_url):
    _upgrade_keeps_the_quarantine(pg_schema_url)


@pytest.mark.postgres
def test_vault_on_postgresql(pg_schema_url, monkeypatch, home):
    """The vault's upsert and re-identification work on PostgreSQL as on SQLite."""
    import datetime as dt

    import polars as pl

    from privacy.audit import Audit
    from privacy.keys import load_keys
    from privacy.vault import Vault

    keys = load_keys(home, "0080")
    vault = Vault(pg_schema_url, keys)
    identities = pl.DataFrame([{
        "signaal_pseudoniem": f"k1_s{i}", "huishouden_pseudoniem": "k1_h",
        "persoon_pseudoniem": "k1_p",
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
