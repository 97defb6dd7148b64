"""The privacy officer's commands: audit, register, subject-access, erase, reidentify, retention.

These run in this process, not as Prefect flows, except `retention`: a subject-access or erasure
request names a person (BSN or address), and flow parameters are stored in Prefect's database,
where personal data must never go. Every command that touches personal data writes audit lines.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.common import (
    AsJson,
    Gemeente,
    Verbose,
    confirm_or_abort,
    context_or_exit,
    err,
    fail,
    inert,
    inert_lines,
    out,
    print_json,
    run_flow,
)
from privacy.purposes import REIDENTIFY_REASONS
from vroeg.formats import full_name, moment_nl, parse_day, street_address
from vroeg.settings import Home, default_gemeente

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): governance
# and the privacy machinery (DuckDB, polars, SQLAlchemy), vroeg.config (pydantic, YAML).

Bsn = Annotated[str | None, typer.Option("--bsn", help="BSN van de betrokkene (9 cijfers).",
                                         show_default=False)]
#: The reasons for explicit re-identification come from their one home (privacy/purposes.py).
REASONS_HELP = "Reden: " + "; ".join(f"{code} ({text})" for code, text in
                                      REIDENTIFY_REASONS.items()) + "."

Adres = Annotated[str | None, typer.Option(
    "--address", "--adres", help='Adres: postcode en huisnummer met eventuele toevoeging, '
    'bijvoorbeeld "8911 AB 12 a".', show_default=False)]

audit_app = typer.Typer(help="Het logboek van verwerkingen: bekijken en controleren.",
                        invoke_without_command=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
    app.command("register")(register_command)
    app.command("subject-access")(subject_access)
    app.command("erase")(erase)
    app.command("reidentify")(reidentify)
    app.command("retention")(retention)
    app.command("check")(check)


def _query(bsn: str | None, adres: str | None, achternaam: str | None = None):
    from governance.subject import Query, SubjectProblem

    try:
        return Query.parse(bsn=bsn, adres=adres, achternaam=achternaam)
    except SubjectProblem as exc:
        fail(str(exc), code=1)  # refused: nothing is looked up, nothing is logged


def _day(text: str | None, label: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.combine(parse_day(text), dt.time(), dt.UTC)
    except ValueError:
        fail(f"{label} moet een datum zijn als JJJJ-MM-DD, niet '{text}'.")


# ------------------------------------------------------------------------------------------------
# vroeg audit
# ------------------------------------------------------------------------------------------------


@audit_app.callback()
def audit_lines(
    typer_ctx: typer.Context,
    van: Annotated[str | None, typer.Option(
        "--van", "--from", help="Vanaf datum JJJJ-MM-DD.")] = None,
    tot: Annotated[str | None, typer.Option(
        "--tot", "--until", help="Tot (niet t/m) datum JJJJ-MM-DD.")] = None,
    stap: Annotated[list[str] | None, typer.Option(
        "--stap", "--step", help="Naam van de verwerking, bijv. heridentificatie, publicatie, "
        "verwijdering, laden (herhaalbaar).")] = None,
    wijkteam: Annotated[str | None, typer.Option(
        "--wijkteam", "--team", help="Wijkteam-code.")] = None,
    bsn: Bsn = None,
    adres: Adres = None,
    limit: Annotated[int, typer.Option(help="Toon hoogstens de laatste zoveel regels.")] = 200,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Toon regels uit het logboek, gefilterd op periode, stap, wijkteam of betrokkene."""
    if typer_ctx.invoked_subcommand is not None:
        return
    ctx = context_or_exit(gemeente)
    subjects = None
    if bsn or adres:
        from governance.subject import locate

        located = locate(ctx, _query(bsn, adres))
        subjects = located.candidates | set(located.record_households)
    lines = ctx.audit.read(since=_day(van, "--van"), until=_day(tot, "--tot"), names=stap or (),
                           wijkteam=wijkteam, subjects=subjects)
    shown = lines[-limit:] if limit else lines
    if as_json:
        print_json({"gemeente": ctx.gemeente, "regels": len(lines), "getoond": shown})
        return
    table = Table(title=f"Logboek gemeente {ctx.gemeente}: {len(lines)} regel(s)"
                  + (f", de laatste {len(shown)} getoond" if len(shown) < len(lines) else ""),
                  title_justify="left")
    for name in ("Positie", "Einde", "Verwerking", "Status", "Trace", "Betrokkene",
                 "Gegevens"):
        table.add_column(name, overflow="fold")
    for line in shown:
        attributes = ", ".join(f"{k}={v}" for k, v in line["attributen"].items()
                               if not k.endswith("sha256") and k != "sql")
        table.add_row(str(line["positie"] or "-"),
                      moment_nl(line["einde"], ctx.municipality.timezone, seconds=True),
                      line["naam"], {0: "onbekend", 1: "ok", 2: "fout"}[line["status"]],
                      line["trace_id"][:8], (line["betrokkene"] or "")[:19], inert(attributes))
    out.print(table)


