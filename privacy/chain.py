"""The audit trail's hash chain: append in order, verify, and cut for retention.

Every line of a municipality's audit trail carries its position (`seq`, 1, 2, 3, ... without gaps),
the hash of the line before it (`prev_hash`) and its own hash (`line_hash`): an HMAC-SHA256, under
a chain key derived from the municipality's master key, over all of the line's fields and
`prev_hash`. So:

- an edited line no longer matches its own hash;
- a deleted line leaves a gap in `seq` and a broken `prev_hash` link;
- an inserted line cannot carry a valid hash without the key (and cannot take a used `seq`: the
  pair (gemeente, seq) is unique).

The database refuses UPDATE and DELETE on the log itself (triggers, migration i5_0001); the chain
catches whoever gets past the triggers, e.g. by dropping them or editing the SQLite file. What no
chain can catch on its own is cutting off the newest lines together with the head: write down the
head hash that `vroeg audit verify` prints (docs/privacy.md, "Audit trail").

Appends are serialised per database: the head row (audit_chain_head) is locked with
SELECT ... FOR UPDATE on PostgreSQL; on SQLite the append runs in a BEGIN IMMEDIATE transaction,
which takes the database's write lock before reading the head.

Retention removes a prefix of the chain (lines older than the audit trail's term) through a cut:
a sealed record of the last removed position and hash, linked to the cut before it. The first line
kept links to the cut, so the rest still verifies, and the trigger lets through only deletes at or
below a recorded cut.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field

from sqlalchemy import (
    Connection,
    Engine,
    delete,
    func,
    insert,
    select,
    text,
    update,
)

from privacy.keys import KeyProblem, KeyRing
from vroeg.opsdb import db
from vroeg.opsdb.models import AuditChainHead, AuditCut, AuditLine

GENESIS = "0" * 64
_LINES = AuditLine.__table__
_HEAD = AuditChainHead.__table__
_CUTS = AuditCut.__table__

#: The triggers migration i5_0001 creates; verify reports any that is missing.
TRIGGERS = {
    "sqlite": {"audit_log_geen_wijziging", "audit_log_geen_verwijdering",
               "audit_cuts_geen_wijziging", "audit_cuts_geen_verwijdering"},
    "postgresql": {"audit_log_alleen_toevoegen", "audit_log_geen_truncate",
                   "audit_cuts_alleen_toevoegen", "audit_cuts_geen_truncate"},
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def timestamp(value: dt.datetime | None) -> str | None:
    """One text per instant whatever the database returns (SQLite: naive UTC; PostgreSQL: aware)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def normalise_attributes(attributes: dict | None) -> dict | None:
    """Attributes as they come back from a JSON column (string keys, JSON types), so the hash of
    what is written equals the hash of what is read."""
    if not attributes:
        return None
    return json.loads(json.dumps(attributes, default=str, ensure_ascii=False))


def _canonical(values: list) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_key(keys: KeyRing, version: int) -> bytes:
    return keys.at(version).derive("auditketen")


def line_hash(key: bytes, line: dict) -> str:
    fields = [
        "vroeg-audit/1", line["gemeente"], line["seq"], line["trace_id"], line["operation_id"],
        line["parent_operation_id"], line["name"], timestamp(line["start_time"]),
        timestamp(line["end_time"]), line["status_code"], line["processing_activity_id"],
        line["data_subject_id"], line["attributes"], timestamp(line["recorded_at"]),
        line["key_version"], line["prev_hash"],
    ]
    return hmac.new(key, _canonical(fields), hashlib.sha256).hexdigest()


