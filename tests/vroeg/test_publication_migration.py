"""Issue 19: upgrading an existing operational database keeps its lists (and cases), on SQLite and
PostgreSQL. Lists published twice for one team and month before versions existed become
versions 1 and 2, the first replaced by the second; nothing is deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from vroeg.opsdb import db


def _upgrade(engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _publication(connection, id_: int, team: str, period: str, created: str) -> None:
    connection.execute(text(
        "INSERT INTO publications (id, run_id, gemeente, wijkteam, period, households, csv_path, "
        "xlsx_path, csv_sha256, created_at) VALUES (:id, 'r-1', '0080', :team, :period, 2, "
        "'a.csv', 'a.xlsx', :sha, :created)"),
        {"id": id_, "team": team, "period": period, "sha": "0" * 64, "created": created})


def _old_database(url: str):
    engine = db.create(url)
    _upgrade(engine, "i13_0001")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO runs (id, gemeente, period, started_at, status, rules_version) VALUES "
            "('r-1', '0080', '2026-10', '2026-11-02 10:00:00', 'gepubliceerd', 'v1')"))
        _publication(connection, 1, "wt-centrum", "2026-10", "2026-11-02 10:00:00")
        _publication(connection, 2, "wt-centrum", "2026-10", "2026-11-03 10:00:00")
        _publication(connection, 3, "wt-oost", "2026-10", "2026-11-02 10:00:00")
    return engine


def _publications_become_versions(url: str) -> None:
    engine = _old_database(url)
    db.migrate(engine)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, version, superseded_at IS NOT NULL, superseded_by, superseded_reason "
            "FROM publications ORDER BY id")).all()
    assert [tuple(r[:4]) for r in rows] == [(1, 1, True, 2), (2, 2, False, None),
                                            (3, 1, False, None)]
    assert "Vervangen" in rows[0][4] and rows[1][4] is None
    engine.dispose()


def test_publications_become_versions_on_sqlite(tmp_path):
    _publications_become_versions(f"sqlite:///{tmp_path / 'old.sqlite'}")


@pytest.mark.postgres
def test_publications_become_versions_on_postgresql(pg_schema_url):
    _publications_become_versions(pg_schema_url)