@audit_app.command("verify")
def audit_verify(as_json: AsJson = False, gemeente: Gemeente = None) -> None:
    """Controleer de hashketen van het logboek: gewijzigde, verwijderde of ingevoegde regels.

    Afsluitcode 0 als het logboek klopt, 1 als er iets mis is.
    """
    from privacy import chain

    ctx = context_or_exit(gemeente)
    result = chain.verify(ctx.database_url, ctx.keys, ctx.gemeente)
    if as_json:
        print_json(result.as_dict())
    elif result.ok:
        out.print(f"[green]Het logboek van gemeente {ctx.gemeente} is in orde:[/] {result.lines} "
                  f"regels in de keten (positie {result.first_seq or 0} t/m "
                  f"{result.last_seq or 0}), {result.cuts} bewaartermijn-knip(pen) met samen "
                  f"{result.removed_by_retention} verwijderde regels.", highlight=False)
        out.print(f"Kophash: {result.head_hash}\nNoteer deze buiten het systeem (bijvoorbeeld "
                  "in het jaarverslag): zo is ook het afknippen van de nieuwste regels aan te "
                  "tonen.", highlight=False)
    else:
        table = Table(title=f"Het logboek van gemeente {ctx.gemeente} klopt NIET",
                      title_style="bold red", title_justify="left")
        for name in ("Soort", "Waar", "Melding"):
            table.add_column(name, overflow="fold")
        for p in result.problems:
            table.add_row(p.kind, p.where, p.message)
        out.print(table)
    if not result.ok:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------------------
# vroeg register
# ------------------------------------------------------------------------------------------------


def register_command(as_json: AsJson = False, gemeente: Gemeente = None) -> None:
    """Het register van verwerkingsactiviteiten (AVG art. 30), uit de configuratie."""
    from governance import register as art30
    from vroeg.config import ConfigError, load_municipality

    home = Home.from_env()
    try:
        municipality = load_municipality(home, gemeente or default_gemeente(home))
    except ConfigError as exc:
        fail(str(exc))
    document = art30.build(municipality)
    if as_json:
        print_json(document)
    else:
        sys.stdout.write(art30.markdown(document))


