"""The crisis lane (issue 17): crisis households reach their team's list when their delivery is
loaded, not at the next monthly run.

`crisis_step` runs after the load of every delivery (flows.ingest.process: `vroeg ingest`,
`vroeg collect` and the served collect flow). When the delivery holds crisis signals of the month
being worked on (the last complete month or the current one), for each such period:

1. a crisis run is claimed (vroeg.opsdb.runs.claim, kind "crisis"): it never works alongside a
   monthly run or another crisis run of the month, and a failed one is not resumed: the next
   crisis run scores every crisis household of the period again, so it finds those a failed one
   did not publish, and a team it did publish has them on its list already;
2. the period's crisis households (every household with a crisis signal in it, whichever
   delivery brought it) are scored with the monthly run's SQL restricted to them
   (scoring.score.score_rules): exclusion lists, repeat suppression, the BRP check and the audit
   trail apply exactly as in the monthly run. Those it lists as crisis households and that are
   not on their team's current list as such are the additions;
3. for each team with additions, the crisis run's list is the current list's lines as the run
   that published it scored them, plus the additions (sql/crisis/*.sql), published as the
   team's next version with the monthly run's publishing code (flows.run.publish_one): earlier
   lines, cases and contact attempts stay; no list of the period yet: version 1 holds just the
   additions, and the monthly run later publishes the next version, keeping the cases;
4. the team's coordinators are told (vroeg.notify.notify_crisis): counts only.

The ordinary signals of the delivery wait for the monthly run. Everything here is pseudonyms and
counts; only publishing re-identifies, as in the monthly run.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flows.progress import progress
from flows.runner import Step, current_run_id
from privacy.context import context
from scoring import exclusions, warehouse
from scoring.score import SCORING_SQL, Period, rules_version
from scoring.warehouse import transaction
from sql import sql, sql_hashes
from vroeg import notify
from vroeg.errors import RunInProgress
from vroeg.formats import day_or_today
from vroeg.opsdb import crisis, runs
from vroeg.opsdb.statuses import RunKind, RunStatus
from vroeg.safety import scrubbed

CRISIS_SQL = ("crisis/delivery_months", "crisis/period_households", "crisis/listed_crisis",
              "crisis/current_crisis", "crisis/drop_unlisted", "crisis/copy_current",
              "crisis/rerank", "crisis/team_listed")


def new_crisis_run_id(period: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{period}-crisis-{stamp}-{secrets.token_hex(2)}"


def crisis_periods(gemeente: str, delivery_id: str, today: str | None = None) -> list[Period]:
    """The periods whose lists a delivery's crisis signals belong on: the month each signal
    date falls in, when that is the month being worked on (the last complete month, whose list
    the monthly run publishes early next month) or the current one. An older crisis signal is
    left to a re-run of its month: a list of months ago is no longer worked from."""
    ctx = context(gemeente)
    municipality = ctx.municipality
    if not ctx.warehouse_path.exists():
        return []
    with warehouse.connect(ctx.warehouse_path) as con:
        months = [m for (m,) in con.execute(sql("crisis/delivery_months"),
                                            {"levering_id": delivery_id}).fetchall()]
    day = day_or_today(today, municipality.timezone)
    oldest = str(Period.last_complete(municipality.timezone, day))
    length = municipality.matching.period_months
    return [Period.parse(m, length) for m in months if m >= oldest]


def _additions(con, ctx, run_id: str, period: Period) -> dict[str, list[str]]:
    """Per team, the crisis households the run lists that its current list does not hold as
    crisis households (pseudonyms)."""
    added: dict[str, list[str]] = {}
    on_list: dict[str, set[str]] = {}
    for team, household in con.execute(sql("crisis/listed_crisis"),
                                       {"run_id": run_id}).fetchall():
        if team not in on_list:
            current = runs.current_publication(ctx.database_url, ctx.gemeente, team,
                                               str(period))
            on_list[team] = set() if current is None else {
                h for (h,) in con.execute(sql("crisis/current_crisis"), {
                    "vorige_run": current.run_id, "wijkteam": team}).fetchall()}
        if household not in on_list[team]:
            added.setdefault(team, []).append(household)
    return added


def _compose(con, ctx, run_id: str, period: Period, team: str, added: list[str]) -> None:
    """The crisis run's list of a team: the current list's lines plus the additions, ranked."""
    current = runs.current_publication(ctx.database_url, ctx.gemeente, team, str(period))
    params = {"run_id": run_id, "wijkteam": team, "toegevoegd": added}
    with transaction(con):
        con.execute(sql("crisis/drop_unlisted"), params)
        if current is not None:
            con.execute(sql("crisis/copy_current"), {**params, "vorige_run": current.run_id})
        con.execute(sql("crisis/rerank"), params)
        if current is not None:
            # The current list's scores must all be there (retention or an erasure may have
            # removed them): never publish a version that silently lost earlier lines.
            earlier = set(runs.listed_households(ctx.database_url, current.id))
            now = {h for (h,) in con.execute(sql("crisis/team_listed"), {
                "run_id": run_id, "wijkteam": team}).fetchall()}
            if not earlier <= now:
                raise RuntimeError(f"crisisroute: de scores van de huidige lijst van {team} "
                                   f"({current.run_id}) zijn niet compleet")


def add_crisis_households(gemeente: str, period: Period, trace_id: str) -> dict:
    """The crisis lane for one period (see the module's docstring); counts only."""
    # Imported here, not at the top: most deliveries hold no crisis signal, and every
    # `vroeg ingest` would otherwise load the publishing code and the BRP client (0.1 s).
    from flows.run import publish_one
    from scoring.brp import score_with_brp

    ctx = context(gemeente)
    municipality = ctx.municipality
    logger = progress()
    version = rules_version(municipality)
    run_id, _ = runs.claim(ctx.database_url, gemeente, str(period), version, current_run_id(),
                           new_crisis_run_id(str(period)), kind=RunKind.CRISIS)
    lists: list[dict] = []
    with runs.heartbeat(ctx.database_url, run_id):
        try:
            # A crisis run that died between publishing a list and telling the team: tell them
            # now (the households are on the list, so this run does not add them again).
            for untold in crisis.untold_publications(ctx.database_url, gemeente, str(period)):
                notify.notify_crisis(ctx.database_url, municipality, untold.wijkteam,
                                     str(period), untold.households, untold.version)
                logger.warning("Crisisroute: de coördinatoren van %s zijn alsnog gewaarschuwd "
                               "(%s, versie %d).", untold.wijkteam, period, untold.version)
            with scrubbed("crisisroute"), ctx.audit.operation(
                    "matchen-en-scoren", trace_id, run=run_id, periode=str(period),
                    regelversie=version, sql=sql_hashes(SCORING_SQL + CRISIS_SQL),
                    sleutelversie=ctx.keys.version, crisisroute=True) as op:
                with warehouse.connect(ctx.warehouse_path, write=True) as con:
                    exclusions.sync_configured(con, municipality,
                                               ctx.home.config_dir(gemeente), ctx.keys,
                                               database_url=ctx.database_url)
                    households = [h for (h,) in con.execute(
                        sql("crisis/period_households"),
                        {"begin": period.start, "einde": period.end}).fetchall()]
                    totals = score_with_brp(con, ctx, municipality, period, run_id, trace_id,
                                            op.operation_id, households)
                    added = _additions(con, ctx, run_id, period)
                    for team, found in added.items():
                        _compose(con, ctx, run_id, period, team, found)
                op.attributes.update(huishoudens=len(households),
                                     toegevoegd=sum(len(f) for f in added.values()),
                                     uitgesloten=totals["uitgesloten"],
                                     herhaling=totals["herhaling"])
            for team, found in added.items():
                def why(planned, n=len(found)) -> str:
                    return (f"Vervangen door versie {planned.current.version + 1}: {n} "
                            "crisishuishouden(s) toegevoegd door de crisisroute; de andere "
                            "regels zijn ongewijzigd.")

                published = publish_one(gemeente, str(period), run_id, team, trace_id,
                                        reason=why)
                notify.notify_crisis(ctx.database_url, municipality, team, str(period),
                                     len(found), published["versie"])
                lists.append({"wijkteam": team, "periode": str(period),
                              "toegevoegd": len(found), "versie": published["versie"],
                              "csv": published["csv"], "xlsx": published["xlsx"]})
                logger.warning("Crisisroute: %d crisishuishouden(s) toegevoegd aan de "
                               "bezoeklijst van %s (%s, versie %d); de coördinatoren zijn "
                               "gewaarschuwd.", len(found), team, period, published["versie"])
        except BaseException:
            runs.finish(ctx.database_url, run_id, RunStatus.MISLUKT, None)
            raise
        summary = {"gemeente": gemeente, "periode": str(period), "run": run_id,
                   "soort": RunKind.CRISIS.value, "regelversie": version,
                   "crisishuishoudens": len(households),
                   "toegevoegd": sum(item["toegevoegd"] for item in lists),
                   "uitgesloten": totals["uitgesloten"], "herhaling": totals["herhaling"],
                   "lijsten": lists}
        runs.finish(ctx.database_url, run_id, RunStatus.GEPUBLICEERD, summary)
    return summary


def crisis_step(gemeente: str, delivery_id: str, trace_id: str,
                today: str | None = None) -> dict | None:
    """After a delivery's load: add its crisis households to their teams' current lists and
    tell the coordinators. None when the delivery holds no crisis signal of the month being
    worked on; else what the crisis summary of a delivery shows (counts, no personal data).
    A run of the month that is still working (a monthly run, another crisis run) leaves the
    households for the next crisis run or the monthly run; the summary says so."""
    periods = crisis_periods(gemeente, delivery_id, today)
    if not periods:
        return None
    result: dict = {"perioden": [str(p) for p in periods], "toegevoegd": 0, "lijsten": [],
                    "runs": []}
    for period in periods:
        try:
            summary = add_crisis_households(gemeente, period, trace_id)
        except RunInProgress as busy:
            progress().warning("Crisisroute %s: %s", period, busy)
            result["melding"] = str(busy)
            continue
        result["toegevoegd"] += summary["toegevoegd"]
        result["lijsten"] += summary["lijsten"]
        result["runs"].append(summary["run"])
    return result


crisis_task = Step(crisis_step, "crisisroute")
