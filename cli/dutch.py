"""Typer's own words in Dutch: usage errors, help titles, the help option, "Aborted".

Everything the CLI itself prints is Dutch; this module makes the messages of the command-line
library match. The catalogue is `cli/locale/nl/LC_MESSAGES/typer.po`, compiled to `typer.mo`
beside it (docs/development.md says how to add or change a message).

Typer carries its own copy of Click, in which most messages are English f-strings rather than
gettext calls, and it checks values with pydantic, whose messages are English too. So the
catalogue's entries are message *templates* ("No such option: {option}") and `translate` matches
a finished message against them. Typer's few gettext calls and its help-panel titles (constants
set at import) take their Dutch from the same catalogue. Nothing here changes the process's
locale, its environment or gettext's global domain: other libraries and the programs the CLI
starts are unaffected.
"""

from __future__ import annotations

import gettext
import re
import sys
from functools import cache
from pathlib import Path

import typer
from typer import _click, core, rich_utils

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "typer"

#: Typer's help and error texts that are module constants, built once at its import.
_RICH_CONSTANTS = (
    "DEPRECATED_STRING", "DEFAULT_STRING", "ENVVAR_STRING", "REQUIRED_LONG_STRING",
    "ARGUMENTS_PANEL_TITLE", "OPTIONS_PANEL_TITLE", "COMMANDS_PANEL_TITLE", "ERRORS_PANEL_TITLE",
    "ABORTED_TEXT", "RICH_HELP",
)
#: A placeholder of a template: `{name}`, `{name!r}` or `{}`.
_PLACEHOLDER = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")
#: Placeholders whose value is itself a message of the library, translated in turn.
_NESTED = {"message"}


@cache
def catalogue() -> gettext.GNUTranslations:
    # No fallback: a missing catalogue is a packaging fault the tests must see.
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=["nl"])


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """The catalogue's entries with placeholders as patterns, the most specific first.

    Those that begin with words before those that begin with a value, so a wrapper ("Value
    error, {message}") is taken off before its inner message is matched; then the most literal
    text first, so "No such option: {option} (Possible options: {options})" wins over "No such
    option: {option}".
    """
    found = []
    # GNUTranslations has no public way to list its entries.
    for msgid in catalogue()._catalog:
        if not isinstance(msgid, str) or not msgid or not _PLACEHOLDER.search(msgid):
            continue
        parts, position, unnamed = [], 0, 0
        for match in _PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[position:match.start()]))
            name = match.group(1) or f"_{unnamed}"
            unnamed += not match.group(1)
            parts.append(f"(?P<{name}>.+?)")
            position = match.end()
        parts.append(re.escape(msgid[position:]))
        rank = (msgid.startswith("{"), -len(_PLACEHOLDER.sub("", msgid)))
        found.append((rank, re.compile("".join(parts), re.DOTALL), msgid))
    found.sort(key=lambda item: item[0])
    return [(pattern, msgid) for _, pattern, msgid in found]


def translate(message: str) -> str:
    """The Dutch of one finished message of Typer, Click or pydantic; unknown text unchanged."""
    exact = catalogue().gettext(message)
    if exact != message:
        return exact
    for pattern, msgid in _templates():
        match = pattern.fullmatch(message)
        if match is None:
            continue
        values = {name: translate(value) if name in _NESTED else value
                  for name, value in match.groupdict().items()}
        return _fill(catalogue().gettext(msgid), values)
    return message


def _fill(template: str, values: dict[str, str]) -> str:
    """The template with its placeholders replaced by the values, by name (`{}` in order).

    Not str.format: a value (a file name, an option the user typed) may hold braces.
    """
    parts, position, unnamed = [], 0, 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1) or f"_{unnamed}"
        unnamed += not match.group(1)
        parts += [template[position:match.start()], values[name]]
        position = match.end()
    return "".join([*parts, template[position:]])


class _DutchHelpFormatter(_click.formatting.HelpFormatter):
    """The usage line ("Gebruik: vroeg run [OPTIES]"), for help and for usage errors alike."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english in ("[OPTIONS]", "COMMAND [ARGS]..."):
            args = args.replace(english, translate(english))
        super().write_usage(prog, args, translate("Usage: ") if prefix is None else prefix)


_english_help_option = _click.core.Command.get_help_option


def _dutch_help_option(self: _click.core.Command, ctx: _click.Context):
    option = _english_help_option(self, ctx)
    if option is not None and option.help:
        option.help = translate(option.help)
    return option


@cache
def install() -> None:
    """Make Typer speak Dutch in this process (once; later calls do nothing)."""
    core._ = catalogue().gettext  # Typer's own gettext calls ("Missing command.", "Aborted!")
    rich_utils._ = catalogue().gettext
    for name in _RICH_CONSTANTS:
        setattr(rich_utils, name, translate(getattr(rich_utils, name)))
    _click.Context.formatter_class = _DutchHelpFormatter
    _click.core.Command.get_help_option = _dutch_help_option


class _Translated(_click.exceptions.UsageError):
    """A usage error of Typer with its message in Dutch, shown by Typer's own error panel."""

    def __init__(self, original: _click.ClickException) -> None:
        super().__init__(translate(original.format_message()), getattr(original, "ctx", None))
        self.exit_code = original.exit_code


def run(app: typer.Typer) -> None:
    """Run a Typer application as its command (exit codes as Typer gives them), in Dutch.

    Typer's usage errors are caught here rather than by Typer, so that their message can be
    translated before Typer's own panel shows it.
    """
    install()
    try:
        result = app(standalone_mode=False)
    except _click.exceptions.NoArgsIsHelpError as exc:
        sys.exit(exc.exit_code)  # the help is already printed
    except _click.ClickException as exc:
        rich_utils.rich_format_error(_Translated(exc))
        sys.exit(exc.exit_code)
    except typer.Abort:
        rich_utils.rich_abort_error()
        sys.exit(1)
    # Without standalone mode Typer returns the exit code of typer.Exit, else the command's own
    # return value, which is no exit code.
    sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)