# ------------------------------------------------------------------------------------------------
# vroeg subject-access, erase, reidentify
# ------------------------------------------------------------------------------------------------


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def subject_access(
    bsn: Bsn = None,
    adres: Adres = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Schrijf inzage.json en inzage.txt "
                       "in deze map (alleen voor u leesbaar) in plaats van ze te tonen.")] = None,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Inzageverzoek (AVG art. 15): alles wat over een persoon of adres is vastgelegd.

    Toont een leesbare samenvatting (of met --json het volledige overzicht). Het verzoek zelf
    komt in het logboek.
    """
    from governance.subject_access import subject_access as access
    from governance.subject_access import summary_text
    from privacy.audit import new_trace_id

    query = _query(bsn, adres)
    ctx = context_or_exit(gemeente)
    report = access(ctx, query, trace_id=new_trace_id())
    document = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_private(out_dir / "inzage.json", document + "\n")
        _write_private(out_dir / "inzage.txt", summary_text(report) + "\n")
        err.print(f"Geschreven: {out_dir / 'inzage.json'} en {out_dir / 'inzage.txt'}")
    elif as_json:
        print_json(report)
    else:
        out.print(inert_lines(summary_text(report)), highlight=False)


def erase(
    bsn: Bsn = None,
    adres: Adres = None,
    achternaam: Annotated[str | None, typer.Option(
        "--achternaam", "--surname", help="Met --address verplicht: alleen deze bewoner.")] = None,
    yes: Annotated[bool, typer.Option("--ja", "--yes", help="Niet om bevestiging vragen.")] = False,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Verwijderverzoek (AVG art. 17): wis één persoon uit kluis, pakhuis, archief en outbox.

    Onomkeerbaar. Zie docs/privacy.md voor wat er precies gebeurt (ook met originele leveringen
    en al gepubliceerde lijsten).
    """
    from governance.erasure import erase as run_erasure
    from privacy.audit import new_trace_id

    if adres and not achternaam:
        fail("Geef bij --address ook --achternaam: een verwijderverzoek geldt voor één persoon.")
    query = _query(bsn, adres, achternaam)
    ctx = context_or_exit(gemeente)
    if not yes:
        confirm_or_abort(f"Alle gegevens over {query.describe()} onomkeerbaar wissen?")
    import duckdb

    try:
        result = run_erasure(ctx, query, trace_id=new_trace_id())
    except duckdb.IOException:
        fail("Het pakhuis is bezet door een andere verwerking (inlezen of een run). Er is nog "
             "niets gewist; probeer het opnieuw als die klaar is.")
    if as_json:
        print_json({"gemeente": ctx.gemeente, **result})
        return
    table = Table(title=inert(f"Gewist: {query.describe()}"), title_justify="left",
                  show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for label, key in (("Kluisrecords", "kluisrecords"), ("Signalen", "signalen"),
                       ("Wijzigingen van signalen", "signaalwijzigingen"),
                       ("Huishoudscores", "huishoudscores"),
                       ("Originele leveringen (archief)", "archiefbestanden"),
                       ("Rijen uit bezoeklijsten in de outbox", "lijstrijen"),
                       ("Zaken (portal) van het huishouden", "zaken"),
                       ("Contactpogingen bij die zaken", "contactpogingen"),
                       ("Logboekregels over deze verwijdering", "betrokkenen")):
        table.add_row(label, str(result[key]))
    out.print(table)
    if result["bezoeklijsten"]:
        out.print("Deze persoon stond op bezoeklijsten die wijkteams mogelijk al hebben "
                  "gedownload; vraag hen hun kopie te vernietigen:")
        for item in result["bezoeklijsten"]:
            out.print(f"  • {item['wijkteam']}, periode {item['periode']} (run {item['run']})",
                      highlight=False)
    if result["zaken_behouden"]:
        out.print(f"{result['zaken_behouden']} zaak/zaken van het huishouden blijven bewaard: er "
                  "wonen nog andere bewoners met gegevens op het adres (zie docs/privacy.md).",
                  highlight=False)
    if result["archief_onleesbaar"]:
        err.print(f"[yellow]{result['archief_onleesbaar']} archiefbestand(en) konden niet worden "
                  "gelezen om te controleren of de persoon erin staat.[/]")


def reidentify(
    pseudonym: Annotated[str, typer.Argument(
        metavar="PSEUDONIEM", help="Pseudoniem van een huishouden of persoon "
        "(bijvoorbeeld uit 'vroeg audit').")],
    reden: Annotated[str, typer.Option("--reden", "--reason", help=REASONS_HELP)],
    zaak: Annotated[str | None, typer.Option(
        "--zaak", "--case", help="Zaaknummer (optioneel).")] = None,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Heridentificeer een pseudoniem, op uitdrukkelijk verzoek van de privacyfunctionaris.

    Wordt per betrokkene gelogd, met de reden.
    """
    from governance.reidentification import reidentify_pseudonym
    from governance.subject import SubjectProblem
    from privacy.audit import new_trace_id

    ctx = context_or_exit(gemeente)
    try:
        records = reidentify_pseudonym(ctx, pseudonym.strip(), reason=reden, case=zaak,
                                       trace_id=new_trace_id())
    except SubjectProblem as exc:
        fail(str(exc))
    if as_json:
        print_json({"gemeente": ctx.gemeente, "records": records})
        return
    if not records:
        out.print("Geen records in de kluis bij dit pseudoniem (de poging is gelogd).")
        return
    table = Table(title=f"{len(records)} record(s) bij {pseudonym[:19]}", title_justify="left")
    for name in ("Naam", "Adres", "Postcode", "Geboren", "Partner", "Signaal"):
        table.add_column(name)
    for r in records:
        # From the vault, so from a delivery: a resident named "[/]" is printed as such.
        table.add_row(inert(full_name(r)), inert(street_address(r)), inert(r.get("postcode")),
                      inert(r.get("geboortedatum")), inert(r.get("partner_id")),
                      inert(r.get("signaal_id")))
    out.print(table, highlight=False)


# ------------------------------------------------------------------------------------------------
# vroeg retention
# ------------------------------------------------------------------------------------------------


def retention(
    dry_run: Annotated[bool, typer.Option("--dry-run", "--proef", help="Toon alleen wat zou "
                                          "worden vernietigd.")] = False,
    as_json: AsJson = False,
    verbose: Verbose = False,
    gemeente: Gemeente = None,
) -> None:
    """Vernietig wat over de bewaartermijn is, in elke opslag (of toon het, met --dry-run)."""
    # Not flows.retention: Prefect must be imported only after run_flow has configured it.
    from governance.retention import LABELS

    ctx = context_or_exit(gemeente)
    result = run_flow("Bewaartermijnen toepassen", verbose, "flows.retention:retention_flow",
                      gemeente=ctx.gemeente, dry_run=dry_run)
    if as_json:
        print_json(result)
        return
    table = Table(title=("Zou worden vernietigd (proef)" if dry_run else "Vernietigd")
                  + f" — gemeente {ctx.gemeente}", title_justify="left")
    table.add_column("Opslag")
    table.add_column("Termijn (dagen)", justify="right")
    table.add_column("Aantallen")
    days = result["termijnen_dagen"]
    term = {"archive": days["deliveries"], "quarantine": days["quarantine"],
            "lists": days["published_lists"], "cases": days["cases"],
            "audit": days["audit_trail"],
            "signals": f"{days['unpublished_signals']} / {days['published_lists']}"}
    for store, counts in result["opslagen"].items():
        table.add_row(LABELS[store], str(term[store]),
                      ", ".join(f"{k}: {v}" for k, v in counts.items()))
    out.print(table)


# ------------------------------------------------------------------------------------------------
# vroeg check
# ------------------------------------------------------------------------------------------------


def check(
    fix: Annotated[bool, typer.Option("--fix", help="Maak wat te open staat alleen voor de "
                                      "eigenaar toegankelijk (bestanden 0600, mappen 0700).")]
    = False,
    as_json: AsJson = False,
) -> None:
    """Controleer dat alleen de eigenaar de bestanden in VROEG_HOME kan lezen.

    Lijsten, kluis, operationele database, archief, pakhuis, exports, sleutels: alles onder
    VROEG_HOME bevat persoonsgegevens of leidt ernaartoe. Afsluitcode 1 als iets te open staat
    (en niet met --fix is hersteld).
    """
    from vroeg.files import make_private, too_open

    root = Home.from_env().root
    if not root.is_dir():
        fail(f"{root} bestaat niet (VROEG_HOME).")
    found = list(too_open(root))
    fixed = []
    if fix:
        for path, _mode in found:
            fixed.append((path, make_private(path)))
    if as_json:
        print_json({"map": str(root), "te_open": [
            {"pad": str(p), "rechten": f"{m:04o}"} for p, m in found], "hersteld": bool(fix)})
    elif not found:
        out.print(f"In orde: alleen de eigenaar kan de bestanden in {root} lezen.",
                  highlight=False, markup=False)
    else:
        for path, mode in found:
            kind = "map" if path.is_dir() else "bestand"
            out.print(f"Te open ({mode:04o}): {kind} {path.relative_to(root.parent)}",
                      highlight=False, markup=False)
        if fix:
            out.print(f"Hersteld: {len(fixed)} bestanden en mappen zijn nu alleen voor de "
                      "eigenaar (bestanden 0600, mappen 0700).", highlight=False, markup=False)
        else:
            err.print(f"{len(found)} bestanden en mappen zijn ook voor anderen toegankelijk. "
                      "Herstel met: vroeg check --fix", highlight=False, markup=False)
    if found and not fix:
        raise typer.Exit(1)
