"""A throw-away schema on the PostgreSQL server at 127.0.0.1:5432 (trust auth, database test).

Tests that need it skip, saying why, where no server answers. Each test gets its own schema, so
runs never see each other's tables, and the schema is dropped afterwards.
"""

from __future__ import annotations

import os
import secrets

import pytest

PG_URL = os.environ.get("VROEG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def server_answers() -> str | None:
    """None if the server answers, else why not."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"no PostgreSQL server answers at {PG_URL.split('@')[-1]} ({type(exc).__name__})"


@pytest.fixture
def pg_schema_url():
    """A SQLAlchemy URL whose connections use a fresh, empty schema."""
    reason = server_answers()
    if reason:
        pytest.skip(reason)
    from sqlalchemy import create_engine, text

    schema = f"vroeg_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        from vroeg.opsdb import db

        db.engine.cache_clear()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_database_url():
    """A fresh database on the same server (for a program that wants its own, such as Prefect's
    server), dropped afterwards; called with the SQLAlchemy driver name the program uses."""
    reason = server_answers()
    if reason:
        pytest.skip(reason)
    from sqlalchemy import create_engine, make_url, text

    name = f"vroeg_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield lambda driver: make_url(PG_URL).set(drivername=driver, database=name) \
            .render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
