"""Issue 19, point 11: text from deliveries that the CLI prints is inert: Rich markup printed
literally, control characters shown escaped, never sent to the terminal."""

from __future__ import annotations

import datetime as dt

import polars as pl
from typer.testing import CliRunner

from cli import app
from tests.builders import row, standard_file

runner = CliRunner()

#: A surname that closes a markup tag nobody opened, a link, a screen clear and a title change.
HOSTILE_SURNAME = "[/]"
HOSTILE_FIRST = "[link=http://x.example]Klik[/link]\x1b[2J\x1b]0;titel\x07"


def test_inert_escapes_control_characters_and_keeps_markup_literal():
    from rich.console import Console

    from cli.common import inert

    console = Console(record=True, width=200, force_terminal=True, color_system=None)
    console.print(inert("a[/]b [bold]c[/bold] \x1b[2J \u202e d\ne"))
    shown = console.export_text()
    assert "a[/]b [bold]c[/bold] \\x1b[2J \\u202e d\\ne" in shown
    assert "\x1b" not in shown and "\u202e" not in shown


def _vault_with_hostile_resident(home) -> str:
    from privacy.context import context
    from privacy.pseudonymise import pseudonymise

    frame = pl.DataFrame([{
        "partner_id": "wonen-fryslan", "signaal_id": "H-1", "partner_type": "Huur",
        "partner_naam": "Woongroep", "signaaldatum": dt.date(2026, 10, 14),
        "ontstaansdatum": dt.date(2026, 8, 1), "bedrag_cent": 62000, "crisis": False,
        "bsn": "999990019", "voornamen": HOSTILE_FIRST, "tussenvoegsel": "",
        "achternaam": HOSTILE_SURNAME, "geboortedatum": dt.date(1984, 3, 2),
        "straatnaam": "[red]Straat", "postcode": "8911AB", "huisnummer": "12",
        "toevoeging_sleutel": "", "huisnummertoevoeging": "", "woonplaats": "Leeuwarden",
        "telefoon": None, "email": None, "wijkteam": "wt-centrum", "bron_rij": 2}])
    ctx = context("0080")
    result = pseudonymise(frame, ctx.keys)
    ctx.vault.store(result.identities)
    return result.facts["huishouden_pseudoniem"][0]


def test_reidentify_prints_a_resident_named_like_markup_literally(home):
    household = _vault_with_hostile_resident(home)
    result = runner.invoke(app, ["reidentify", household, "--reden", "klacht"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "[/]" in result.output and "[link=http://x.example]Klik[/link]" in result.output
    assert "[red]Straat" in result.output
    assert "\x1b" not in result.output and "\\x1b[2J" in result.output


def test_failure_messages_and_delivery_rows_are_inert():
    import typer

    from cli.common import deliveries_table, fail, out, warn_messages

    rows = [{"bestand": "[/]\x1b]0;titel\x07.csv", "partner": "standaard", "status": "afgekeurd",
             "rijen_gelezen": 1, "rijen_geladen": 0, "rijen_quarantaine": 0, "rijen_dubbel": 0,
             "melding": "Kolom '[/]' staat twee keer in de kop\x1b[2J."}]
    sub = typer.Typer()

    @sub.command()
    def show() -> None:
        out.print(deliveries_table(rows))
        warn_messages(rows)
        fail("Kan '[/]\x1b[2J' niet lezen.")

    result = runner.invoke(sub, [])
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Kolom '[/]' staat twee keer in de kop\\x1b[2J." in result.output
    assert "Kan '[/]\\x1b[2J' niet lezen." in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_ingest_prints_a_header_that_looks_like_markup_literally(home, tmp_path):
    """A delivery whose header repeats a column named like markup: the command does not crash
    on it (it did, parsing the name as markup), and the rejection names the columns by position,
    never by the header's text (issue 19, point 6), so nothing of it reaches the terminal."""
    path = tmp_path / "kop.csv"
    header, *rows = standard_file([row(signaal_id="K-1")]).decode("utf-8-sig").splitlines()
    path.write_text("\n".join([f"{header};[/];[/]", *(f"{r};x;y" for r in rows)]) + "\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path)])
    # Refused (exit 1, the delivery is rejected), not crashed.
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, (
        result.output, result.exception)
    assert "kolom 21 en kolom 22 van de kopregel hebben dezelfde naam" in result.output
    assert "[/]" not in result.output and "\x1b" not in result.output
