"""How amounts, numbers, days, moments and residents' names are written and read: one spelling
everywhere.

Visit lists, their explanations, the portal, the algorithm card, subject access and the CLI all
show the same amount the same way; these functions are the one place that decides how.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo

# ------------------------------------------------------------------------------------------------
# Amounts
# ------------------------------------------------------------------------------------------------


def euros(cents: int) -> str:
    """123456 -> '€ 1.234,56'; -123456 -> '€ -1.234,56' (Dutch notation).

    A negative amount has its minus sign directly before the number, after the euro sign: that is
    the Taalunie's advice for a negative amount ("€ -12"; "– € 12" is how a discount is written)
    and the pattern of the Dutch locale that Excel and LibreOffice show. Amounts are whole cents
    (integers), so nothing is rounded here.
    """
    whole, rest = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}".replace(",", ".")
    return f"€ {'-' if cents < 0 else ''}{grouped},{rest:02d}"


#: `euros` as an Excel number format, for cells that stay numbers (a negative section of its own:
#: without one Excel puts the minus sign before the euro sign).
EXCEL_EUROS = "€ #,##0.00;€ -#,##0.00"


def decimal_comma(cents: int) -> str:
    """123456 -> '1234,56': decimal comma, no grouping, no sign of the currency. A Dutch Excel
    reads this from a CSV file as a number."""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{'-' if cents < 0 else ''}{whole},{rest:02d}"


def parse_decimal_comma(text: str | None) -> int | None:
    """'1234,56' (as `decimal_comma` writes it; '75' and '1234,5' too) -> cents; None otherwise."""
    m = re.fullmatch(r"(-?)([0-9]+)(?:,([0-9]{1,2}))?", (text or "").strip())  # ASCII only
    if not m:
        return None
    cents = int(m.group(2)) * 100 + int((m.group(3) or "0").ljust(2, "0"))
    return -cents if m.group(1) else cents


def number_nl(value: float | int | None, decimals: int = 4) -> str:
    """0.28571 -> '0,2857'; 3 -> '3'; None -> '': decimal comma, no grouping, like
    `decimal_comma`, so a Dutch Excel reads a figure in a CSV file as a number."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.{decimals}f}".replace(".", ",")


# ------------------------------------------------------------------------------------------------
# Days and moments
# ------------------------------------------------------------------------------------------------

#: The one form in which a day is shown to people (the portal, the CLI, subject access). Typed
#: dates (--today, --from) and file names stay JJJJ-MM-DD: that form sorts and is unambiguous.
DATE_FORM = "%d-%m-%Y"


def date_nl(day: dt.date | str | None) -> str:
    """31-10-2026, as a coordinator or resident reads a date; '' for none. An ISO text
    ('2026-10-31', as JSON and the vault hold dates) is shown the same way."""
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day[:10])
        except ValueError:
            return day
    return day.strftime(DATE_FORM) if day else ""


def moment_nl(value: dt.datetime | str | None, timezone: str, *, seconds: bool = False) -> str:
    """A moment as people read it: in the municipality's time zone, with the zone named,
    e.g. '31-10-2026 14:05 CET' ('31-10-2026 14:05:07 CET' with seconds); '' for none.

    Moments are stored in UTC; SQLite hands them back naive, so a naive value is UTC. The zone is
    named because the same clock time means another moment in summer (CEST) and winter (CET).
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(ZoneInfo(timezone))
    return local.strftime(f"{DATE_FORM} %H:%M{':%S' if seconds else ''} %Z")


def parse_day(text: str, *also: str) -> dt.date:
    """A day from JJJJ-MM-DD (the form of every --today, --from and date field), or from one of
    the strptime formats `also` (e.g. '%d-%m-%Y' where people type a date).

    Raises ValueError with a Dutch message that quotes the text (a date typed by an officer, never
    personal data).
    """
    text = (text or "").strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    for fmt in also:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is geen datum in de vorm JJJJ-MM-DD.")


def today_in(timezone: str) -> dt.date:
    """Today in the municipality's time zone (a run at 00:30 belongs to the new day there)."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def day_or_today(text: str | None, timezone: str) -> dt.date:
    """The day given (e.g. `--today 2026-10-31`, to validate as of that day), else today."""
    return parse_day(text) if text else today_in(timezone)


# ------------------------------------------------------------------------------------------------
# Residents
# ------------------------------------------------------------------------------------------------


def full_name(identity: Mapping) -> str:
    """'Anna Maria van der Berg': voornamen, tussenvoegsel and achternaam; empty ones left out."""
    parts = (identity.get("voornamen"), identity.get("tussenvoegsel"), identity.get("achternaam"))
    return " ".join(p for p in parts if p)


def street_address(identity: Mapping) -> str:
    """'Kerkstraat 12 A': street, house number and addition, the empty ones left out."""
    parts = (identity.get("straatnaam"), identity.get("huisnummer"),
             identity.get("huisnummertoevoeging"))
    return " ".join(p for p in parts if p)


def postal_address(identity: Mapping) -> str:
    """'Kerkstraat 12 A, 8911AB Leeuwarden', as a list, the portal and subject access show it."""
    place = " ".join(p for p in (identity.get("postcode"), identity.get("woonplaats")) if p)
    return ", ".join(p for p in (street_address(identity), place) if p)


def tel_uri(phone: str | None) -> str:
    """'tel:+31612345678' for '+31 6 1234 5678' or '06-12345678' (RFC 3966 allows no spaces),
    so that a phone number on a list can be called with one tap; '' when there are no digits."""
    if not phone:
        return ""
    digits = "".join(c for c in phone if c.isdigit())
    if not digits:
        return ""
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + digits
