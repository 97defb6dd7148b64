"""The CLI speaks one language: Typer's own messages (usage errors, help titles, the help
option, "Aborted", the yes/no question) are Dutch like everything else `vroeg` prints.

The commands run as users run them: the installed `vroeg` in a subprocess, with an empty
VROEG_HOME. Nothing here needs Prefect.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

VROEG = shutil.which("vroeg", path=str(Path(sys.executable).parent)) or "vroeg"
CATALOGUE = Path(__file__).parents[2] / "cli" / "locale" / "nl" / "LC_MESSAGES"

#: Words and phrases of Typer, its copy of Click, and pydantic's value checks that a user of the
#: CLI could see in English: none may be left in what `vroeg` prints.
ENGLISH = [
    "Usage", "Options", "Commands", "Arguments", "Error", "Show this message", "and exit",
    "No such", "Missing", "Invalid value", "Possible options", "Did you mean", "Try '",
    "for help", "Input should", "valid integer", "does not exist", "is not one of",
    "Value error", "Aborted", "default:", "required", "env var", "unexpected extra",
    "requires an argument", "does not take a value", "[y/N]", "invalid input",
]


def english_in(text: str) -> list[str]:
    return [w for w in ENGLISH if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]


def vroeg(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VROEG_")}
    # Wide enough that no message is wrapped inside a panel.
    env.update(VROEG_HOME=str(home), COLUMNS="200", TERMINAL_WIDTH="200")
    return subprocess.run([VROEG, *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=home.parent)


@pytest.mark.parametrize(("args", "dutch"), [
    (["run", "--bogus"], "Onbekende optie: --bogus (bedoelt u --verbose?)"),
    (["run", "--xyz"], "Onbekende optie: --xyz"),
    (["users", "add", "j.devries"], "Optie '--role' / '-r' ontbreekt."),
    (["quarantine", "--limit", "veel"], "Ongeldige waarde voor '--limit': geef een geheel getal."),
    (["quarantine", "--limit", "0"],
     "Ongeldige waarde voor '--limit': de waarde moet minstens 1 zijn."),
    (["ingest"], "Argument 'BESTANDEN' ontbreekt."),
    (["ingest", "bestaat-niet.csv"],
     "Ongeldige waarde voor 'BESTANDEN': bestand 'bestaat-niet.csv' bestaat niet."),
    (["bestaat-niet"], "Onbekende opdracht 'bestaat-niet'."),
    (["keys", "init", "extra"], "Onverwachte extra argumenten (extra)"),
    (["run", "--period"], "Optie '--period' heeft een waarde nodig."),
])
def test_usage_errors_are_dutch(tmp_path, args, dutch):
    result = vroeg(tmp_path / "var", *args)
    assert result.returncode == 2, result.stderr
    assert dutch in result.stderr
    assert " Fout " in result.stderr  # the panel's title
    if "--period" not in args:  # Typer gives no usage line for an option without its value
        assert f"Gebruik: vroeg {' '.join(args[:2 if args[0] in ('users', 'keys') else 1])}" \
            in result.stderr or "Gebruik: vroeg [OPTIES]" in result.stderr
        assert "voor hulp." in result.stderr
    assert english_in(result.stderr + result.stdout) == []


@pytest.mark.parametrize(("args", "dutch"), [
    ([], ["Gebruik: vroeg [OPTIES] OPDRACHT [ARGUMENTEN]...", " Opties ", " Opdrachten ",
          "Toon deze hulp en stop."]),
    (["keys"], ["Gebruik: vroeg keys [OPTIES] OPDRACHT [ARGUMENTEN]...", " Opdrachten "]),
    (["ingest"], ["Gebruik: vroeg ingest [OPTIES] {BESTANDEN}...", " Argumenten ", " Opties "]),
    (["quarantine"], ["Gebruik: vroeg quarantine [OPTIES] [LEVERING]"]),
    (["generate"], ["[standaard: 6]", "Toon deze hulp en stop."]),
    (["users", "add"], ["[verplicht]"]),
])
def test_help_is_dutch(tmp_path, args, dutch):
    result = vroeg(tmp_path / "var", *args, "--help")
    assert result.returncode == 0, result.stderr
    for text in dutch:
        assert text in result.stdout
    assert english_in(result.stdout) == []


def test_no_command_shows_dutch_help(tmp_path):
    result = vroeg(tmp_path / "var")
    assert result.returncode == 2
    assert "Gebruik: vroeg" in result.stdout + result.stderr
    assert english_in(result.stdout + result.stderr) == []


def test_the_yes_no_question_is_dutch_and_takes_ja(tmp_path):
    """`erase` asks before it wipes: "[j/n]", a wrong answer is asked again in Dutch, "nee" (or
    no answer) stops with "Afgebroken." and exit 1, "ja" goes ahead."""
    home = tmp_path / "var"
    assert vroeg(home, "keys", "init").returncode == 0
    refused = vroeg(home, "erase", "--bsn", "111222333", stdin="x\nnee\n")
    assert refused.returncode == 1
    assert "wissen? [j/n] (n):" in refused.stderr
    assert "Antwoord j (ja) of n (nee)." in refused.stderr
    assert "Afgebroken." in refused.stderr
    silent = vroeg(home, "erase", "--bsn", "111222333")
    assert silent.returncode == 1 and "Afgebroken." in silent.stderr
    agreed = vroeg(home, "erase", "--bsn", "111222333", stdin="ja\n")
    assert agreed.returncode == 0, agreed.stderr
    assert "Gewist: BSN eindigend op 333" in agreed.stdout
    assert english_in(refused.stderr + silent.stderr + agreed.stderr) == []


# A choice: `vroeg` has no option with fixed choices yet, so a small application of the same
# kind, run the way cli.main runs `vroeg`, shows that message.
CHOICE_APP = """
import enum, typer
from typing import Annotated
from cli.dutch import run

