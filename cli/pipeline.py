"""The pipeline commands: generate, ingest, run, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from cli.common import (
    AsJson,
    Gemeente,
    Verbose,
    context_or_exit,
    crisis_lines,
    deliveries_table,
    err,
    fail,
    home,
    inert,
    ingest_totals,
    lists_table,
    out,
    print_json,
    run_flow,
    warn_messages,
)
from vroeg.opsdb.statuses import PROBLEMS
from vroeg.settings import DEFAULT_GEMEENTE, default_gemeente

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): scoring
# (DuckDB), synthetic and vroeg.config (pydantic, YAML), privacy.keys (cryptography).


def register(app: typer.Typer) -> None:
    app.command()(generate)
    app.command()(ingest)
    app.command()(run)
    app.command()(demo)


def generate(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Map voor de bestanden "
                       "(standaard $VROEG_HOME/demo/<gemeente>).")] = None,
    seed: Annotated[int, typer.Option(help="Zelfde seed, zelfde bestanden.")] = 80,
    end: Annotated[str | None, typer.Option(help="Laatste maand JJJJ-MM (standaard de laatste "
                                            "volledige maand).")] = None,
    months: Annotated[int, typer.Option(min=1, max=36, help="Aantal maanden.")] = 6,
    signals_per_month: Annotated[
        int | None, typer.Option(help="Standaard 4,4 per 1000 inwoners.")] = None,
    bad_share: Annotated[
        float, typer.Option(min=0, max=1, help="Aandeel rijen met een fout.")] = 0.005,
    gemeente: Gemeente = None,
) -> None:
    """Schrijf synthetische leveringen van alle partners van de voorbeeldgemeente."""
    from scoring.score import Period
    from synthetic.generator import GeneratorError
    from synthetic.generator import generate as run_generator
    from vroeg.config import ConfigError, load_municipality

    state = home()
    code = gemeente or default_gemeente(state)
    try:
        municipality = load_municipality(state, code)
        last = end or str(Period.last_complete(municipality.timezone))
        Period.parse(last)
        report = run_generator(municipality, out_dir or state.root / "demo" / code, seed=seed,
                               end=last, months=months, signals_per_month=signals_per_month,
                               bad_row_share=bad_share)
    except (ConfigError, GeneratorError, ValueError) as exc:
        fail(str(exc))
    out.print(report.summary())


def ingest(
    paths: Annotated[list[Path], typer.Argument(
        metavar="BESTANDEN", help="Bestanden om in te lezen.", exists=True,
        dir_okay=False, readable=True)],
    partner: Annotated[str | None, typer.Option(
        "--partner", "-p", help="Partner-id uit de configuratie; zonder deze optie wordt het "
        "standaardformaat gelezen.")] = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
    gemeente: Gemeente = None,
) -> None:
    """Lees leveringen in: archiveren, valideren, pseudonimiseren en laden.

    Afsluitcode 0 als alle bestanden zijn verwerkt (ook met rijen in quarantaine), 1 als een
    bestand is afgekeurd of onleesbaar was.
    """
    ctx = context_or_exit(gemeente)
    if partner:
        from vroeg.config import ConfigError

        try:
            ctx.municipality.partner(partner)
        except ConfigError as exc:
            fail(str(exc))
    # flows.ingest.ingest receives (archives, registers) each file here, outside Prefect, and
    # gives the flow delivery ids only: a partner's file name may hold a resident's name. This
    # table and the messages below may show the names: they are the data officer's terminal.
    rows = run_flow("Leveringen inlezen", verbose, "flows.ingest:ingest",
                    gemeente=ctx.gemeente, paths=[str(p.resolve()) for p in paths],
                    partner_id=partner)
    totals = ingest_totals(rows)
    if as_json:
        print_json({"gemeente": ctx.gemeente, "leveringen": rows, "totaal": totals})
    else:
        out.print(deliveries_table(rows))
        warn_messages(rows)
        for line in crisis_lines(rows):
            out.print(inert(line, "bold red"))
        out.print(f"Totaal: {totals['rijen_gelezen']} gelezen = {totals['rijen_geladen']} geladen"
                  f" + {totals['rijen_quarantaine']} in quarantaine"
                  f" + {totals['rijen_dubbel']} dubbel.")
    if any(r["status"] in PROBLEMS for r in rows):
        raise typer.Exit(1)


def run(
    period: Annotated[str | None, typer.Option("--period", help="Periode JJJJ-MM (standaard de "
                                               "laatste volledige maand; met operations.cadence "
                                               "weekly of daily na de 5e de lopende maand).")
                      ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Wat-als: laat per wijkteam zien hoe "
                       "de lijst zou veranderen, zonder te publiceren of iemand te "
                       "heridentificeren.")] = False,
    weights: Annotated[Path | None, typer.Option("--weights", help="Met --dry-run: YAML-bestand "
                       "met andere regels (een deel van 'scoring:' uit gemeente.yaml).",
                       exists=True, dir_okay=False, readable=True)] = None,
    settings: Annotated[list[str] | None, typer.Option("--set", help="Met --dry-run: één regel "
                        "anders, bijv. --set partner_type_points.Zorg=40 of "
                        "--set wijkteams.wt-centrum.capacity=20 (herhaalbaar).")] = None,
    details: Annotated[bool, typer.Option("--details", help="Met --dry-run: toon ook elke "
                       "wijziging (pseudoniem en rang).")] = False,
    as_json: AsJson = False,
    verbose: Verbose = False,
    gemeente: Gemeente = None,
) -> None:
    """Match, scoor en publiceer de bezoeklijsten van een periode; --dry-run: wat-als.

    Met --dry-run en andere regels (--set, --weights) wordt niets gepubliceerd en niemand
    geheridentificeerd: per wijkteam ziet u wie erbij komt, eraf gaat of verschuift.
    """
    from scoring.score import Period, PeriodRefused, check_period
    from vroeg.errors import RunInProgress
    from vroeg.opsdb import runs

    ctx = context_or_exit(gemeente)
    if period:
        try:
            Period.parse(period)
        except ValueError as exc:
            fail(str(exc), code=1)
    if (weights or settings) and not dry_run:
        fail("Andere regels (--weights, --set) alleen met --dry-run: een gepubliceerde lijst "
             "volgt altijd de configuratie. Pas gemeente.yaml aan om de regels te wijzigen.")
    if dry_run:
        _dry_run(ctx, period, weights, settings or [], details, as_json, verbose)
        return
    from vroeg.formats import today_in

    try:
        # Before the flow starts: a refused month writes nothing (no run, no scores, no lists).
        today = today_in(ctx.municipality.timezone)
        chosen = Period.to_run(ctx.municipality, period, today)
        check_period(ctx.warehouse_path, chosen, today, ctx.municipality.operations.cadence)
    except PeriodRefused as exc:
        fail(str(exc), code=1)
    try:
        runs.check_free(ctx.database_url, ctx.gemeente, str(chosen))
    except RunInProgress as exc:
        fail(str(exc), code=1)
    result = run_flow("Matchen, scoren en publiceren", verbose, "flows.run:run_flow",
                      gemeente=ctx.gemeente, period=period)
    if as_json:
        print_json(result)
    else:
        out.print(lists_table(result))
        out.print(f"{result['huishoudens']} huishoudens gematcht, {result['op_lijst']} op een "
                  f"bezoeklijst, {result['wachtlijst']} op een wachtlijst, {result['crisis']} met "
                  f"een crisissignaal. Niet op de lijst: {result['onder_drempel']} onder de "
                  f"drempel, {result['herhaling']} herhaling zonder hoger bedrag, "
                  f"{result['buiten_termijn']} buiten de termijn, {result['uitgesloten']} "
                  f"uitgesloten. Regelversie {result['regelversie']}.")
        unchanged = [i for i in result["lijsten"] if i.get("status") == "ongewijzigd"]
        if unchanged and len(unchanged) == len(result["lijsten"]):
            out.print("Niets nieuws gepubliceerd: de invoer is niet veranderd sinds de huidige "
                      "lijsten van deze periode; die blijven staan.")
        elif unchanged:
            out.print(f"{len(unchanged)} lijst(en) ongewijzigd en niet opnieuw gepubliceerd; "
                      "bij de andere staat in de kolom Versie welke versie nu geldt.")


def _dry_run(ctx, period: str | None, weights: Path | None, settings: list[str], details: bool,
             as_json: bool, verbose: bool) -> None:
    from scoring.whatif import apply_overrides, merge_overrides, parse_setting, read_weights
    from vroeg.config import ConfigError

    try:
        changes = [read_weights(weights)] if weights else []
        changes += [parse_setting(text) for text in settings]
        overrides = merge_overrides(*changes)
        apply_overrides(ctx.municipality, overrides)  # refuse bad rules before the flow starts
    except ConfigError as exc:
        fail(str(exc))
    result = run_flow("Wat-als doorrekenen", verbose, "flows.run:whatif_flow",
                      gemeente=ctx.gemeente, period=period, overrides=overrides)
    if as_json:
        print_json(result)
        return
    table = Table(title=f"Wat-als {result['periode']}: regelversie {result['regelversie_nu']} → "
                        f"{result['regelversie_alternatief']} (niets gepubliceerd)",
                  title_justify="left")
    for name in ("Wijkteam", "Bezoeklijst nu", "Bezoeklijst alt.", "Erbij", "Eraf", "Verschoven",
                 "Gelijk", "Wachtlijst nu", "Wachtlijst alt."):
        table.add_column(name, justify="left" if name == "Wijkteam" else "right")
    for t in result["teams"]:
        table.add_row(t["wijkteam"], str(t["bezoeklijst_nu"]), str(t["bezoeklijst_alternatief"]),
                      str(t["erbij"]), str(t["eraf"]), str(t["verschoven"]), str(t["gelijk"]),
                      str(t["wachtlijst_nu"]), str(t["wachtlijst_alternatief"]))
    out.print(table)
    if details:
        for t in result["teams"]:
            for c in t["wijzigingen"]:
                out.print(f"  {t['wijkteam']}: {c['pseudoniem'][:14]}… {c['verandering']}: "
                          f"{c['sectie_nu'] or '-'} {c['rang_nu'] or '-'} → "
                          f"{c['sectie_alternatief'] or '-'} {c['rang_alternatief'] or '-'}",
                          highlight=False)
    total = result["totaal"]
    out.print(f"Totaal: {total['erbij']} erbij, {total['eraf']} eraf, {total['verschoven']} "
              "verschoven. Niemand is geheridentificeerd; de proefrun staat in het auditlog.")


def demo(
    seed: Annotated[int, typer.Option(help="Seed voor de synthetische gegevens.")] = 80,
    months: Annotated[int, typer.Option(min=1, max=24, help="Aantal maanden gegevens.")] = 6,
    brp: Annotated[bool, typer.Option(
        "--brp", help="Met de BRP: de run vraagt een lokale BRP-stand-in (Haal Centraal) waarin "
                      "de synthetische bewoners staan ingeschreven; de samenvatting toont wat "
                      "de BRP veranderde. gemeente.yaml blijft zoals hij is.")] = False,
    signals_per_month: Annotated[
        int | None, typer.Option(min=1, help="Signalen per maand (standaard 4,4 per 1000 "
                                             "inwoners); minder is sneller.")] = None,
    as_json: AsJson = False,
    verbose: Verbose = False,
) -> None:
    """Genereer, lees in en publiceer voor de voorbeeldgemeente (0080), in één keer."""
    from privacy.keys import KeyProblem, init_keys, load_keys

    state = home()
    try:
        load_keys(state, DEFAULT_GEMEENTE)
    except KeyProblem as exc:
        if state.key_file(DEFAULT_GEMEENTE).exists():
            fail(str(exc))  # e.g. readable by others: say how to fix it, never replace the key
        path = init_keys(state, DEFAULT_GEMEENTE, development=True)
        err.print(Panel(
            f"Er was geen sleutel; er is een ONTWIKKELSLEUTEL aangemaakt in {path}.\n"
            "Alleen voor de demo met synthetische gegevens. Gebruik voor echte gegevens een "
            "nieuwe VROEG_HOME met 'vroeg keys init' en bewaar die sleutel veilig.",
            title="WAARSCHUWING", border_style="bold red"))
    result = run_flow("Demo: genereren, inlezen, publiceren", verbose, "flows.demo:demo_flow",
                       gemeente=DEFAULT_GEMEENTE, seed=seed, months=months, brp=brp,
                       signals_per_month=signals_per_month)
    if as_json:
        print_json(result)
        return
    rows, run_result = result["leveringen"], result["run"]
    totals = ingest_totals(rows)
    out.print(deliveries_table(rows))
    warn_messages(rows)
    out.print(lists_table(run_result))
    summary = Table(title="Samenvatting", title_justify="left", show_header=False)
    summary.add_column(justify="left")
    summary.add_column(justify="right")
    for label, value in (
        ("Leveringen", totals["leveringen"]),
        ("Rijen gelezen", totals["rijen_gelezen"]),
        ("  geladen", totals["rijen_geladen"]),
        ("  in quarantaine", totals["rijen_quarantaine"]),
        ("  dubbel (al eerder geleverd)", totals["rijen_dubbel"]),
        (f"Huishoudens met signalen in {run_result['periode']}", run_result["huishoudens"]),
        ("  op een bezoeklijst", run_result["op_lijst"]),
        ("    met een crisissignaal", run_result["crisis"]),
        ("  op een wachtlijst", run_result["wachtlijst"]),
        ("  niet op de lijst", run_result["huishoudens"] - run_result["op_lijst"]
         - run_result["wachtlijst"]),
        ("Bezoeklijsten geschreven", len(run_result["lijsten"])),
        *brp_rows(run_result),
    ):
        summary.add_row(label, str(value))
    out.print(summary)
    if run_result.get("brp_melding"):
        err.print(f"[bold]Let op:[/] {run_result['brp_melding']}")


def brp_rows(run: dict) -> list[tuple[str, object]]:
    """What the BRP changed in a run, as rows of a summary (none when the link was off)."""
    if run.get("brp") in (None, "uit"):
        return []
    if run["brp"] != "gebruikt":
        return [("BRP", "niet gebruikt (zie de melding)")]
    return [
        ("BRP: signalen nagevraagd", run["brp_gevraagd"]),
        ("  uitgesloten: overleden", run["brp_overleden"]),
        ("  uitgesloten: buiten de gemeente", run["brp_buiten_gemeente"]),
        ("  niet ingeschreven op dit adres (reden)", run["brp_niet_op_adres"]),
        ("  contract op een bedrijfsnaam", run["brp_bedrijfsnaam"]),
        ("  met minderjarigen in het huishouden", run["brp_met_minderjarigen"]),
        ("  huishoudens met punten voor minderjarigen", run["brp_punten_minderjarigen"]
         if run["brp_minderjarigenregel"] else "regel uit (scoring.minors_points)"),
        ("  huishoudens samengevoegd (adresseerbaar object)",
         run["brp_huishoudens_samengevoegd"]),
        ("  vragen aan de BRP", run["brp_vragen"]),
    ]
