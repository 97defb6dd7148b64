"""`vroeg partners`: list the partner registry, and check one partner's configuration.

`vroeg partners check ID --sample FILE` reads a sample file exactly as ingestion would (reader,
mapping, parsing, the Great Expectations suites) without storing anything, and shows the first
rows mapped onto the standard fields. The preview shows personal data from the sample: that is
the data officer's own file on their own screen. It is printed to the terminal only: never
logged, never in --json, never through Prefect.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.common import AsJson, Gemeente, err, fail, home, inert, out, print_json
from vroeg import schema
from vroeg.errors import DeliveryError
from vroeg.files import safe_filename
from vroeg.formats import date_nl, day_or_today, euros
from vroeg.schema import SOURCE_ROW
from vroeg.settings import default_gemeente

# Imported inside the commands, so that `vroeg --help` stays quick (cli/common.py): vroeg.config
# (pydantic, YAML), connectors and quality (polars, Great Expectations).

app = typer.Typer(help="Partnerregister: partners tonen en een partnerconfiguratie controleren.",
                  no_args_is_help=True)

#: Longest value shown in a preview cell.
PREVIEW_WIDTH = 40


@app.command("list")
def list_partners(as_json: AsJson = False, gemeente: Gemeente = None) -> None:
    """Toon de geconfigureerde partners van de gemeente."""
    municipality = _municipality(gemeente)
    rows = [{"partner": p.id, "naam": p.name, "partnertype": p.partner_type, "kanaal": p.channel,
             "formaat": "sql" if p.channel == "sql" else p.format,
             "kolommen": "standaard" if p.columns == "standard" else "eigen indeling"}
            for p in municipality.partners.values()]
    if as_json:
        print_json({"gemeente": municipality.code, "partners": rows})
        return
    table = Table(title=f"Partners van gemeente {municipality.code}", title_justify="left")
    for name in ("Partner", "Naam", "Partnertype", "Kanaal", "Formaat", "Kolommen"):
        table.add_column(name)
    for r in rows:
        table.add_row(*(inert(v) for v in r.values()))
    out.print(table)


@app.command("check")
def check(
    partner_id: Annotated[str, typer.Argument(
        metavar="PARTNER", help="Partner-id (de naam van partners/<id>.yaml).")],
    sample: Annotated[Path | None, typer.Option(
        "--sample", "-s", help="Een voorbeeldbestand van de partner: wordt gelezen en getoond, "
        "niet opgeslagen.", exists=True, dir_okay=False, readable=True)] = None,
    query: Annotated[bool, typer.Option(
        "--query", help="Voor een SQL-partner: voer de query uit en toon de eerste rijen.")
    ] = False,
    rows: Annotated[int, typer.Option("--rows", "-n", min=1, max=20,
                                      help="Aantal rijen in de voorvertoning.")] = 3,
    today: Annotated[str | None, typer.Option(
        "--today", help="Valideer alsof het deze datum is (JJJJ-MM-DD).")] = None,
    as_json: AsJson = False,
    gemeente: Gemeente = None,
) -> None:
    """Controleer een partnerconfiguratie; toon een voorbeeldbestand gekoppeld aan de velden.

    Leest het voorbeeld zoals 'vroeg ingest' het zou lezen, maar slaat niets op. Afsluitcode 0
    als de configuratie (en het voorbeeld) bruikbaar is, 1 bij fouten.
    """
    from vroeg.config import ConfigError, load_partner

    state = home()
    code = _code(gemeente)
    folder = state.config_dir(code) / "partners"
    path = folder / f"{partner_id}.yaml"
    report: dict = {"partner": partner_id, "bestand": str(path), "fouten": [],
                    "waarschuwingen": [], "velden": {}}
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "geen"
        fail(f"Geen partnerconfiguratie {path} (bekend: {known}). Maak partners/{partner_id}.yaml "
             f"aan; zie docs/configuration.md.")
    try:
        partner = load_partner(path)
    except ConfigError as exc:
        report["fouten"].append(f"de configuratie is ongeldig: {exc}")
        _finish(report, as_json, None)
        return
    try:
        municipality = _municipality(code, exit_on_error=False)
    except ConfigError as exc:
        report["fouten"].append(f"de gemeenteconfiguratie laadt niet: {exc}")
        _finish(report, as_json, None)
        return

    _check_mapping(partner, report)
    _check_channel(state, code, partner, report)
    preview = None
    if sample is not None or query:
        preview = _try_sample(partner, municipality, sample, query, rows, today, report)
    elif partner.channel != "sql":
        report["waarschuwingen"].append(
            "geen voorbeeldbestand gecontroleerd; geef er een met --sample BESTAND")
    _finish(report, as_json, preview)


# ----------------------------------------------------------------------------------------------


def _code(gemeente: str | None) -> str:
    return gemeente or default_gemeente(home())


def _municipality(gemeente: str | None, exit_on_error: bool = True):
    from vroeg.config import ConfigError, load_municipality

    try:
        return load_municipality(home(), _code(gemeente))
    except ConfigError as exc:
        if not exit_on_error:
            raise
        fail(str(exc))


def describe(spec) -> str:
    """How a standard field is filled, in words (no data)."""
    if spec.value is not None:
        text = f"vaste waarde '{spec.value}'"
    elif spec.column is not None:
        text = f"kolom '{spec.column}'"
    else:
        text = " + ".join(f"'{c}'" for c in spec.source_columns)
    extras = []
    if spec.pattern:
        extras.append("deel via patroon")
    if spec.map:
        extras.append(f"vertaald ({len(spec.map)} waarden)")
    if spec.unit == "cent":
        extras.append("in centen")
    if spec.date_formats:
        extras.append("datum " + " of ".join(spec.date_formats))
    return text + (f" ({', '.join(extras)})" if extras else "")


def _check_mapping(partner, report: dict) -> None:
    specs = partner.column_specs()
    missing = partner.unmapped_required()
    if missing:
        report["fouten"].append(
            "verplichte velden zonder bronkolom of vaste waarde: " + ", ".join(missing)
            + ". Voeg ze toe onder columns: in de partnerconfiguratie.")
    absent = [f.name for f in schema.SIGNAL_FIELDS
              if f.name not in specs and not f.value_required]
    if absent:
        report["waarschuwingen"].append("niet geleverd (blijft leeg): " + ", ".join(absent))
    report["velden"] = {name: describe(spec) for name, spec in specs.items()}


def _check_channel(state, code: str, partner, report: dict) -> None:
    if partner.channel == "inbox":
        folder = state.inbox_dir(code) / partner.id
        report["inbox"] = str(folder)
        if not folder.is_dir():
            report["waarschuwingen"].append(
                f"de inbox {folder} bestaat nog niet; 'vroeg collect' maakt hem aan")
    if partner.channel == "sql":
        if not os.environ.get(partner.sql.url_env):
            report["fouten"].append(
                f"de omgevingsvariabele {partner.sql.url_env} (de verbinding met de database van "
                f"de partner) is niet gezet")


def _try_sample(partner, municipality, sample: Path | None, query: bool, rows: int,
                today: str | None, report: dict):
    """Read, map, parse and validate the sample as ingestion would; nothing is stored."""
    import connectors
    from connectors.mapping import map_to_standard
    from quality.validate import validate

    try:
        if partner.channel == "sql":
            if sample is not None:
                report["fouten"].append("een SQL-partner levert geen bestanden; gebruik --query")
                return None
            from connectors.sql_source import query_partner

            result = query_partner(partner, municipality.code)
            if result.rows == 0:
                report["waarschuwingen"].append(
                    "de query gaf geen rijen (kolommen: " + ", ".join(result.columns) + ")")
                return None
            data, name = result.data, f"{partner.id} (query)"
        else:
            data, name = sample.read_bytes(), safe_filename(sample.name)
        table = connectors.read_table(data, name, partner)
        del data
        mapped = map_to_standard(table, partner, name, municipality.partners)
    except DeliveryError as error:
        report["fouten"].append(error.message)
        return None
    parsed = connectors.parse(mapped, municipality)
    day = day_or_today(today, municipality.timezone)
    outcome = validate(parsed, municipality, name, day)
    reasons: dict[str, int] = {}
    for entry in outcome.entries:
        reasons[entry.reason] = reasons.get(entry.reason, 0) + 1
    report["voorbeeld"] = {
        "bestand": name, "rijen": outcome.rows, "goed": outcome.rows - outcome.quarantined_rows,
        "quarantaine": outcome.quarantined_rows, "afgekeurd": outcome.rejected,
        "redenen": reasons, "kolommen_genegeerd": mapped.ignored_columns,
        "opmerkingen": mapped.notes,
        "meldingen": [e.message for e in outcome.entries[:10]],
    }
    if outcome.rejected:
        report["fouten"].append(outcome.entries[0].message)
    for note in mapped.notes:
        report["waarschuwingen"].append(note)
    if mapped.ignored_columns:
        report["waarschuwingen"].append(
            "kolommen in het bestand die niet worden gebruikt: "
            + ", ".join(mapped.ignored_columns))
    return parsed.head(rows)


#: Standard fields with a parsed value (connectors.parse) shown beside the text.
_PARSED = {"signaaldatum": "signaaldatum_p", "ontstaansdatum": "ontstaansdatum_p",
           "geboortedatum": "geboortedatum_p", "bedrag": "bedrag_p", "crisis": "crisis_p",
           "postcode": "postcode_p", "huisnummer": "huisnummer_p", "bsn": "bsn_p"}


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dt.date):
        return date_nl(value)
    return str(value)


def _cell(value: str | None, parsed: object = None, has_parsed: bool = False) -> Text:
    """One preview cell: the text as mapped and, for typed fields, what it was read as."""
    if value is None:
        return Text("—", style="dim")
    # Control characters (a terminal escape in a partner's file) are never sent to the terminal.
    shown = inert(value).plain
    if len(shown) > PREVIEW_WIDTH:
        shown = shown[:PREVIEW_WIDTH - 1] + "…"
    cell = Text(shown)
    if has_parsed:
        if parsed is None:
            cell.append(" → ongeldig", style="bold red")
        else:
            if isinstance(parsed, int) and not isinstance(parsed, bool):
                parsed = euros(parsed)
            if _shown(parsed) != shown:
                cell.append(f" → {_shown(parsed)}", style="green")
    return cell


def _finish(report: dict, as_json: bool, preview) -> None:
    ok = not report["fouten"]
    report["in_orde"] = ok
    if as_json:
        print_json(report)  # counts, messages and the mapping: never the sample's values
        raise typer.Exit(0 if ok else 1)
    if report["velden"]:
        table = Table(title=f"Koppeling van partner {report['partner']} op het standaardformaat",
                      title_justify="left")
        table.add_column("Veld")
        table.add_column("Bron")
        rows = preview.get_column(SOURCE_ROW).to_list() if preview is not None else []
        for number in rows:
            table.add_column(f"rij {number}")
        for field in schema.SIGNAL_FIELDS:
            source = report["velden"].get(field.name)
            name = Text(field.name + (" *" if field.value_required else ""))
            cells = []
            if preview is not None:
                parsed_name = _PARSED.get(field.name)
                texts = preview.get_column(field.name).to_list()
                values = preview.get_column(parsed_name).to_list() if parsed_name \
                    else [None] * len(texts)
                cells = [_cell(t, v, parsed_name is not None)
                         for t, v in zip(texts, values, strict=True)]
            table.add_row(name, inert(source or "—", style="" if source else "dim"), *cells)
        out.print(table)
        out.print("* verplicht in elke rij", style="dim")
    sample = report.get("voorbeeld")
    if sample:
        out.print(inert(
            f"Voorbeeld {sample['bestand']}: {sample['rijen']} rijen gelezen, {sample['goed']} "
            f"goed, {sample['quarantaine']} in quarantaine"
            + (" — het hele bestand zou worden afgekeurd." if sample["afgekeurd"] else ".")),
            highlight=False)
        for reason, count in sorted(sample["redenen"].items()):
            out.print(f"  {reason}: {count}", highlight=False)
        for message in sample["meldingen"]:
            out.print(inert(f"  • {message}"))
    for warning in report["waarschuwingen"]:
        err.print(inert(f"Let op: {warning}", style="yellow"))
    for error in report["fouten"]:
        err.print(inert(f"Fout: {error}", style="bold red"))
    if ok:
        out.print(f"Partnerconfiguratie {report['partner']} is in orde.", style="green")
    raise typer.Exit(0 if ok else 1)
