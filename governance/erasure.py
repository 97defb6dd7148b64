"""Erasure of one person (GDPR art. 17): irreversible, logged, in every store.

What `vroeg erase` does, and why (docs/privacy.md, "Erasure"):

- **Vault**: the person's identity records are destroyed (secure_delete: zeroed on disk).
- **Warehouse**: the person's signals and their change history are destroyed. Household scores
  stay while other residents of the address still have signals (they are about the address and
  carry the others' data too); a household left without signals loses its scores as well.
- **Archive**: every original delivery with a row about the person (found by BSN, or by address
  and surname, also among quarantined rows) is destroyed whole. The archive keeps originals
  unchanged and named by their SHA-256, so a file cannot be edited; destroying it is the only way
  to make sure it is never re-read for the person. The delivery stays registered (SHA-256, counts,
  a note why the original is gone), so the same file delivered again is still recognised as a
  duplicate and not loaded again. Other residents' loaded signals from that file are unaffected.
- **Outbox**: the household's row is taken out of every visit list still in the outbox (CSV and
  XLSX; other rows and their ranks unchanged, a note on the XLSX's Toelichting sheet). Copies a
  wijkteam already downloaded are outside this system: the command lists the teams and periods
  so the privacy officer can ask them to destroy their copy. The list's record of its lines
  (publication_households) loses the household and takes the changed file's SHA-256, so the
  portal keeps showing the rest of the list, the other lines under their own numbers.
- **Cases** (the portal): about the household at the address. Destroyed when no other resident
  of the household is left in the vault; kept while others remain (they are about them too).
- **Audit trail**: append-only, so the lines about the person stay (their subject is an encrypted
  pseudonym) until the trail's own retention term; the erasure adds one line per data subject.

A new signal about the person delivered later is a new processing under the Wgs and is loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import polars as pl
from sqlalchemy import delete, or_, select

from governance.subject import (
    Query,
    SubjectProblem,
    archive_matches,
    households_of,
    list_files,
    locate,
)
from privacy.context import Context
from privacy.purposes import ERASURE
from privacy.vault import subject_token
from publishing.visit_list import NAMES_BY_LABEL
from scoring import warehouse
from sql import sql
from vroeg.files import write_atomic
from vroeg.opsdb import db
from vroeg.opsdb.cases import cases_of_households, delete_cases_of_households
from vroeg.opsdb.models import Delivery, Publication, PublicationHousehold


def _address_of(row: dict) -> tuple[str, str, str] | None:
    """The normalised address of a visit-list row (cells may carry a formula-guard quote)."""
    def cell(name: str) -> str:
        value = row.get(name) or ""
        return value[1:] if value.startswith("'") else value

    return Query(postcode=cell("postcode"), huisnummer=cell("huisnummer"),
                 toevoeging=cell("huisnummertoevoeging")).address_key()


def _rank(row: dict) -> int | None:
    try:
        return int((row.get("rang") or "").strip())
    except ValueError:
        return None


def _doomed_row(row: dict, addresses: set[tuple[str, str, str]], ranks: set[int]) -> bool:
    """At one of the addresses, or (a household merged through the BRP's address object) at
    one of the ranks."""
    return _address_of(row) in addresses or (bool(ranks) and _rank(row) in ranks)


def _strip_csv(path: Path, addresses: set[tuple[str, str, str]],
               ranks: set[int] = frozenset()) -> list[int | None]:
    """Take the rows at these addresses (or ranks) out of a list's CSV; returns the ranks of
    those rows."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    named = [dict(zip(header, r, strict=False)) for r in body]
    kept = [r for r, n in zip(body, named, strict=True) if not _doomed_row(n, addresses, ranks)]
    removed = [_rank(n) for n in named if _doomed_row(n, addresses, ranks)]
    if not removed:
        return []
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(kept)
    write_atomic(path, buffer.getvalue().encode("utf-8-sig"))
    return removed


def _strip_xlsx(path: Path, addresses: set[tuple[str, str, str]], stamp: str,
                ranks: set[int] = frozenset()) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    doomed: list[int] = []
    # Every list sheet (Bezoeklijst and Wachtlijst), not the explanation.
    for sheet in [ws for ws in workbook.worksheets if ws.title != "Toelichting"]:
        # Dutch headings (machine names in lists published before they were Dutch).
        header = [NAMES_BY_LABEL.get(c.value, c.value) for c in sheet[1]]
        rows = [
            index for index, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True),
                                                start=2)
            if _doomed_row({h: (str(v) if v is not None else "") for h, v in
                            zip(header, cells, strict=False)}, addresses, ranks)
        ]
        for index in reversed(rows):
            sheet.delete_rows(index)
        doomed += rows
    if doomed and "Toelichting" in workbook.sheetnames:
        info = workbook["Toelichting"]
        info.append(["Verwijderd", f"{len(doomed)} rij(en) verwijderd op {stamp} wegens een "
                                   "verwijderverzoek (AVG art. 17)."])
    if doomed:
        buffer = io.BytesIO()
        workbook.save(buffer)
        write_atomic(path, buffer.getvalue())
    return len(doomed)


