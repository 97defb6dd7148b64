"""The SQL channel: a partner's view read through SQLAlchemy, read-only, with bound parameters,
against the real PostgreSQL server and a real SQLite file. The result becomes a delivery of
canonical JSON Lines, so an unchanged view is a duplicate and a changed amount an update."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from connectors.sql_source import SourceUnavailable, canonical_line, cell_text, query_partner
from tests.builders import TODAY
from tests.ingesting import add_partner, assert_conserved, signal_count
from vroeg.config import ConfigError, load_partner

QUERY = """
SELECT dossier, gemeente_code, melddatum, sinds, saldo, ontruiming, achternaam, straat,
       postcode, huisnr, plaats
FROM v_achterstanden
WHERE gemeente_code = :gemeente AND soort = :soort
"""

PARTNER = f"""
id: sql-wonen
name: Woonstichting Database
partner_type: Huur
channel: sql
sql:
  url_env: VROEG_TEST_SQL_WONEN
  query: |
{chr(10).join('    ' + line for line in QUERY.strip().splitlines())}
  parameters: {{soort: "huur"}}
decimal: "."
columns:
  signaal_id: dossier
  signaaldatum: melddatum
  ontstaansdatum: sinds
  bedrag: saldo
  crisis: {{column: ontruiming, map: {{"1": "ja", "0": "nee"}}}}   # SQLite has no booleans
  achternaam: achternaam
  straatnaam: straat
  postcode: postcode
  huisnummer: huisnr
  woonplaats: plaats
