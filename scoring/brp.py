"""The BRP step of the monthly run: ask the population register about the signals that count,
keep its answers as pseudonymous facts, and score the run again with them.

Called by the run's scoring step after the first scoring (flows/run.py), only when the
municipality has the link on (`brp.enabled`); one plain function, so it runs with or without
Prefect. In order:

1. the run's counted signals (sql/model/run_counted_signals.sql): nothing else is asked about;
2. their identities from the vault, each re-identification an audit line per household with
   the purpose "proces: brp-controle";
3. the questions (connectors/brp.py), each an audit line with its query type and counts, never a
   BSN; the answers checked against the spec;
4. the facts into `brp_facts` for the run (yes/no and counts), and the run scored again: the
   signals of a deceased person or of one registered outside the municipality are excluded
   ("BRP: overleden", "BRP: buiten de gemeente"), minors give `minors_points`, and "niet
   ingeschreven op dit adres" becomes a reason on the list.

A BRP that does not answer, or answers against the spec, leaves the run without BRP facts: the
first scoring stands, and the result says why (the run's summary and its log say so).
"""

from __future__ import annotations

import duckdb
import polars as pl

from connectors.brp import BrpFacts, Signalled, check_signals
from privacy.context import Context
from privacy.purposes import processing_purpose
from scoring.score import Period, run_totals, score_period, score_rules
from scoring.warehouse import transaction
from sql import sql
from vroeg import address
from vroeg.config import Municipality

PURPOSE = "brp-controle"

_FACTS_SCHEMA = {"signaal_pseudoniem": pl.String, "ingeschreven_op_adres": pl.Boolean,
                 "overleden": pl.Boolean, "buiten_gemeente": pl.Boolean, "bewoners": pl.Int32,
                 "minderjarigen": pl.Int32, "reden": pl.String}


def _signalled(identities: list[dict]) -> dict[str, Signalled]:
    """The vault's identities as the connector's questions, the address normalised as the
    household key normalises it (vroeg.address)."""
    if not identities:
        return {}
    frame = pl.DataFrame(
        [{k: str(i.get(k) or "") for k in ("signaal_pseudoniem", "bsn", "voornamen",
                                           "tussenvoegsel", "achternaam", "geboortedatum",
                                           "postcode", "huisnummer", "huisnummertoevoeging")}
         for i in identities])
    frame = frame.with_columns(
        address.postcode(pl.col("postcode")).alias("pc"),
        address.house_number(pl.col("huisnummer")).alias("nr"),
        address.addition(pl.col("huisnummer"), pl.col("huisnummertoevoeging")).alias("toev"),
        pl.col("geboortedatum").str.to_date("%Y-%m-%d", strict=False).alias("geboren"))
    out = {}
    for row in frame.iter_rows(named=True):
        if row["pc"] is None or row["nr"] is None:
            continue  # no address the BRP can be asked about
        out[row["signaal_pseudoniem"]] = Signalled(
            postcode=row["pc"], huisnummer=int(row["nr"]), toevoeging=row["toev"] or "",
            bsn=row["bsn"], voornamen=row["voornamen"], voorvoegsel=row["tussenvoegsel"],
            achternaam=row["achternaam"], geboortedatum=row["geboren"])
    return out


def _facts_frame(facts: dict[str, BrpFacts]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"signaal_pseudoniem": key, "ingeschreven_op_adres": f.ingeschreven_op_adres,
          "overleden": f.overleden, "buiten_gemeente": f.buiten_gemeente,
          "bewoners": f.bewoners, "minderjarigen": f.minderjarigen, "reden": f.reden}
         for key, f in sorted(facts.items())], schema=_FACTS_SCHEMA)


def check_run(con: duckdb.DuckDBPyConnection, ctx: Context, municipality: Municipality,
              period: Period, run_id: str, trace_id: str, parent: str | None = None,
              households: list[str] | None = None) -> dict:
    """Ask the BRP about the run's counted signals and score the run again with its facts.

    `ctx` is the run's privacy context (vault, audit). Returns counts for the run's summary:
    `brp` ("gebruikt", "uit" or "niet gebruikt"), the counts per outcome and, when the BRP was
    not used, `brp_melding` (Dutch: why). Names and BSNs are never in it.
    """
    settings = municipality.brp
    if not settings.enabled:
        return {"brp": "uit"}
    counted = con.execute(sql("model/run_counted_signals"), {"run_id": run_id}).fetchall()
    households = sorted({household for household, _signal in counted})
    identities = ctx.vault.reidentify(
        households, purpose=processing_purpose(PURPOSE), audit=ctx.audit, trace_id=trace_id,
        parent=parent, signals=[signal for _household, signal in counted], run=run_id)
    questions = _signalled([i for found in identities.values() for i in found])
    outcome = check_signals(settings, municipality.code, questions)
    for line in outcome.lines:
        with ctx.audit.operation("brp-bevraging", trace_id, parent, run=run_id,
                                 vraagsoort=line.vraagsoort, activiteit=line.activiteit,
                                 doel=line.doel, personen=line.personen, velden=line.velden,
                                 uitkomst=line.uitkomst):
            pass
    with transaction(con, brp_answers=_facts_frame(outcome.facts)):
        con.execute(sql("model/delete_run_brp_facts"), {"run_id": run_id})
        if outcome.zonder_brp is None:
            con.execute(sql("model/insert_brp_facts"), {"run_id": run_id})
            score_rules(con, municipality, period, run_id, households)
    reasons = dict(con.execute(sql("model/run_brp_reasons"), {"run_id": run_id}).fetchall())
    result = {"brp": "gebruikt" if outcome.zonder_brp is None else "niet gebruikt",
              **outcome.counts(), "brp_vragen": len(outcome.lines), "brp_redenen": reasons}
    if outcome.zonder_brp is not None:
        result["brp_melding"] = outcome.zonder_brp
    return result


def score_with_brp(con: duckdb.DuckDBPyConnection, ctx: Context, municipality: Municipality,
                   period: Period, run_id: str, trace_id: str, parent: str | None = None,
                   households: list[str] | None = None) -> dict:
    """The run's scoring step: score, then (with the BRP link on) check with the BRP and score
    again. The run's totals, with the BRP's counts when the link is on. `households` restricts
    the run to those households (the crisis lane; scoring.score.score_rules)."""
    totals = score_period(con, municipality, period, run_id, households)
    if not municipality.brp.enabled:
        return totals
    brp = check_run(con, ctx, municipality, period, run_id, trace_id, parent, households)
    return {**run_totals(con, run_id), **brp}
