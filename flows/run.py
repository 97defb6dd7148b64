"""The monthly run: match and score households for a period, publish one list per wijkteam.

Also the what-if flow: the same scoring with other weights, compared with the current rules,
without publishing or re-identifying anyone.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from flows.progress import progress
from flows.runner import current_run_id, flow, in_threads, step
from privacy.audit import new_trace_id
from privacy.context import context
from publishing.publish import Planned, audit_publication, plan_team, publish_team
from publishing.visit_list import WORKER_MIN_HOUSEHOLDS, workbook_worker
from scoring import exclusions, warehouse
from scoring.brp import score_with_brp
from scoring.card import write_card
from scoring.score import (
    SCORING_SQL,
    Period,
    check_period,
    rules_version,
    run_output_digest,
    team_totals,
)
from scoring.whatif import apply_overrides, compare
from sql import sql_hashes
from vroeg.formats import today_in
from vroeg.opsdb import runs
from vroeg.opsdb.statuses import RunStatus
from vroeg.safety import scrubbed


def card_dir(ctx) -> Path:
    """Where algorithm cards are written: $VROEG_HOME/algoritmekaart/<gemeente>/."""
    return ctx.home.root / "algoritmekaart" / ctx.gemeente


@step("uitsluitingslijsten")
def exclusions_task(gemeente: str, run_id: str, trace_id: str) -> list[dict]:
    """Load configured exclusion lists that changed (as pseudonyms); report every list."""
    ctx = context(gemeente)
    with scrubbed("uitsluitingslijsten"), ctx.audit.operation(
            "uitsluitingslijsten", trace_id, run=run_id) as op:
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            report = exclusions.sync_configured(
                con, ctx.municipality, ctx.home.config_dir(gemeente), ctx.keys,
                database_url=ctx.database_url)
        op.attributes.update(lijsten={r["lijst"]: r["status"] for r in report})
    for item in report:
        if item["status"] == "niet geladen":
            progress().warning("Uitsluitingslijst %s is nooit geladen.", item["lijst"])
        elif item["status"] == "oude sleutel":
            progress().warning("Uitsluitingslijst %s is geladen onder een oude sleutel en werkt "
                               "niet meer: laad hem opnieuw.", item["lijst"])
    return report


@step("matchen-en-scoren")
def score_task(gemeente: str, period: str, run_id: str, trace_id: str) -> dict:
    ctx = context(gemeente)
    with scrubbed("scoren"), ctx.audit.operation(
            "matchen-en-scoren", trace_id, run=run_id, periode=period,
            regelversie=rules_version(ctx.municipality), sql=sql_hashes(SCORING_SQL),
            sleutelversie=ctx.keys.version) as op:
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            totals = score_with_brp(con, ctx, ctx.municipality,
                                    Period.of(ctx.municipality, period), run_id, trace_id,
                                    op.operation_id)
            op.attributes.update(uitvoer_sha256=run_output_digest(con, run_id))
        op.attributes.update(totals)
    return totals


@step("publiceren")
def publish_task(gemeente: str, period: str, run_id: str, wijkteam: str, trace_id: str) -> dict:
    return publish_one(gemeente, period, run_id, wijkteam, trace_id)


def publish_one(gemeente: str, period: str, run_id: str, wijkteam: str, trace_id: str, *,
                reason: Callable[[Planned], str] | None = None) -> dict:
    """Publish a run's list of one team (a plain function: the monthly run's step and the crisis
    lane, flows.crisis, both use it). `reason` words why the new version replaces the current
    one, when the caller knows better than plan_team (the crisis lane's additions)."""
    ctx = context(gemeente)
    done = runs.published(ctx.database_url, run_id).get(wijkteam)
    if done is not None:
        # Published by an attempt that was interrupted or retried afterwards: never twice.
        return published_summary(ctx, run_id, done)
    chosen = Period.of(ctx.municipality, period)
    with scrubbed("publiceren"):
        planned = plan_team(ctx, chosen, run_id, wijkteam)
    if planned.unchanged:
        # The same list as the month's current one: nothing is written, nobody re-identified.
        return published_summary(ctx, run_id, planned.current, status="ongewijzigd")
    if reason is not None and planned.current is not None:
        planned = replace(planned, reason=reason(planned))
    with scrubbed("publiceren"), ctx.audit.operation(
            "publicatie", trace_id, run=run_id, wijkteam=wijkteam,
            sleutelversie=ctx.keys.version) as op:
        def audit_lines(written) -> None:
            audit_publication(ctx, run_id, wijkteam, trace_id, op.operation_id,
                              households=[r["huishouden_pseudoniem"] for r in planned.ranked],
                              csv_sha256=written.csv_sha256)

        written = publish_team(ctx, chosen, run_id, wijkteam, trace_id, op.operation_id,
                               before_register=audit_lines, planned=planned)
        op.attributes.update(huishoudens=written.households, wachtlijst=written.waiting,
                             csv_sha256=written.csv_sha256,
                             versie=planned.current.version + 1 if planned.current else 1)
    return {
        "wijkteam": wijkteam,
        "huishoudens": written.households,
        "wachtlijst": written.waiting,
        "crisis": written.crisis,
        "csv": str(written.csv_path),
        "xlsx": str(written.xlsx_path),
        "versie": planned.current.version + 1 if planned.current else 1,
        "status": "nieuwe versie" if planned.current else "gepubliceerd",
        "vervangt": planned.reason,
    }


@step("algoritmekaart")
def card_task(gemeente: str) -> dict:
    """The card of the rules this run uses, so every list's version has a card on disk."""
    ctx = context(gemeente)
    with scrubbed("algoritmekaart"):
        md_path, json_path = write_card(ctx.municipality, card_dir(ctx))
    return {"md": str(md_path), "json": str(json_path)}


def largest_first(warehouse_path: Path, run_id: str, teams: list) -> list:
    """The teams in the order a large run publishes them: most listed households first. The
    largest list's workbook is then rendered while the others are prepared, instead of last with
    nothing beside it (a national year: one team holds half of the 66,000 listed households)."""
    with warehouse.connect(warehouse_path) as con:
        sizes = team_totals(con, run_id)
    return sorted(teams, key=lambda team: -sum(
        sizes.get(team.code, {}).get(k, 0) for k in ("bezoeklijst", "wachtlijst")))


def published_summary(ctx, run_id: str, publication, status: str = "gepubliceerd") -> dict:
    """What publish_task returns for a team published before (by an interrupted attempt of
    this run, or, status "ongewijzigd", the month's current list that this run leaves as it
    is)."""
    with warehouse.connect(ctx.warehouse_path) as con:
        totals = team_totals(con, run_id).get(publication.wijkteam, {})
    return {"wijkteam": publication.wijkteam, "huishoudens": publication.households,
            "wachtlijst": totals.get("wachtlijst", 0), "crisis": totals.get("crisis", 0),
            "csv": publication.csv_path, "xlsx": publication.xlsx_path,
            "versie": publication.version, "status": status, "vervangt": None}


def new_run_id(period: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{period}-{stamp}-{secrets.token_hex(2)}"


@flow("matchen-en-publiceren")
def run_flow(gemeente: str, period: str | None = None) -> dict:
    """Score `period` (YYYY-MM; default the last complete month, or in a shorter cadence the
    current one: Period.to_run) and publish every team's list."""
    ctx = context(gemeente)
    municipality = ctx.municipality
    today = today_in(municipality.timezone)
    chosen = Period.to_run(municipality, period, today)
    trace_id = new_trace_id()
    logger = progress()
    version = rules_version(municipality)
    check_period(ctx.warehouse_path, chosen, today, municipality.operations.cadence)
    # A run of this period that failed half-way, or whose process died (killed, a power cut),
    # is finished under its own id (crash safety): scoring is repeated (it replaces the run's
    # scores), teams already published are not. A run of the month still working refuses this
    # one (runs.RunInProgress).
    run_id, resumed = runs.claim(ctx.database_url, ctx.gemeente, str(chosen), version,
                                 current_run_id(), new_run_id(str(chosen)))
    if resumed:
        logger.info("Run %s was onderbroken; die wordt afgemaakt.", run_id)
    with runs.heartbeat(ctx.database_url, run_id):
        try:
            lists_used = exclusions_task(gemeente, run_id, trace_id)
            totals = score_task(gemeente, str(chosen), run_id, trace_id)
            logger.info(
                "Periode %s: %d huishoudens gematcht; %d op een bezoeklijst (%d met crisis), %d "
                "op een wachtlijst; niet op de lijst: %d onder de drempel, %d herhaling, %d "
                "buiten de termijn, %d uitgesloten.", chosen.label, totals["huishoudens"],
                totals["op_lijst"], totals["crisis"], totals["wachtlijst"],
                totals["onder_drempel"], totals["herhaling"], totals["buiten_termijn"],
                totals["uitgesloten"])
            if "brp_melding" in totals:
                logger.warning("%s", totals["brp_melding"])
            card = card_task(gemeente)
            # A large run publishes two teams at a time with the workbooks rendered in a worker
            # process (publishing.visit_list.workbook_worker): one team's XLSX on the second
            # core while the next team is re-identified here. Each team is still its own step,
            # written and registered on its own; a small run does them one by one.
            large = totals["op_lijst"] + totals["wachtlijst"] >= WORKER_MIN_HOUSEHOLDS
            teams = list(municipality.wijkteams)
            order = largest_first(ctx.warehouse_path, run_id, teams) if large else teams
            with workbook_worker(large):
                done = in_threads(
                    lambda team: publish_task(gemeente, str(chosen), run_id, team.code,
                                              trace_id),
                    order, workers=2 if large else 1)
            by_team = {team.code: item for team, item in zip(order, done, strict=True)}
            lists = [by_team[team.code] for team in teams]
        except BaseException:
            runs.finish(ctx.database_url, run_id, RunStatus.MISLUKT, None)
            raise
        summary = {"gemeente": gemeente, "periode": str(chosen), "run": run_id,
                   "regelversie": version, **totals, "lijsten": lists,
                   "uitsluitingslijsten": lists_used, "algoritmekaart": card}
        runs.finish(ctx.database_url, run_id, RunStatus.GEPUBLICEERD, summary)
    unchanged = sum(1 for item in lists if item["status"] == "ongewijzigd")
    logger.info("%d bezoeklijsten gepubliceerd, %d ongewijzigd (regelversie %s).",
                len(lists) - unchanged, unchanged, version)
    return summary


@step("wat-als")
def whatif_task(gemeente: str, period: str, overrides: dict, trace_id: str) -> dict:
    ctx = context(gemeente)
    base = ctx.municipality
    alternative = apply_overrides(base, overrides)
    with scrubbed("wat-als"), ctx.audit.operation(
            "wat-als", trace_id, periode=period, regelversie=rules_version(base),
            regelversie_alternatief=rules_version(alternative), gepubliceerd=False,
            geheridentificeerd=0) as op:
        with warehouse.connect(ctx.warehouse_path, write=True) as con:
            result = compare(con, base, alternative, Period.of(base, period),
                             config_dir=ctx.home.config_dir(gemeente), keys=ctx.keys,
                             database_url=ctx.database_url)
        op.attributes.update(result["totaal"])
    return result


@flow("wat-als", notify=False)
def whatif_flow(gemeente: str, period: str | None = None, overrides: dict | None = None) -> dict:
    """Dry run: how each team's list would change under `overrides` (weights only, no people).

    Nothing is published or re-identified and the warehouse is left as it was; the audit trail
    records that the comparison ran, with its counts.
    """
    ctx = context(gemeente)
    chosen = Period.of(ctx.municipality, period)
    result = whatif_task(gemeente, str(chosen), overrides or {}, new_trace_id())
    total = result["totaal"]
    progress().info("Wat-als %s: %d erbij, %d eraf, %d verschoven; niets gepubliceerd.",
                    chosen.label, total["erbij"], total["eraf"], total["verschoven"])
    return result