class Kleur(str, enum.Enum):
    rood = "rood"
    groen = "groen"

app = typer.Typer()

@app.command()
def kies(kleur: Annotated[Kleur, typer.Option()] = Kleur.rood, aantal: float = 0.5) -> None:
    print(kleur.value)

run(app)
"""


@pytest.mark.parametrize(("args", "dutch"), [
    (["--kleur", "paars"],
     "Ongeldige waarde voor '--kleur': 'paars' is geen keuze; kies uit 'rood', 'groen'."),
    (["--aantal", "half"], "Ongeldige waarde voor '--aantal': geef een getal"),
])
def test_a_bad_choice_or_number_is_dutch(tmp_path, args, dutch):
    env = {**os.environ, "COLUMNS": "200", "TERMINAL_WIDTH": "200"}
    result = subprocess.run([sys.executable, "-c", CHOICE_APP, *args], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert dutch in result.stderr
    assert english_in(result.stderr) == []
    ok = subprocess.run([sys.executable, "-c", CHOICE_APP, "--kleur", "groen"], env=env,
                        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and ok.stdout.strip() == "groen"


def test_every_entry_of_the_catalogue_is_translated_and_fits_its_template():
    """Each msgid, filled with sample values, comes out as its msgstr with the same values; a
    value holding braces or a template's own words stays as it is."""
    from cli.dutch import _PLACEHOLDER, _fill, catalogue, translate

    entries = {k: v for k, v in catalogue()._catalog.items() if isinstance(k, str) and k}
    assert len(entries) > 50
    for msgid, msgstr in entries.items():
        assert msgstr and msgstr != msgid or msgid == "{message}", msgid
        names = [m.group(1) or f"_{i}" for i, m in enumerate(_PLACEHOLDER.finditer(msgid))]
        values = {name: "'--x {y}'" for name in names if name != "message"}
        values |= {"message": "Input should be a valid integer"} if "message" in names else {}
        expected = _fill(msgstr, values | ({"message": "geef een geheel getal."}
                                            if "message" in names else {}))
        assert translate(_fill(msgid, values)) == expected, msgid
    assert translate("Iets wat Typer niet zegt") == "Iets wat Typer niet zegt"


def test_the_compiled_catalogue_is_the_source():
    """typer.mo is compiled from typer.po (make translations): an edit of the .po without it
    would not reach users."""
    import gettext

    from babel.messages.pofile import read_po

    with (CATALOGUE / "typer.po").open("rb") as source:
        po = {m.id: m.string for m in read_po(source) if m.id}
    with (CATALOGUE / "typer.mo").open("rb") as compiled:
        mo = {k: v for k, v in gettext.GNUTranslations(compiled)._catalog.items() if k}
    assert mo == po
