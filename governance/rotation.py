"""Key rotation: re-key the vault, the warehouse and the archive to a new key version, resumably.

A rotation is a state machine whose state is durable in two places: the key file (the new version
is added as `pending` first, and made `current` last) and the operational database (table
key_rotations: the last step completed). Every step is idempotent, so after a crash, a kill or an
error `vroeg keys rotate` simply runs again and continues where it stopped:

    sleutel   new key version written to the key file as pending (nothing else may start now)
    kluis     vault records re-keyed in batches: each batch, in one vault transaction, opens the
              old records, rebuilds their pseudonym inputs (privacy.pseudonymise.pseudonym_texts),
              checks that they give the old pseudonyms under the old key, seals them under the new
              key and pseudonyms, records old -> new in the rotation map and removes the old rows
    pakhuis   warehouse: signals, their history and every run's household scores moved to the
              new pseudonyms in one DuckDB transaction (all or nothing), from the rotation map
    portaal   operational database: the household pseudonyms the portal keeps (which household
              is on which list line, publication_households; cases) moved to the new pseudonyms
              in one transaction, from the rotation map, with the same count checks
    archief   every archived original re-sealed under the new archive key, one file at a time,
              each replaced atomically
    activeren the new version becomes current in the key file; the rotation map is emptied

No household is lost or doubled: a pseudonym depends only on its clear-text input and the key, so
old -> new is one-to-one, the re-keyed records are checked against their old pseudonyms before
anything is written, and the counts per store are compared before and after.

Old key versions stay in the key file: audit lines keep their subject encrypted, and their chain
hash computed, under the key of their day (the trail is append-only, so it is never re-keyed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from sqlalchemy import bindparam, delete, func, insert, select, update

from privacy import archive
from privacy.audit import Audit, new_trace_id
from privacy.keys import KeyRing, begin_rotation, finish_rotation, load_keys, read_key_file
from privacy.pseudonymise import pseudonyms, records_frame
from privacy.vault import Vault, identities, rekey_map
from scoring import warehouse
from sql import sql
from vroeg.opsdb import db
from vroeg.opsdb import runs as run_registry
from vroeg.opsdb.models import Case, Delivery, KeyRotation, Publication, PublicationHousehold, Run
from vroeg.opsdb.statuses import DeliveryStatus, RunStatus
from vroeg.settings import Home

STEPS = ("sleutel", "kluis", "pakhuis", "portaal", "archief", "activeren")

#: A test (or an operator's debugger) may pass a callable that is called at every checkpoint
#: ("kluis:batch:1", "na:pakhuis", ...); raising there simulates a crash at that point.
Interrupt = Callable[[str], None]


class RotationError(Exception):
    """The rotation cannot continue safely; the message says why (counts, never data)."""


@dataclass(frozen=True)
class State:
    id: int
    gemeente: str
    from_version: int
    to_version: int
    step: str

    def done(self, step: str) -> bool:
        return STEPS.index(self.step) >= STEPS.index(step)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _open_row(url: str, gemeente: str) -> KeyRotation | None:
    with db.session(url) as s:
        return s.scalars(select(KeyRotation).where(KeyRotation.gemeente == gemeente,
                                                   KeyRotation.status == "bezig")
                         .order_by(KeyRotation.id.desc()).limit(1)).first()


def _state(row: KeyRotation) -> State:
    return State(row.id, row.gemeente, row.from_version, row.to_version, row.step)


def _record(url: str, state: State, step: str, counts: dict | None = None,
            finished: bool = False) -> State:
    with db.session(url) as s:
        row = s.get(KeyRotation, state.id)
        row.step = step
        row.updated_at = _now()
        if counts:
            row.counts = {**(row.counts or {}), step: counts}
        if finished:
            row.status = "klaar"
            row.finished_at = row.updated_at
        return _state(row)


def current_state(home: Home, gemeente: str) -> State | None:
    row = _open_row(home.database_url, gemeente)
    return _state(row) if row else None


#: Deliveries and runs younger than this that have not finished count as still running.
BUSY_WINDOW = dt.timedelta(hours=6)


def _busy(url: str, gemeente: str) -> tuple[int, int]:
    """Deliveries being ingested and runs being published right now (recently started, open)."""
    since = _now() - BUSY_WINDOW
    with db.session(url) as s:
        deliveries = s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.gemeente == gemeente, Delivery.status == DeliveryStatus.ONTVANGEN,
            Delivery.received_at >= since))
        started = s.scalars(select(Run).where(
            Run.gemeente == gemeente, Run.status == RunStatus.GESTART, Run.started_at >= since))
        # A run whose process is gone (killed) holds no key; the next run of its month takes it
        # over under whatever key is current then (vroeg.opsdb.runs.claim).
        alive = sum(1 for run in started if run_registry.is_alive(run))
    return int(deliveries or 0), alive


def start(home: Home, gemeente: str) -> State:
    """Begin a rotation, or pick up the one that was interrupted.

    A new rotation does not begin while deliveries or runs of the municipality are in progress:
    they hold the old key and would write under it after the stores were re-keyed. (Once the key
    file says `pending`, no new one can start.)
    """
    url = home.database_url
    row = _open_row(url, gemeente)
    data = read_key_file(home, gemeente)
    if row is None and data.get("pending") is None:
        deliveries, runs = _busy(url, gemeente)
        if deliveries or runs:
            raise RotationError(
                f"Er lopen nog verwerkingen voor gemeente {gemeente} ({deliveries} levering(en) "
                f"in behandeling, {runs} run(s) bezig). Start de sleutelrotatie als die klaar "
                "zijn.")
    if row is not None and data.get("pending") is None and int(data["current"]) == row.to_version:
        # Stopped after the key was activated but before the rotation was marked done: the
        # activation step runs again (it is idempotent) and finishes the record.
        return _record(url, _state(row), "archief")
    from_version, to_version = begin_rotation(home, gemeente)
    if row is not None and (row.from_version, row.to_version) == (from_version, to_version):
        return _state(row)
    with db.session(url) as s:
        if row is not None:  # a record that does not match the key file: superseded
            stale = s.get(KeyRotation, row.id)
            stale.status, stale.finished_at = "vervangen", _now()
        fresh = KeyRotation(gemeente=gemeente, from_version=from_version, to_version=to_version,
                            step="sleutel", counts={})
        s.add(fresh)
        s.flush()
        return _state(fresh)


def _rings(home: Home, state: State) -> tuple[KeyRing, KeyRing, KeyRing]:
    ring = load_keys(home, state.gemeente, allow_pending=True)
    return ring, ring.at(state.from_version), ring.at(state.to_version)


# ------------------------------------------------------------------------------------------------
# kluis
# ------------------------------------------------------------------------------------------------


def _partners_from_warehouse(home: Home, gemeente: str) -> dict[str, str]:
    with warehouse.connect(home.warehouse_path(gemeente)) as con:
        return dict(con.execute(sql("privacy/signal_partners")).fetchall())


def rekey_vault(home: Home, state: State, *, batch_size: int = 2000,
                interrupt: Interrupt | None = None) -> dict:
    ring, old, new = _rings(home, state)
    vault = Vault(home.vault_url(state.gemeente), ring)
    partners: dict[str, str] | None = None
    done = batches = 0
    while True:
        with vault.engine.begin() as connection:
            rows = connection.execute(
                select(identities).where(identities.c.sleutelversie == state.from_version)
                .order_by(identities.c.signaal_pseudoniem).limit(batch_size)
            ).mappings().all()
            if not rows:
                break
            records = [vault.open(r["signaal_pseudoniem"], r["sleutelversie"], r["verzegeld"])
                       for r in rows]
            if any(not rec.get("partner_id") for rec in records):
                partners = partners if partners is not None else _partners_from_warehouse(
                    home, state.gemeente)
                for row, rec in zip(rows, records, strict=True):
                    if not rec.get("partner_id"):
                        rec["partner_id"] = partners.get(row["signaal_pseudoniem"])
            frame = records_frame(records)
            before = pseudonyms(frame, old)
            stored = pl.DataFrame({
                "signaal_pseudoniem": [r["signaal_pseudoniem"] for r in rows],
                "huishouden_pseudoniem": [r["huishouden_pseudoniem"] for r in rows],
                "persoon_pseudoniem": [r["persoon_pseudoniem"] for r in rows],
            })
            mismatched = stored.height - before.filter(
                (before["signaal_pseudoniem"] == stored["signaal_pseudoniem"])
                & (before["huishouden_pseudoniem"] == stored["huishouden_pseudoniem"])
                & (before["persoon_pseudoniem"] == stored["persoon_pseudoniem"])
            ).height
            if mismatched:
                raise RotationError(
                    f"{mismatched} kluisrecords geven met de oude sleutel niet hun eigen "
                    "pseudoniemen terug; de rotatie stopt voordat er iets is gewijzigd in deze "
                    "partij. Neem contact op met de beheerder.")
            after = pseudonyms(frame, new)
            new_rows, mapping = [], []
            now = _now()
            for row, record, (signal, household, person) in zip(
                    rows, records, after.iter_rows(), strict=True):
                new_rows.append({
                    "signaal_pseudoniem": signal, "huishouden_pseudoniem": household,
                    "persoon_pseudoniem": person, "sleutelversie": state.to_version,
                    "verzegeld": vault.seal(signal, state.to_version, record),
                    "opgeslagen": row["opgeslagen"] or now,
                })
                mapping.append({
                    "oud_signaal": row["signaal_pseudoniem"], "nieuw_signaal": signal,
                    "oud_huishouden": row["huishouden_pseudoniem"], "nieuw_huishouden": household,
                    "oud_persoon": row["persoon_pseudoniem"], "nieuw_persoon": person,
                    "naar_versie": state.to_version,
                })
            connection.execute(insert(rekey_map), mapping)
            connection.execute(insert(identities), new_rows)
            connection.execute(delete(identities).where(identities.c.signaal_pseudoniem.in_(
                [r["signaal_pseudoniem"] for r in rows])))
        done += len(rows)
        batches += 1
        if interrupt:
            interrupt(f"kluis:batch:{batches}")
    by_version = vault.count_by_version()
    if by_version.get(state.from_version):
        raise RotationError(f"{by_version[state.from_version]} kluisrecords staan nog onder de "
                            "oude sleutel.")
    return {"kluisrecords": done, "kluis_totaal": sum(by_version.values())}


# ------------------------------------------------------------------------------------------------
# pakhuis
# ------------------------------------------------------------------------------------------------


def rekey_warehouse(home: Home, state: State, *, interrupt: Interrupt | None = None) -> dict:
    # Vault records written under the old key after the vault step (by a flow that had loaded the
    # key before the rotation began) are re-keyed first; normally there are none.
    rekey_vault(home, state)
    ring = load_keys(home, state.gemeente, allow_pending=True)
    vault = Vault(home.vault_url(state.gemeente), ring)
    with vault.engine.connect() as connection:
        rows = connection.execute(
            select(rekey_map.c.oud_signaal, rekey_map.c.nieuw_signaal, rekey_map.c.oud_huishouden,
                   rekey_map.c.nieuw_huishouden, rekey_map.c.nieuw_persoon)
            .where(rekey_map.c.naar_versie == state.to_version)).all()
    mapping = pl.DataFrame(
        [tuple(r) for r in rows], orient="row",
        schema={"oud_signaal": pl.String, "nieuw_signaal": pl.String, "oud_huishouden": pl.String,
                "nieuw_huishouden": pl.String, "nieuw_persoon": pl.String})
    with warehouse.connect(home.warehouse_path(state.gemeente), write=True) as con:
        before = con.execute(sql("privacy/signal_versions")).fetchall()
        signals_before = sum(n for _, n, _ in before)
        households_before = sum(h for _, _, h in before)
        with warehouse.transaction(con, rekey=mapping):
            con.execute(sql("privacy/rekey_signals_insert"), {"versie": state.to_version})
            con.execute(sql("privacy/rekey_signals_delete"))
            con.execute(sql("privacy/rekey_signal_updates"))
            con.execute(sql("privacy/rekey_brp_facts"))
            con.execute(sql("privacy/rekey_scores_insert"))
            con.execute(sql("privacy/rekey_scores_delete"))
            con.execute(sql("privacy/rekey_score_signals"))
            unmapped = con.execute(sql("privacy/rekey_scores_unmapped"),
                                   {"prefix": f"k{state.to_version}_"}).fetchone()[0]
            after = con.execute(sql("privacy/signal_versions")).fetchall()
            left = sum(n for v, n, _ in after if v != state.to_version)
            if left:
                # Rolled back by the transaction: the warehouse stays as it was.
                raise RotationError(
                    f"{left} signalen in het pakhuis hebben geen kluisrecord om ze mee te "
                    "hersleutelen; de rotatie van het pakhuis is teruggedraaid.")
            signals_after = sum(n for _, n, _ in after)
            households_after = sum(h for _, _, h in after)
            if (signals_after, households_after) != (signals_before, households_before):
                raise RotationError(
                    f"Aantallen kloppen niet na hersleutelen ({signals_before} -> {signals_after} "
                    f"signalen, {households_before} -> {households_after} huishoudens); "
                    "teruggedraaid.")
    if interrupt:
        interrupt("pakhuis:klaar")
    return {"signalen": signals_after, "huishoudens": households_after,
            "scores_zonder_kluisrecord_verwijderd": int(unmapped or 0)}


# ------------------------------------------------------------------------------------------------
# portaal
# ------------------------------------------------------------------------------------------------


def _household_columns(gemeente: str):
    """The operational database's columns holding household pseudonyms, each with the condition
    that keeps it to one municipality: (name, table, column, where)."""
    listed = select(Publication.id).where(Publication.gemeente == gemeente)
    return (
        ("lijsthuishoudens", PublicationHousehold.__table__,
         PublicationHousehold.__table__.c.huishouden_pseudoniem,
         PublicationHousehold.__table__.c.publication_id.in_(listed)),
        ("zaken", Case.__table__, Case.__table__.c.huishouden_pseudoniem,
         Case.__table__.c.gemeente == gemeente),
    )


def rekey_opsdb(home: Home, state: State, *, interrupt: Interrupt | None = None) -> dict:
    """Move the portal's household pseudonyms (list lines, cases) to the new key version.

    Without this the portal would lose the link between a list, its cases and the household
    after a rotation, and subject access or erasure by BSN would miss them. Rows of a household
    that has no vault record any more (its data destroyed, a case kept for its own term) cannot
    be re-keyed, as the input of the new pseudonym is gone; they keep their pseudonym, still
    consistent between list lines and cases, and subject access by address still finds them
    (it computes the pseudonyms under every key version). Idempotent: a re-keyed value is no
    longer in the map's old column.
    """
    ring = load_keys(home, state.gemeente, allow_pending=True)
    vault = Vault(home.vault_url(state.gemeente), ring)
    with vault.engine.connect() as connection:
        mapping = dict(connection.execute(
            select(rekey_map.c.oud_huishouden, rekey_map.c.nieuw_huishouden).distinct()
            .where(rekey_map.c.naar_versie == state.to_version)).all())
    prefix = f"k{state.to_version}_"
    counts: dict[str, int] = {}
    with db.session(home.database_url) as s:
        for name, table, column, where in _household_columns(state.gemeente):
            def tally(table=table, column=column, where=where) -> tuple[int, int]:
                rows, households = s.execute(select(func.count(), func.count(column.distinct()))
                                             .select_from(table).where(where)).one()
                return int(rows), int(households)

            before = tally()
            present = set(s.scalars(select(column).where(where).distinct()).all())
            moves = [{"oud": old, "nieuw": mapping[old]} for old in sorted(present)
                     if old in mapping]
            if moves:
                s.execute(update(table).where(where, column == bindparam("oud"))
                          .values({column.key: bindparam("nieuw")}), moves)
            after = tally()
            left = s.scalar(select(func.count()).select_from(table).where(
                where, column.in_([m["oud"] for m in moves]))) if moves else 0
            if left or after != before:
                # Raised inside the session: nothing of this step is kept.
                raise RotationError(
                    f"Hersleutelen van {name} in de operationele database klopt niet "
                    f"({before[0]} -> {after[0]} rijen, {before[1]} -> {after[1]} huishoudens, "
                    f"{left} nog onder de oude sleutel); teruggedraaid.")
            unmapped = s.scalar(select(func.count()).select_from(table).where(
                where, ~column.startswith(prefix)))
            counts[name] = len(moves)
            counts[f"{name}_zonder_kluisrecord"] = int(unmapped or 0)
    if interrupt:
        interrupt("portaal:klaar")
    return counts


# ------------------------------------------------------------------------------------------------
# archief, activeren
# ------------------------------------------------------------------------------------------------


def rekey_archive(home: Home, state: State, *, interrupt: Interrupt | None = None) -> dict:
    ring = load_keys(home, state.gemeente, allow_pending=True)
    new = ring.at(state.to_version)
    resealed = total = 0
    root = home.archive_dir(state.gemeente)
    for path in sorted(root.rglob("*.bin")) if root.is_dir() else []:
        total += 1
        if archive.reseal(path, new):
            resealed += 1
            if interrupt:
                interrupt(f"archief:bestand:{resealed}")
    return {"archiefbestanden": resealed, "archief_totaal": total}


def activate(home: Home, state: State) -> dict:
    finish_rotation(home, state.gemeente, state.to_version)
    ring = load_keys(home, state.gemeente)
    vault = Vault(home.vault_url(state.gemeente), ring)
    with vault.engine.begin() as connection:
        cleared = connection.execute(
            delete(rekey_map).where(rekey_map.c.naar_versie == state.to_version)).rowcount
    return {"sleutelversie": ring.version, "koppelingen_opgeruimd": cleared}


def run_step(home: Home, gemeente: str, step: str, *, trace_id: str | None = None,
             interrupt: Interrupt | None = None, batch_size: int = 2000) -> dict:
    """Run one step of the open rotation if it is not done yet; records it durably and audits."""
    row = _open_row(home.database_url, gemeente)
    if row is None:
        return {}
    state = _state(row)
    if state.done(step):
        return {}
    ring = load_keys(home, gemeente, allow_pending=True)
    audit = Audit(home.database_url, ring)
    with audit.operation(f"sleutelrotatie-{step}", trace_id or new_trace_id(),
                         van_versie=state.from_version, naar_versie=state.to_version) as op:
        if step == "kluis":
            counts = rekey_vault(home, state, batch_size=batch_size, interrupt=interrupt)
        elif step == "pakhuis":
            counts = rekey_warehouse(home, state, interrupt=interrupt)
        elif step == "portaal":
            counts = rekey_opsdb(home, state, interrupt=interrupt)
        elif step == "archief":
            counts = rekey_archive(home, state, interrupt=interrupt)
        else:
            counts = activate(home, state)
        op.attributes.update(counts)
    _record(home.database_url, state, step, counts, finished=step == "activeren")
    if interrupt:
        interrupt(f"na:{step}")
    return counts


def rotate(home: Home, gemeente: str, *, interrupt: Interrupt | None = None,
           batch_size: int = 2000) -> dict:
    """The whole rotation (or the rest of an interrupted one); returns counts per step."""
    state = start(home, gemeente)
    if interrupt:
        interrupt("na:sleutel")
    trace_id = new_trace_id()
    summary = {"gemeente": gemeente, "van_versie": state.from_version,
               "naar_versie": state.to_version}
    for step in STEPS[1:]:
        summary[step] = run_step(home, gemeente, step, trace_id=trace_id, interrupt=interrupt,
                                 batch_size=batch_size)
    return summary