def cut_mac(key: bytes, cut: dict) -> str:
    fields = [
        "vroeg-audit-cut/1", cut["gemeente"], cut["upto_seq"], cut["upto_id"], cut["last_hash"],
        cut["removed"], timestamp(cut["before"]), timestamp(cut["cut_at"]), cut["key_version"],
        cut["prev_mac"],
    ]
    return hmac.new(key, _canonical(fields), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------------------------------------
# Appending
# ------------------------------------------------------------------------------------------------


def writer(url: str) -> Engine:
    """The engine that serialises writes to the chain (migrating the database first)."""
    main = db.engine(url)
    # BEGIN IMMEDIATE on SQLite: two writers must not both read the same head of the chain.
    return db.immediate_engine(url) if main.dialect.name == "sqlite" else main


def _tail(connection: Connection, gemeente: str) -> tuple[int, str]:
    """Where the chain ends now: the last chained line, else the last cut, else the start."""
    last = connection.execute(
        select(_LINES.c.seq, _LINES.c.line_hash)
        .where(_LINES.c.gemeente == gemeente, _LINES.c.seq.is_not(None))
        .order_by(_LINES.c.seq.desc()).limit(1)
    ).first()
    if last is not None:
        return int(last.seq), last.line_hash
    cut = connection.execute(
        select(_CUTS.c.upto_seq, _CUTS.c.last_hash)
        .where(_CUTS.c.gemeente == gemeente).order_by(_CUTS.c.id.desc()).limit(1)
    ).first()
    if cut is not None:
        return int(cut.upto_seq), cut.last_hash
    return 0, GENESIS


def _lock_head(connection: Connection, gemeente: str) -> tuple[int, str]:
    """Lock the municipality's head row (creating it once) and return (seq, hash) of the tail."""
    dialect = connection.dialect.name
    query = select(_HEAD.c.seq, _HEAD.c.line_hash).where(_HEAD.c.gemeente == gemeente)
    if dialect == "postgresql":
        query = query.with_for_update()
    head = connection.execute(query).first()
    if head is not None:
        return int(head.seq), head.line_hash
    seq, last = _tail(connection, gemeente)
    values = {"gemeente": gemeente, "seq": seq, "line_hash": last, "updated_at": _now()}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        # Two first writers: one row wins, the other waits on FOR UPDATE and reads it.
        connection.execute(pg_insert(_HEAD).values(**values).on_conflict_do_nothing())
        head = connection.execute(query).first()
        return int(head.seq), head.line_hash
    connection.execute(insert(_HEAD).values(**values))
    return seq, last


def _insert_lines(connection: Connection, rows: list[dict]) -> None:
    """The lines as one driver-level executemany, the INSERT compiled once.

    SQLAlchemy's per-row work (parameters, timestamp and JSON processing) cost more than the
    insert itself, and it runs while the chain's lock is held: a portal view of thousands of
    households or a team's publication. Values that need processing (timestamps, attributes) are
    the same objects for the lines of one call, so each is processed once."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    dialect = connection.dialect
    compiled = insert(_LINES).compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup) if compiled.positional else names
    processors = {name: _LINES.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in order}
    done: dict[tuple[str, int], object] = {}

    def value(name: str, raw: object) -> object:
        process = processors[name]
        if process is None or raw is None:
            return raw
        key = (name, id(raw))  # the rows hold every raw value, so ids are not reused meanwhile
        if key not in done:
            done[key] = process(raw)
        return done[key]

    if compiled.positional:
        params: list = [tuple(value(n, row.get(n)) for n in order) for row in rows]
    else:
        params = [{n: value(n, row.get(n)) for n in order} for row in rows]
    connection.exec_driver_sql(compiled.string, params)


#: One appender at a time per SQLite database within a process. SQLite's busy handler lets a
#: waiting connection sleep and retry, so twenty portal threads waiting for the write lock wake
#: out of turn and starve each other (issue 19: list views of 6-28 s). Queued on this lock they
#: take turns, and only one of them at a time competes with other processes. The wait is bounded
#: by the process's lock wait; after it the append goes ahead and the database decides.
_appenders: dict[str, threading.Lock] = {}
_appenders_guard = threading.Lock()


def _appender(url: str) -> threading.Lock:
    with _appenders_guard:
        return _appenders.setdefault(url, threading.Lock())


def append(url: str, keys: KeyRing, lines: list[dict]) -> None:
    """Add lines (dicts of audit_log columns, without chain fields) to the end of the chain.

    One transaction: every line is confirmed by the commit, or none is written.
    """
    if not lines:
        return
    engine = writer(url)
    if engine.dialect.name != "sqlite":  # PostgreSQL queues the head row's lock fairly itself
        _append(engine, keys, lines)
        return
    turn = _appender(url)
    mine = turn.acquire(timeout=db.sqlite_lock_wait())
    try:
        _append(engine, keys, lines)
    finally:
        if mine:
            turn.release()


def _append(engine: Engine, keys: KeyRing, lines: list[dict]) -> None:
    gemeente = keys.gemeente
    key = chain_key(keys, keys.version)
    with engine.begin() as connection:
        seq, prev = _lock_head(connection, gemeente)
        now = _now()
        rows = []
        # Lines of one bulk call (one per data subject) share their attributes: normalised once.
        normalised: dict[int, dict | None] = {}
        for line in lines:
            seq += 1
            attributes = line.get("attributes")
            if id(attributes) not in normalised:
                normalised[id(attributes)] = normalise_attributes(attributes)
            row = dict(line, gemeente=gemeente, seq=seq, prev_hash=prev, key_version=keys.version,
                       recorded_at=now, attributes=normalised[id(attributes)])
            row["line_hash"] = prev = line_hash(key, row)
            rows.append(row)
        _insert_lines(connection, rows)
        connection.execute(update(_HEAD).where(_HEAD.c.gemeente == gemeente)
                           .values(seq=seq, line_hash=prev, updated_at=now))


# ------------------------------------------------------------------------------------------------
# Verifying
# ------------------------------------------------------------------------------------------------


@dataclass
class Problem:
    kind: str  # gewijzigd | verwijderd | ingevoegd | kop | knip | trigger
    where: str
    message: str


@dataclass
class Verification:
    gemeente: str
    lines: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    head_hash: str | None = None
    legacy_lines: int = 0
    cuts: int = 0
    removed_by_retention: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "gemeente": self.gemeente, "in_orde": self.ok, "regels": self.lines,
            "eerste_positie": self.first_seq, "laatste_positie": self.last_seq,
            "kophash": self.head_hash, "regels_van_voor_de_keten": self.legacy_lines,
            "bewaartermijn_knippen": self.cuts,
            "regels_verwijderd_door_bewaartermijn": self.removed_by_retention,
            "problemen": [{"soort": p.kind, "waar": p.where, "melding": p.message}
                          for p in self.problems],
        }


def installed_triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('audit_log', 'audit_cuts')")).scalars()
    elif connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
            "('audit_log'::regclass, 'audit_cuts'::regclass)")).scalars()
    else:  # pragma: no cover
        return set()
    return set(rows)


def verify(url: str, keys: KeyRing, gemeente: str | None = None) -> Verification:
    """Walk the municipality's chain from its start (or its last retention cut) to its head."""
    gemeente = gemeente or keys.gemeente
    result = Verification(gemeente)
    eng = db.engine(url)
    keys_by_version: dict[int, bytes] = {}

    def key_for(version: int | None) -> bytes | None:
        if version is None:
            return None
        if version not in keys_by_version:
            try:
                keys_by_version[version] = chain_key(keys, version)
            except KeyProblem:
                return None
        return keys_by_version[version]

    with eng.connect() as connection:
        missing = TRIGGERS.get(connection.dialect.name, set()) - installed_triggers(connection)
        for name in sorted(missing):
            result.problems.append(Problem(
                "trigger", name, f"De trigger {name} ontbreekt: het logboek is niet meer "
                "beschermd tegen wijzigen en verwijderen."))

        # Retention cuts: each sealed and linked to the one before.
        start_seq, start_hash, prev_mac = 0, GENESIS, GENESIS
        for cut in connection.execute(select(_CUTS).where(_CUTS.c.gemeente == gemeente)
                                      .order_by(_CUTS.c.id)).mappings():
            result.cuts += 1
            result.removed_by_retention += cut["removed"]
            key = key_for(cut["key_version"])
            if key is None or cut["prev_mac"] != prev_mac or not hmac.compare_digest(
                    cut_mac(key, dict(cut)), cut["mac"]):
                result.problems.append(Problem(
                    "knip", f"knip {cut['id']}", "Een bewaartermijn-knip is gewijzigd, "
                    "ingevoegd of niet te controleren."))
            if cut["upto_seq"] < start_seq:
                result.problems.append(Problem(
                    "knip", f"knip {cut['id']}", "Een bewaartermijn-knip gaat terug in de keten."))
            start_seq, start_hash, prev_mac = cut["upto_seq"], cut["last_hash"], cut["mac"]

        first_chained_id = connection.execute(
            select(func.min(_LINES.c.id))
            .where(_LINES.c.gemeente == gemeente, _LINES.c.seq.is_not(None))).scalar()
        for row in connection.execute(
                select(_LINES.c.id).where(_LINES.c.gemeente == gemeente, _LINES.c.seq.is_(None))
                .order_by(_LINES.c.id)).scalars():
            result.legacy_lines += 1
            if first_chained_id is not None and row > first_chained_id:
                result.problems.append(Problem(
                    "ingevoegd", f"id {row}", f"Regel id {row} staat buiten de keten (geen "
                    "positie en hash) maar is na de start van de keten toegevoegd."))

        expected_seq, expected_prev = start_seq + 1, start_hash
        last_hash = start_hash if start_seq else None
        for line in connection.execute(
                select(_LINES).where(_LINES.c.gemeente == gemeente, _LINES.c.seq.is_not(None))
                .order_by(_LINES.c.seq)).mappings():
            seq = line["seq"]
            where = f"positie {seq} (id {line['id']})"
            if seq <= start_seq:
                result.problems.append(Problem(
                    "knip", where, "Deze regel had bij een bewaartermijn-knip verwijderd moeten "
                    "zijn, of is later met een oude positie ingevoegd."))
                continue
            result.lines += 1
            result.first_seq = result.first_seq or seq
            if seq > expected_seq:
                gap = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
                result.problems.append(Problem(
                    "verwijderd", f"positie {gap}", f"Regel(s) op positie {gap} ontbreken: "
                    "verwijderd uit het logboek."))
            if line["prev_hash"] != expected_prev and seq == expected_seq:
                # (After a gap the link is broken too; the gap is already reported.)
                result.problems.append(Problem(
                    "ingevoegd", where, "De verwijzing naar de vorige regel klopt niet: een "
                    "regel is ingevoegd of vervangen."))
            key = key_for(line["key_version"])
            if key is None:
                result.problems.append(Problem(
                    "gewijzigd", where, f"Sleutelversie {line['key_version']} van deze regel is "
                    "niet beschikbaar; de regel is niet te controleren."))
            elif not hmac.compare_digest(line_hash(key, dict(line)), line["line_hash"] or ""):
                result.problems.append(Problem(
                    "gewijzigd", where, "De inhoud van deze regel klopt niet met haar hash: de "
                    "regel is gewijzigd (of met een valse hash ingevoegd)."))
            expected_seq, expected_prev, last_hash = seq + 1, line["line_hash"], line["line_hash"]
            result.last_seq = seq

        head = connection.execute(
            select(_HEAD).where(_HEAD.c.gemeente == gemeente)).mappings().first()
        result.head_hash = last_hash
        if head is not None:
            if head["seq"] != (result.last_seq or start_seq) or (
                    last_hash is not None and head["line_hash"] != last_hash):
                result.problems.append(Problem(
                    "kop", f"kop {head['seq']}", f"De kop van de keten wijst naar positie "
                    f"{head['seq']}, maar de laatste regel heeft positie {result.last_seq}: "
                    "regels aan het eind zijn verwijderd of toegevoegd."))
        elif result.lines:
            result.problems.append(Problem("kop", "kop", "De kop van de keten ontbreekt."))
    return result


# ------------------------------------------------------------------------------------------------
# Retention
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutResult:
    removed: int
    upto_seq: int


def due(url: str, gemeente: str, before: dt.datetime) -> int:
    """How many lines a cut at `before` would remove (for a dry run)."""
    with db.engine(url).connect() as connection:
        first_kept = _first_kept(connection, gemeente, before)
        query = select(func.count()).select_from(_LINES).where(_LINES.c.gemeente == gemeente)
        if first_kept is not None:
            query = query.where(_LINES.c.id < first_kept)
        return int(connection.execute(query).scalar_one())


def _first_kept(connection: Connection, gemeente: str, before: dt.datetime) -> int | None:
    """id of the first line to keep: the first chained line recorded at or after `before`."""
    seq = connection.execute(
        select(func.min(_LINES.c.seq)).where(
            _LINES.c.gemeente == gemeente, _LINES.c.seq.is_not(None),
            _LINES.c.recorded_at >= before)).scalar()
    if seq is None:
        return None
    return connection.execute(select(_LINES.c.id).where(
        _LINES.c.gemeente == gemeente, _LINES.c.seq == seq)).scalar_one()


def cut(url: str, keys: KeyRing, before: dt.datetime) -> CutResult:
    """Remove the lines recorded before `before` (a prefix of the chain), recording a sealed cut.

    Runs under the append lock, so no line is appended between choosing the cut and deleting.
    """
    gemeente = keys.gemeente
    with writer(url).begin() as connection:
        head_seq, head_hash = _lock_head(connection, gemeente)
        first_kept = _first_kept(connection, gemeente, before)
        scope = _LINES.c.gemeente == gemeente
        doomed = select(func.count(), func.max(_LINES.c.id), func.max(_LINES.c.seq)).where(scope)
        if first_kept is not None:
            doomed = doomed.where(_LINES.c.id < first_kept)
        removed, upto_id, upto_seq = connection.execute(doomed).one()
        if not removed:
            return CutResult(0, 0)
        previous = connection.execute(
            select(_CUTS).where(_CUTS.c.gemeente == gemeente).order_by(_CUTS.c.id.desc()).limit(1)
        ).mappings().first()
        if upto_seq is None:  # only lines from before the chain
            upto_seq = previous["upto_seq"] if previous else 0
            last_hash = previous["last_hash"] if previous else GENESIS
        elif upto_seq == head_seq:
            last_hash = head_hash
        else:
            last_hash = connection.execute(select(_LINES.c.line_hash).where(
                scope, _LINES.c.seq == upto_seq)).scalar_one()
        record = {
            "gemeente": gemeente, "upto_seq": int(upto_seq), "upto_id": int(upto_id),
            "last_hash": last_hash, "removed": int(removed), "before": before, "cut_at": _now(),
            "key_version": keys.version, "prev_mac": previous["mac"] if previous else GENESIS,
        }
        record["mac"] = cut_mac(chain_key(keys, keys.version), record)
        connection.execute(insert(_CUTS).values(**record))
        # Allowed by the trigger only because the cut above now covers these ids.
        connection.execute(delete(_LINES).where(scope, _LINES.c.id <= upto_id))
    return CutResult(int(removed), int(upto_seq))