"""

TABLE = """
CREATE TABLE achterstanden (
    dossier VARCHAR(20) PRIMARY KEY, gemeente_code VARCHAR(4), soort VARCHAR(10),
    melddatum DATE, sinds DATE, saldo NUMERIC(10, 2), ontruiming BOOLEAN,
    achternaam VARCHAR(50), straat VARCHAR(50), postcode VARCHAR(7), huisnr INTEGER,
    plaats VARCHAR(30)
)"""
VIEW = "CREATE VIEW v_achterstanden AS SELECT * FROM achterstanden"
ROWS = [
    # dossier, gemeente, soort, melddatum, sinds, saldo, ontruiming, naam, straat, pc, nr, plaats
    ("W-1", "0080", "huur", dt.date(2026, 10, 14), dt.date(2026, 8, 1), Decimal("620.00"), False,
     "Jansen", "Kerkstraat", "8911 AA", 1, "Leeuwarden"),
    ("W-2", "0080", "huur", dt.date(2026, 10, 15), dt.date(2026, 7, 1), Decimal("1234.56"), True,
     "De Vries", "Nieuwestad", "8911 AB", 2, "Leeuwarden"),
    ("W-3", "0080", "huur", dt.date(2026, 10, 16), dt.date(2026, 8, 1), Decimal("75.10"), False,
     "Bakker", "Tuinen", "89XX", 3, "Leeuwarden"),  # a bad postcode: quarantined
    ("W-4", "0363", "huur", dt.date(2026, 10, 16), dt.date(2026, 8, 1), Decimal("99.00"), False,
     "Amsterdammer", "Damrak", "1012 AB", 4, "Amsterdam"),  # another municipality: not selected
    ("W-5", "0080", "parkeer", dt.date(2026, 10, 16), dt.date(2026, 8, 1), Decimal("50.00"), False,
     "Ander", "Tuinen", "8911 AC", 5, "Leeuwarden"),  # not a rent signal: not selected
]


def _value(value, dialect: str):
    # SQLite has no DECIMAL type in its driver: a partner's SQLite file holds text or floats.
    return str(value) if dialect == "sqlite" and isinstance(value, Decimal) else value


def _fill(url: str) -> None:
    engine = create_engine(url)
    rows = [tuple(_value(v, engine.dialect.name) for v in r) for r in ROWS]
    with engine.begin() as connection:
        connection.execute(text(TABLE))
        connection.execute(text(VIEW))
        connection.execute(text(
            "INSERT INTO achterstanden "
            "VALUES (:d, :g, :s, :m, :b, :saldo, :o, :n, :st, :pc, :h, :p)"),
            [dict(zip(("d", "g", "s", "m", "b", "saldo", "o", "n", "st", "pc", "h", "p"), r,
                      strict=True)) for r in rows])
    engine.dispose()


def _set_amount(url: str, dossier: str, amount: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE achterstanden SET saldo = :s WHERE dossier = :d"),
                           {"s": _value(Decimal(amount), engine.dialect.name), "d": dossier})
    engine.dispose()


def _exercise(home, url: str, monkeypatch) -> None:
    """Fetch, fetch again (duplicate), change an amount (update), through the step functions."""
    from flows.ingest import STEPS, fetch_one

    monkeypatch.setenv("VROEG_TEST_SQL_WONEN", url)
    add_partner(home, "sql-wonen", PARTNER)
    first = fetch_one("0080", "sql-wonen", TODAY.isoformat(), steps=STEPS)
    assert (first["status"], first["kanaal"], first["rijen_gelezen"], first["rijen_geladen"],
            first["rijen_quarantaine"]) == ("geladen", "sql", 3, 2, 1)
    assert first["bestand"].startswith("sql-wonen_") and first["bestand"].endswith(".jsonl")
    assert_conserved(first, home)

    again = fetch_one("0080", "sql-wonen", TODAY.isoformat(), steps=STEPS)
    assert again["status"] == "dubbel" and again["sha256"] == first["sha256"]
    assert again["rijen_dubbel"] == 3
    assert_conserved(again, home)

    _set_amount(url, "W-1", "700.00")
    changed = fetch_one("0080", "sql-wonen", TODAY.isoformat(), steps=STEPS)
    assert (changed["status"], changed["rijen_geladen"], changed["waarvan_bijgewerkt"],
            changed["rijen_dubbel"], changed["rijen_quarantaine"]) == ("geladen", 1, 1, 1, 1)
    assert_conserved(changed, home)
    assert signal_count(home) == 2

    import duckdb

    con = duckdb.connect(str(home.warehouse_path("0080")), read_only=True)
    try:
        amounts = sorted(con.execute("SELECT bedrag_cent, crisis, versie FROM signals").fetchall())
        history = con.execute("SELECT oud_bedrag_cent, nieuw_bedrag_cent FROM signal_updates") \
            .fetchall()
    finally:
        con.close()
    assert amounts == [(70000, False, 2), (123456, True, 1)]
    assert history == [(62000, 70000)]


@pytest.mark.postgres
def test_sql_partner_on_postgresql(home, pg_schema_url, monkeypatch):
    _fill(pg_schema_url)
    _exercise(home, pg_schema_url, monkeypatch)


def test_sql_partner_on_a_sqlite_file(home, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'partner.sqlite'}"
    _fill(url)
    _exercise(home, url, monkeypatch)


def test_the_transaction_is_read_only_and_parameters_are_bound(home, tmp_path):
    """A hostile parameter stays a value; a statement that writes is stopped by the database."""
    url = f"sqlite:///{tmp_path / 'partner.sqlite'}"
    _fill(url)
    path = add_partner(home, "sql-wonen", PARTNER.replace(
        'parameters: {soort: "huur"}', "parameters: {soort: \"huur' OR '1'='1\"}"))
    partner = load_partner(path)
    assert query_partner(partner, "0080", url).rows == 0  # the quote is part of the value

    def with_query(sql: str):
        # model_construct skips the configuration's own SELECT check: this is what the database
        # does when a statement that writes reaches it anyway.
        return partner.model_copy(update={"sql": partner.sql.model_construct(
            **{**partner.sql.model_dump(), "query": sql})})

    with pytest.raises(SourceUnavailable) as info:
        query_partner(with_query("DELETE FROM achterstanden"), "0080", url)
    assert "mislukt" in info.value.message
    with pytest.raises(SourceUnavailable) as info:
        query_partner(with_query("SELECT * FROM achterstanden WHERE dossier = :onbekend"),
                      "0080", url)
    assert ":onbekend" in info.value.message
    connection = sqlite3.connect(tmp_path / "partner.sqlite")
    assert connection.execute("SELECT count(*) FROM achterstanden").fetchone() == (5,)
    connection.close()


@pytest.mark.postgres
def test_postgresql_refuses_a_write_inside_the_query(pg_schema_url, tmp_path, home):
    _fill(pg_schema_url)
    path = add_partner(home, "sql-wonen", PARTNER)
    partner = load_partner(path)
    sneaky = partner.model_copy(update={"sql": partner.sql.model_copy(update={
        "query": "WITH gone AS (DELETE FROM achterstanden RETURNING *) SELECT * FROM gone"})})
    with pytest.raises(SourceUnavailable) as info:
        query_partner(sneaky, "0080", pg_schema_url)
    assert "mislukt" in info.value.message and "DELETE" not in info.value.message
    engine = create_engine(pg_schema_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM achterstanden")).scalar() == 5
    engine.dispose()


def test_configuration_refuses_non_select_and_secrets(home):
    bad_query = PARTNER.replace("SELECT dossier", "DELETE FROM x; SELECT dossier")
    with pytest.raises(ConfigError, match="one SELECT"):
        load_partner(add_partner(home, "sql-wonen", bad_query))
    two = PARTNER.replace("AND soort = :soort", "AND soort = :soort; DROP TABLE achterstanden")
    with pytest.raises(ConfigError, match="one statement"):
        load_partner(add_partner(home, "sql-wonen", two))
    with_url = PARTNER.replace("  url_env: VROEG_TEST_SQL_WONEN",
                               "  url: postgresql://wonen:geheim@db/wonen")
    with pytest.raises(ConfigError, match="url"):
        load_partner(add_partner(home, "sql-wonen", with_url))
    no_sql = PARTNER.split("sql:\n")[0] + "decimal: \".\"\ncolumns: standard\n"
    with pytest.raises(ConfigError, match="channel sql needs"):
        load_partner(add_partner(home, "sql-wonen", no_sql))


def test_missing_environment_variable_is_a_clear_refusal(home, monkeypatch):
    from flows.ingest import STEPS, fetch_one

    monkeypatch.delenv("VROEG_TEST_SQL_WONEN", raising=False)
    add_partner(home, "sql-wonen", PARTNER)
    summary = fetch_one("0080", "sql-wonen", TODAY.isoformat(), steps=STEPS)
    assert summary["status"] == "geweigerd"
    assert "VROEG_TEST_SQL_WONEN" in summary["melding"]
    assert_conserved(summary, home)


def test_canonical_lines_are_stable_text():
    assert cell_text(Decimal("620.00")) == "620.00"
    assert cell_text(dt.date(2026, 10, 14)) == "2026-10-14"
    assert cell_text(dt.datetime(2026, 10, 14)) == "2026-10-14"
    assert cell_text(True) == "ja" and cell_text(None) is None and cell_text(12) == "12"
    assert canonical_line(["a", "b"], ["x\ny", None]) == '{"a":"x\\ny","b":null}'
