"""Parse the mapped text into typed values, beside the text, so validation can tell apart
"empty", "present but unreadable" and "readable but against a rule".

Every parsed column is named `<field>_p` and is null when the text is absent or unreadable.
Nothing here raises on bad data: casts are non-strict and bad values become nulls that the
validation suite turns into reasons.

Digits are `[0-9]`, never `\\d`: the regex engines (polars' as Python's) and `int()` take every
Unicode digit, so a BSN written in fullwidth (１２３…) or Arabic-Indic (١٢٣…) digits passed the
pattern and then failed the cast to a number, and with it the whole delivery. Such a value is
unreadable like any other, and quarantines its row (BSN_ONGELDIG, HUISNUMMER_ONGELDIG).
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from connectors.mapping import MappedDelivery
from vroeg import address
from vroeg import bsn as bsn_rule
from vroeg.config import Municipality

#: Amount text accepted per configured decimal mark: no thousands separators, no currency sign.
AMOUNT_PATTERNS = {
    ",": r"^-?[0-9]+(?:,[0-9]{1,2})?$",
    ".": r"^-?[0-9]+(?:\.[0-9]{1,2})?$",
    "auto": r"^-?[0-9]+(?:[.,][0-9]{1,2})?$",
}

def ungroup(expr: pl.Expr, decimal: str, thousands: str) -> pl.Expr:
    """'1.234,56' -> '1234,56' when the partner writes a thousands separator; only amounts
    grouped exactly in threes lose it ('1.23,4' stays as it is, and is not a valid amount)."""
    sep, dec = re.escape(thousands), re.escape(decimal)
    grouped = rf"^-?[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+(?:{dec}[0-9]{{1,2}})?$"
    return (
        pl.when(expr.str.contains(grouped))
        .then(expr.str.replace_all(thousands, "", literal=True))
        .otherwise(expr)
    )


def amount_cents(expr: pl.Expr, decimal: str, thousands: str | None = None) -> pl.Expr:
    """Euro text to whole cents (Int64), exactly, without going through floats."""
    if thousands is not None:
        expr = ungroup(expr, decimal, thousands)
    valid = expr.str.contains(AMOUNT_PATTERNS[decimal])
    unified = expr.str.replace(",", ".", literal=True)
    negative = unified.str.starts_with("-")
    body = unified.str.strip_prefix("-")
    whole = body.str.extract(r"^([0-9]+)", 1).cast(pl.Int64, strict=False)
    fraction = body.str.extract(r"\.([0-9]{1,2})$", 1).fill_null("0").str.pad_end(2, "0")
    cents = whole * 100 + fraction.cast(pl.Int64, strict=False)
    signed = pl.when(negative).then(-cents).otherwise(cents)
    return pl.when(valid).then(signed).otherwise(None)


#: Excel's day 0 in the 1900 date system (it counts 1900-02-29, so serials from 61 on are
#: right when counted from 1899-12-30; earlier ones are not dates a signal can carry anyway).
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Serials accepted: 1950-01-01 to 2099-12-31. Outside that a number is not a plausible date.
EXCEL_SERIALS = ((dt.date(1950, 1, 1) - EXCEL_EPOCH).days,
                 (dt.date(2099, 12, 31) - EXCEL_EPOCH).days)


def excel_serial(expr: pl.Expr) -> pl.Expr:
    """'46000' (or '46000.0', a cell that lost its date format) -> 2025-12-09."""
    whole = expr.str.extract(r"^([0-9]{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    lo, hi = EXCEL_SERIALS
    return (
        pl.when(whole.is_between(lo, hi))
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=whole))
        .otherwise(None)
        .cast(pl.Date)
    )


def parse_date(expr: pl.Expr, formats: list[str]) -> pl.Expr:
    """The first format that reads the text wins; impossible dates (31-02) become null.

    "excel" reads Excel serial day numbers; it is opt-in per partner, because in any other file
    a bare number in a date column is a mistake to quarantine, not a date.
    """
    attempts = [
        excel_serial(expr) if fmt == "excel"
        else expr.str.strptime(pl.Date, fmt, strict=False, exact=True)
        for fmt in formats
    ]
    return pl.coalesce(attempts) if len(attempts) > 1 else attempts[0]


def flag(expr: pl.Expr) -> pl.Expr:
    lowered = expr.str.to_lowercase()
    return pl.when(lowered == "ja").then(True).when(lowered == "nee").then(False).otherwise(None)


def bsn(expr: pl.Expr) -> pl.Expr:
    """Nine digits (an eight-digit BSN gets its leading zero back), else null."""
    compact = expr.str.replace_all(r"[\s.]", "")
    return pl.when(compact.str.contains(r"^[0-9]{8,9}$")).then(compact.str.zfill(9)).otherwise(None)


def elfproef(nine_digits: pl.Expr) -> pl.Expr:
    """vroeg.bsn.is_valid on a column: 9·d1 + 8·d2 + ... + 2·d8 − 1·d9 divisible by 11 (and not
    all zeros)."""
    total = pl.sum_horizontal(
        [nine_digits.str.slice(i, 1).cast(pl.Int64) * w for i, w in enumerate(bsn_rule.WEIGHTS)]
    )
    return (total % 11 == 0) & (nine_digits != "000000000")


def parse(mapped: MappedDelivery, municipality: Municipality) -> pl.DataFrame:
    partner = mapped.partner
    dates = [
        parse_date(pl.col(name), formats).alias(f"{name}_p")
        for name, formats in mapped.date_formats.items()
    ]
    teams = municipality.pc4_to_team
    frame = mapped.frame.with_columns(
        *dates,
        amount_cents(pl.col("bedrag"), partner.decimal, partner.thousands).alias("bedrag_p"),
        flag(pl.col("crisis")).alias("crisis_p"),
        address.postcode(pl.col("postcode")).alias("postcode_p"),
        address.house_number(pl.col("huisnummer")).alias("huisnummer_p"),
        address.addition(pl.col("huisnummer"), pl.col("huisnummertoevoeging"))
        .alias("toevoeging_p"),
        bsn(pl.col("bsn")).alias("bsn_p"),
    )
    return frame.with_columns(
        pl.when(pl.col("bsn_p").is_not_null()).then(elfproef(pl.col("bsn_p"))).alias("bsn_elfproef"),
        address.pc4(pl.col("postcode_p"))
        .replace_strict(teams, default=None, return_dtype=pl.String)
        .alias("wijkteam"),
        # How long the arrears had run when signalled: the partner type's window applies to it.
        # Negative is a date-order error (DATUM_VOLGORDE), not also a window error: left null.
        pl.when(pl.col("signaaldatum_p") >= pl.col("ontstaansdatum_p"))
        .then((pl.col("signaaldatum_p") - pl.col("ontstaansdatum_p")).dt.total_days())
        .alias("achterstand_dagen"),
    )
