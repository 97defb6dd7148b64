"""The audit trail's hash chain and append-only triggers, on SQLite and on a real PostgreSQL.

Tampering is done as an attacker would: with the triggers dropped, or by writing the SQLite file
with the sqlite3 module, bypassing the application. `vroeg audit verify` must name what happened.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from cli import app
from privacy import chain
from privacy.audit import Audit
from privacy.keys import KeyRing
from vroeg.opsdb import db

KEYS = KeyRing("0080", 1, b"c" * 32)


def _fill(url: str, keys: KeyRing = KEYS, n: int = 5) -> Audit:
    audit = Audit(url, keys)
    for i in range(n):
        with audit.operation("stap", "a" * 32, nummer=i, rijen=10 * i) as op:
            op.attributes["klaar"] = True
    audit.subjects("heridentificatie", "b" * 32, None, ["k1_h1", "k1_h2"], doel="test")
    return audit


def _kinds(url: str, keys: KeyRing = KEYS) -> set[str]:
    return {p.kind for p in chain.verify(url, keys).problems}


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'ops.sqlite'}"


# ---------------------------------------------------------------------------------------------
# A clean chain
# ---------------------------------------------------------------------------------------------

def test_lines_form_a_verifiable_chain(sqlite_url):
    _fill(sqlite_url)
    result = chain.verify(sqlite_url, KEYS)
    assert result.ok, result.problems
    assert (result.lines, result.first_seq, result.last_seq) == (7, 1, 7)
    with db.engine(sqlite_url).connect() as c:
        rows = c.execute(text("SELECT seq, prev_hash, line_hash, key_version FROM audit_log "
                              "ORDER BY seq")).all()
    assert rows[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.line_hash for a, b in zip(rows, rows[1:], strict=False))
    assert {r.key_version for r in rows} == {1}
    assert result.head_hash == rows[-1].line_hash


def test_chains_are_per_municipality(sqlite_url):
    _fill(sqlite_url, n=2)
    other = KeyRing("0363", 1, b"d" * 32)
    _fill(sqlite_url, other, n=3)
    _fill(sqlite_url, n=1)
    assert chain.verify(sqlite_url, KEYS).last_seq == 2 + 2 + 1 + 2
    assert chain.verify(sqlite_url, other).last_seq == 5
    assert chain.verify(sqlite_url, KEYS).ok and chain.verify(sqlite_url, other).ok


def test_concurrent_writers_extend_one_unbroken_chain(sqlite_url):
    """Several threads (own Audit each, as separate flows would) append at once."""
    db.engine(sqlite_url)
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            audit = Audit(sqlite_url, KEYS)
            for j in range(15):
                audit.subjects("publicatie", f"{i:032d}", None, [f"k1_{i}_{j}"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = chain.verify(sqlite_url, KEYS)
    assert result.ok, result.problems
    assert result.last_seq == 90


# ---------------------------------------------------------------------------------------------
# The database refuses updates and deletes
# ---------------------------------------------------------------------------------------------

def test_sqlite_refuses_update_and_delete(sqlite_url, tmp_path):
    _fill(sqlite_url)
    for statement in ("UPDATE audit_log SET name = 'x' WHERE seq = 2",
                      "DELETE FROM audit_log WHERE seq = 2", "DELETE FROM audit_log",
                      "UPDATE audit_cuts SET removed = 0"):
        with pytest.raises(DBAPIError, match="alleen-toevoegen"):
            with db.engine(sqlite_url).begin() as c:
                if "audit_cuts" in statement:
                    c.execute(text("INSERT INTO audit_cuts (gemeente, upto_seq, upto_id, "
                                   "last_hash, removed, before, cut_at, key_version, prev_mac, "
                                   "mac) VALUES ('0080', 0, 0, '', 0, '2026-01-01', "
                                   "'2026-01-01', 1, '', '')"))
                c.execute(text(statement))
    # Directly in the file, without the application: still refused.
    raw = sqlite3.connect(tmp_path / "ops.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="alleen-toevoegen"):
        raw.execute("DELETE FROM audit_log WHERE seq = 1")
    raw.close()
    assert chain.verify(sqlite_url, KEYS).ok


@pytest.mark.postgres
def test_postgresql_refuses_update_delete_and_truncate(pg_schema_url):
    _fill(pg_schema_url, n=1)
    assert chain.cut(pg_schema_url, KEYS, dt.datetime.now(dt.UTC)).removed == 3  # a cut to refuse
    _fill(pg_schema_url)
    for statement in ("UPDATE audit_log SET name = 'x' WHERE seq = 5",
                      "DELETE FROM audit_log WHERE seq = 5", "TRUNCATE audit_log",
                      "DELETE FROM audit_cuts", "TRUNCATE audit_cuts"):
        with pytest.raises(DBAPIError, match="alleen-toevoegen"):
            with db.engine(pg_schema_url).begin() as c:
                c.execute(text(statement))
    result = chain.verify(pg_schema_url, KEYS)
    assert result.ok, result.problems
    assert (result.lines, result.cuts, result.first_seq) == (7, 1, 4)


@pytest.mark.postgres
def test_postgresql_concurrent_writers_and_tampering(pg_schema_url):
    db.engine(pg_schema_url)
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            audit = Audit(pg_schema_url, KEYS)
            for j in range(10):
                audit.subjects("publicatie", f"{i:032d}", None, [f"k1_{i}_{j}", f"k1_{i}_{j}b"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = chain.verify(pg_schema_url, KEYS)
    assert result.ok, result.problems
    assert result.last_seq == 100
    with db.engine(pg_schema_url).begin() as c:  # the attacker drops the trigger
        c.execute(text("DROP TRIGGER audit_log_alleen_toevoegen ON audit_log"))
        c.execute(text("UPDATE audit_log SET attributes = '{\"run\": \"x\"}' WHERE seq = 40"))
        c.execute(text("DELETE FROM audit_log WHERE seq = 60"))
    problems = chain.verify(pg_schema_url, KEYS).problems
    assert {(p.kind, p.where.split(" (")[0]) for p in problems} >= {
        ("gewijzigd", "positie 40"), ("verwijderd", "positie 60"),
        ("trigger", "audit_log_alleen_toevoegen")}


# ---------------------------------------------------------------------------------------------
# Tampering is detected
# ---------------------------------------------------------------------------------------------

def _attack(path, *statements: str) -> None:
    """Write the SQLite file directly, dropping the triggers first, as an attacker would."""
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER audit_log_geen_wijziging")
    raw.execute("DROP TRIGGER audit_log_geen_verwijdering")
    for statement in statements:
        raw.execute(statement)
    raw.commit()
    raw.close()


def test_verify_detects_an_edited_line(sqlite_url, tmp_path):
    _fill(sqlite_url)
    _attack(tmp_path / "ops.sqlite",
            "UPDATE audit_log SET attributes = json_set(attributes, '$.rijen', 999) WHERE seq = 3")
    result = chain.verify(sqlite_url, KEYS)
    edited = [p for p in result.problems if p.kind == "gewijzigd"]
    assert len(edited) == 1 and edited[0].where.startswith("positie 3 ")
    assert "trigger" in {p.kind for p in result.problems}  # the missing triggers are named too


def test_verify_detects_an_edit_even_with_a_recomputed_plain_hash(sqlite_url, tmp_path):
    """The chain is keyed (HMAC): recomputing a hash without the key does not hide an edit."""
    import hashlib

    _fill(sqlite_url)
    fake = hashlib.sha256(b"forged").hexdigest()
    _attack(tmp_path / "ops.sqlite",
            f"UPDATE audit_log SET name = 'iets anders', line_hash = '{fake}' WHERE seq = 4",
            f"UPDATE audit_log SET prev_hash = '{fake}' WHERE seq = 5")
    problems = chain.verify(sqlite_url, KEYS).problems
    # The links are consistent again, but neither line's HMAC can be forged: both are named.
    assert [p.where.split(" (")[0] for p in problems if p.kind == "gewijzigd"] == [
        "positie 4", "positie 5"]
    assert "ingevoegd" not in {p.kind for p in problems}


def test_verify_detects_a_deleted_line(sqlite_url, tmp_path):
    _fill(sqlite_url)
    _attack(tmp_path / "ops.sqlite", "DELETE FROM audit_log WHERE seq = 4")
    problems = [p for p in chain.verify(sqlite_url, KEYS).problems if p.kind != "trigger"]
    assert [(p.kind, p.where) for p in problems] == [("verwijderd", "positie 4")]


def test_verify_detects_the_last_line_deleted(sqlite_url, tmp_path):
    _fill(sqlite_url)
    _attack(tmp_path / "ops.sqlite", "DELETE FROM audit_log WHERE seq = 7")
    assert "kop" in _kinds(sqlite_url)


def test_verify_detects_inserted_lines(sqlite_url, tmp_path):
    _fill(sqlite_url)
    columns = ("gemeente, trace_id, operation_id, name, start_time, end_time, status_code, "
               "processing_activity_id, recorded_at")
    values = ("'0080', 'aa', 'bb', 'verzonnen', '2026-01-01', '2026-01-01', 1, 'urn:x', "
              "'2026-01-01'")
    # Triggers intact: inserting is allowed by the database, the chain must catch it.
    raw = sqlite3.connect(tmp_path / "ops.sqlite")
    raw.execute(f"INSERT INTO audit_log ({columns}) VALUES ({values})")  # outside the chain
    raw.execute(f"INSERT INTO audit_log ({columns}, seq, prev_hash, line_hash, key_version) "
                f"SELECT {values}, 8, line_hash, '{'f' * 64}', 1 FROM audit_log WHERE seq = 7")
    raw.commit()
    raw.close()
    problems = chain.verify(sqlite_url, KEYS).problems
    assert {p.kind for p in problems} == {"ingevoegd", "gewijzigd", "kop"}
    assert any(p.kind == "gewijzigd" and p.where.startswith("positie 8") for p in problems)


def test_cli_verify_exits_1_and_names_the_problem(home, monkeypatch):
    from privacy.context import context

    ctx = context("0080")
    _fill(ctx.database_url, ctx.keys)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "in orde" in ok.output and "Kophash" in ok.output
    _attack(home.root / "vroeg.sqlite", "DELETE FROM audit_log WHERE seq = 2")
    bad = runner.invoke(app, ["audit", "verify", "--json"])
    assert bad.exit_code == 1
    import json

    report = json.loads(bad.output)
    assert report["in_orde"] is False
    assert {"soort": "verwijderd", "waar": "positie 2"} in [
        {k: p[k] for k in ("soort", "waar")} for p in report["problemen"]]


# ---------------------------------------------------------------------------------------------
# Retention cuts
# ---------------------------------------------------------------------------------------------

def test_a_retention_cut_keeps_the_rest_verifiable(sqlite_url, tmp_path):
    _fill(sqlite_url, n=3)
    boundary = dt.datetime.now(dt.UTC)
    _fill(sqlite_url, n=2)
    assert chain.due(sqlite_url, "0080", boundary) == 5
    result = chain.cut(sqlite_url, KEYS, boundary)
    assert (result.removed, result.upto_seq) == (5, 5)
    verified = chain.verify(sqlite_url, KEYS)
    assert verified.ok, verified.problems
    assert (verified.first_seq, verified.last_seq, verified.cuts,
            verified.removed_by_retention) == (6, 9, 1, 5)
    _fill(sqlite_url, n=1)  # the chain goes on after a cut
    assert chain.verify(sqlite_url, KEYS).ok
    # A cut does not open the door to deleting newer lines.
    with pytest.raises(DBAPIError, match="alleen-toevoegen"):
        with db.engine(sqlite_url).begin() as c:
            c.execute(text("DELETE FROM audit_log WHERE seq = 7"))
    # Everything can be cut; the next line still links to the last removed one.
    assert chain.cut(sqlite_url, KEYS, dt.datetime.now(dt.UTC)).removed == 7
    _fill(sqlite_url, n=1)
    verified = chain.verify(sqlite_url, KEYS)
    assert verified.ok and verified.cuts == 2 and verified.first_seq == 13


def test_a_forged_cut_is_detected(sqlite_url, tmp_path):
    _fill(sqlite_url)
    # The attacker records a "cut" to get past the trigger and deletes the first lines.
    raw = sqlite3.connect(tmp_path / "ops.sqlite")
    last_hash = raw.execute("SELECT line_hash FROM audit_log WHERE seq = 3").fetchone()[0]
    raw.execute("INSERT INTO audit_cuts (gemeente, upto_seq, upto_id, last_hash, removed, before, "
                f"cut_at, key_version, prev_mac, mac) VALUES ('0080', 3, 3, '{last_hash}', 3, "
                f"'2026-01-01', '2026-01-01', 1, '{chain.GENESIS}', '{'e' * 64}')")
    raw.execute("DELETE FROM audit_log WHERE seq <= 3")
    raw.commit()
    raw.close()
    assert "knip" in _kinds(sqlite_url)


def test_lines_from_before_the_chain_are_accepted_only_before_it(sqlite_url, tmp_path):
    columns = ("gemeente, trace_id, operation_id, name, start_time, end_time, status_code, "
               "processing_activity_id")
    values = "'0080', 'aa', 'bb', 'oud', '2026-01-01', '2026-01-01', 1, 'urn:x'"
    db.engine(sqlite_url)
    raw = sqlite3.connect(tmp_path / "ops.sqlite")
    raw.execute(f"INSERT INTO audit_log ({columns}) VALUES ({values})")
    raw.commit()
    raw.close()
    _fill(sqlite_url, n=2)
    result = chain.verify(sqlite_url, KEYS)
    assert result.ok and result.legacy_lines == 1 and result.first_seq == 1


def test_subjects_stay_readable_across_key_versions(sqlite_url):
    ring = KeyRing("0080", 1, b"c" * 32, known=((1, b"c" * 32), (2, b"n" * 32)))
    old = Audit(sqlite_url, ring)
    token = old.encrypt_subject("k1_huis")
    assert token.startswith("1.")
    new_ring = ring.at(2)
    new = Audit(sqlite_url, new_ring)
    assert new.decrypt_subject(token) == "k1_huis"
    assert new.encrypt_subject("k2_huis").startswith("2.")
    # Lines chained under version 1 and version 2 both verify.
    _fill(sqlite_url, ring, n=1)
    _fill(sqlite_url, new_ring, n=1)
    assert chain.verify(sqlite_url, new_ring).ok
