"""Our pipeline, step by step, with the project's own step functions (no Prefect).

Each step is what one Prefect task of flows/ingest.py or flows/run.py does, in the same order, on
the same delivery: receive, read (decrypt archive, split CSV, map, parse), validate (GX suite,
quarantine records), pseudonymise, vault, load, score, publish (one list per wijkteam). One-off
costs of a process (operational database migrations, vault engine, GX context and suite) are
measured once as `setup` and not counted in the steps, as a long-running worker pays them once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from bench.measure import Meter

#: The steps in pipeline order (the keys the floor and the report use).
STEPS = ("receive", "read", "validate", "pseudonymise", "vault", "load", "score", "publish")


def run(csv_path: Path, *, today: dt.date, period: str, meter: Meter) -> dict:
    import connectors
    from connectors.mapping import map_to_standard
    from flows.ingest import receive_bytes
    from flows.run import largest_first
    from flows.runner import in_threads
    from privacy import archive
    from privacy.audit import new_trace_id
    from privacy.context import context
    from privacy.pseudonymise import pseudonymise
    from publishing.publish import publish_team
    from publishing.visit_list import WORKER_MIN_HOUSEHOLDS, workbook_worker
    from quality.suite import SUITE_VERSION
    from quality.validate import validate
    from scoring import warehouse
    from scoring.load import load_signals
    from scoring.score import Period, rules_version, score_period
    from vroeg.config import standard_partner
    from vroeg.opsdb import db, deliveries, runs

    ctx = context("0080")
    municipality = ctx.municipality
    partner = standard_partner()
    measured = []

    with meter.step("setup") as m:
        db.engine(ctx.database_url)
        ctx.vault.count()
        with warehouse.connect(ctx.warehouse_path, write=True):
            pass
        # A few rows through read and validate: GX context and suite registration are per process.
        head = b"".join(csv_path.open("rb").readlines()[:11])
        sample = connectors.parse(connectors.read_delivery(head, "opwarmen.csv", partner,
                                                           municipality.partners), municipality)
        validate(sample, municipality, "opwarmen.csv", today)
    measured.append(m)

    data = csv_path.read_bytes()
    with meter.step("receive") as m:
        received = receive_bytes(ctx, data, csv_path.name, partner.id)
    del data
    measured.append(m)

    with meter.step("read") as m:
        with meter.step("read.decrypt"):
            raw = archive.load(archive.archive_path(ctx.home.archive_dir(ctx.gemeente),
                                                    received.sha256), ctx.keys)
        with meter.step("read.csv") as part:
            table = connectors.read_table(raw, received.filename, partner)
            part.rows = table.rows
        del raw
        with meter.step("read.map", table.rows):
            mapped = map_to_standard(table, partner, received.filename, municipality.partners)
        del table
        with meter.step("read.parse", mapped.rows):
            parsed = connectors.parse(mapped, municipality)
        m.rows = parsed.height
    # Rows are only known once read; receive and decrypt handled the same rows as bytes.
    measured[-1].rows = m.parts[0].rows = parsed.height
    notes = list(mapped.notes)
    del mapped
    measured.append(m)

    with meter.step("validate", parsed.height) as m:
        with meter.step("validate.suite", parsed.height):
            outcome = validate(parsed, municipality, received.filename, today)
        with meter.step("validate.record", len(outcome.entries)):
            deliveries.record_validation(ctx.database_url, received.delivery_id, outcome, notes,
                                         suite_version=SUITE_VERSION)
    del parsed
    measured.append(m)
    clean = outcome.clean

    with meter.step("pseudonymise", clean.height) as m:
        result = pseudonymise(clean, ctx.keys)
    measured.append(m)
    del clean, outcome

    with meter.step("vault", result.identities.height) as m:
        ctx.vault.store(result.identities)
    measured.append(m)
    facts = result.facts
    del result

    with meter.step("load", facts.height) as m:
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            counts = load_signals(con, facts, received.delivery_id)
        deliveries.finish(ctx.database_url, ctx.gemeente, received.delivery_id,
                          loaded=counts.loaded, updated=counts.updated,
                          duplicates=counts.duplicates)
    measured.append(m)
    del facts

    chosen = Period.parse(period)
    run_id = f"{period}-bench-{secrets.token_hex(2)}"
    trace_id = new_trace_id()
    with meter.step("score") as m:
        run_id, _ = runs.claim(ctx.database_url, ctx.gemeente, period,
                               rules_version(municipality), None, run_id)
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            totals = score_period(con, municipality, chosen, run_id)
        m.rows = totals["signalen"]
    measured.append(m)

    # Published (and re-identified): the bezoeklijst and the wachtlijst of every team.
    listed = totals["op_lijst"] + totals["wachtlijst"]
    # As run_flow publishes: a large run two teams at a time, the workbooks rendered in a worker
    # process (its CPU seconds are not in this process's cpu s).
    large = listed >= WORKER_MIN_HOUSEHOLDS
    with meter.step("publish", listed) as m, workbook_worker(large):
        teams = list(municipality.wijkteams)
        written = in_threads(lambda team: publish_team(ctx, chosen, run_id, team.code, trace_id),
                             largest_first(ctx.warehouse_path, run_id, teams) if large else teams,
                             workers=2 if large else 1)
    measured.append(m)

    summary = deliveries.summary(ctx.database_url, received.delivery_id)
    return {
        "measurements": [x.as_dict() for x in measured],
        "counts": {
            "rows_read": summary["rijen_gelezen"],
            "rows_loaded": summary["rijen_geladen"],
            "rows_quarantined": summary["rijen_quarantaine"],
            "rows_duplicate": summary["rijen_dubbel"],
            "adds_up": summary["klopt"],
            "period": period,
            "households": totals["huishoudens"],
            "listed": listed,
            "lists": len(written),
            "listed_written": sum(w.households + w.waiting for w in written),
        },
    }