def erase(ctx: Context, query: Query, *, trace_id: str) -> dict:
    """Destroy everything about the person in vault, warehouse, archive and outbox; counts only."""
    located = locate(ctx, query)
    with ctx.audit.operation("verwijderverzoek", trace_id,
                             gezocht_op="bsn" if query.bsn else "adres") as op:
        # Who exactly: decrypting is needed to find the person in list rows and in originals
        # without a BSN, and (by address) to keep only the named surname. Logged per subject.
        people = ctx.vault.reidentify(
            located.record_households, purpose=ERASURE, audit=ctx.audit,
            trace_id=trace_id, parent=op.operation_id,
            persons=located.record_persons if query.bsn else None)
        records = [rec for household in people.values() for rec in household]
        if query.achternaam:
            wanted = query.achternaam.strip().lower()
            records = [r for r in records if (r.get("achternaam") or "").lower() == wanted]
        signals = sorted({r["signaal_pseudoniem"] for r in records})
        chosen = [r for r in located.records if r.signaal in set(signals)]
        households = sorted({r.huishouden for r in chosen})
        tokens = sorted({subject_token(r.persoon, r.huishouden) for r in chosen})
        addresses = {key for key in (
            Query(postcode=r.get("postcode"), huisnummer=r.get("huisnummer"),
                  toevoeging=r.get("huisnummertoevoeging") or "").address_key() for r in records)
            if key}

        hits, unreadable = archive_matches(ctx, query, records)

        # Warehouse first: if a flow holds its write lock this fails before anything is gone.
        doomed = pl.DataFrame({"signaal_pseudoniem": signals},
                              schema={"signaal_pseudoniem": pl.String})
        erased_households = pl.DataFrame({"huishouden_pseudoniem": households},
                                         schema={"huishouden_pseudoniem": pl.String})
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            with warehouse.transaction(con, doomed=doomed, erased_households=erased_households):
                listed = con.execute(sql("privacy/erasure_listed_runs")).fetchall()
                merged = con.execute(sql("privacy/erasure_merged_ranks")).fetchall()
                listed = sorted({*listed, *((run, team) for run, team, _rank in merged)})
                updates = con.execute(sql("privacy/delete_signal_updates")).fetchone()[0]
                con.execute(sql("privacy/delete_brp_facts"))
                deleted_signals = con.execute(sql("privacy/delete_signals")).fetchone()[0]
                con.execute(sql("privacy/erasure_scrub_score_signals"))
                scores = con.execute(sql("privacy/erasure_delete_household_scores")).fetchone()[0]
        # Deleted rows linger in DuckDB's free blocks; rewrite the file with live data only.
        warehouse.compact(ctx.warehouse_path)

        vault_deleted = ctx.vault.delete_signals(signals)

        stamp = dt.datetime.now(dt.UTC).date().isoformat()
        with db.session(ctx.database_url) as s:
            for hit in hits:
                hit.path.unlink(missing_ok=True)
                for d in s.scalars(select(Delivery).where(Delivery.id.in_(hit.deliveries))):
                    d.archive_path = None
                    d.notes = [*(d.notes or []),
                               f"origineel vernietigd op {stamp}: verwijderverzoek (AVG art. 17)"]

        # The outbox: the household's row out of every list still there. The list's record of
        # its lines (publication_households) loses that row's household too, and its published
        # SHA-256 becomes the changed file's, so the portal still shows the rest of the list
        # (it refuses a file that differs from its record). The other lines keep their numbers.
        homes = households_of(ctx, records)  # the households under every key version
        with db.session(ctx.database_url) as s:
            on_lists = set(s.scalars(select(PublicationHousehold.publication_id).where(
                PublicationHousehold.huishouden_pseudoniem.in_(sorted(homes)))).all()
                ) if homes else set()
            clauses = [Publication.id.in_(on_lists)] if on_lists else []
            if listed:
                clauses.append(Publication.run_id.in_({run for run, _ in listed}))
            publications = s.scalars(select(Publication).where(
                Publication.gemeente == ctx.gemeente, or_(*clauses))
                .order_by(Publication.id)).all() if clauses and addresses else []
        list_rows = pairs_removed = 0
        teams: list[dict] = []
        changed_lists: list[dict] = []
        for p in publications:
            if (p.run_id, p.wijkteam) not in set(listed) and p.id not in on_lists:
                continue
            ranks: list[int | None] = []
            removed = 0
            csv_file, xlsx_file = list_files(ctx, p)
            at = {rank for run, team, rank in merged if (run, team) == (p.run_id, p.wijkteam)}
            if csv_file.exists():
                ranks = _strip_csv(csv_file, addresses, at)
                removed = len(ranks)
            if xlsx_file.exists():
                removed = max(removed, _strip_xlsx(xlsx_file, addresses, stamp, at))
            list_rows += removed
            if removed:
                with db.session(ctx.database_url) as s:
                    pairs_removed += s.execute(delete(PublicationHousehold).where(
                        PublicationHousehold.publication_id == p.id,
                        or_(PublicationHousehold.rang.in_([r for r in ranks if r is not None]),
                            PublicationHousehold.huishouden_pseudoniem.in_(sorted(homes))))
                    ).rowcount
                    if ranks:
                        record = s.get(Publication, p.id)
                        record.csv_sha256 = hashlib.sha256(csv_file.read_bytes()).hexdigest()
                        changed_lists.append({"publicatie": p.id,
                                              "csv_sha256": record.csv_sha256})
            teams.append({"wijkteam": p.wijkteam, "periode": p.period, "run": p.run_id,
                          "rij_verwijderd_uit_outbox": bool(removed)})

        # Cases (the portal): about the household at the address, not about one resident. They
        # are destroyed when no other resident of that household is left in the vault; while
        # others remain, the case is about them too and stays (docs/privacy.md, "Erasure").
        left = {r.huishouden for r in ctx.vault.index(households=households)}
        household_of = {r.signaal: r.huishouden for r in chosen}
        vacated = households_of(ctx, [rec for rec in records
                                      if household_of.get(rec["signaal_pseudoniem"]) not in left])
        kept_homes = homes - vacated
        cases_deleted, attempts_deleted = delete_cases_of_households(
            ctx.database_url, ctx.gemeente, vacated) if vacated else (0, 0)
        cases_kept = len(cases_of_households(ctx.database_url, ctx.gemeente, kept_homes)
                         ) if kept_homes else 0

        if tokens:
            stores = ["kluis", "pakhuis", "archief", "outbox"] + (["zaken"] if cases_deleted
                                                                 else [])
            ctx.audit.subjects("verwijdering", trace_id, op.operation_id, tokens,
                               reden="verwijderverzoek", opslagen=stores)
        counts = {
            "kluisrecords": vault_deleted, "signalen": int(deleted_signals),
            "signaalwijzigingen": int(updates), "huishoudscores": int(scores),
            "archiefbestanden": len(hits), "archief_onleesbaar": unreadable,
            "lijstrijen": list_rows, "lijsthuishoudens": pairs_removed,
            "zaken": cases_deleted, "contactpogingen": attempts_deleted,
            "zaken_behouden": cases_kept, "betrokkenen": len(tokens),
        }
        op.attributes.update(counts)
        if changed_lists:
            # What the lists' files are now, so the change can be traced to this request.
            op.attributes["gewijzigde_lijsten"] = changed_lists
    return {**counts, "bezoeklijsten": teams}


__all__ = ["SubjectProblem", "erase"]
