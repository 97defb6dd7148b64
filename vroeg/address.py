"""Dutch address normalisation: one household key however a partner writes the address.

`1234 ab`, `1234AB` are one postcode; `12-a`, `12 A`, `12a` with or without a separate addition
are one house. The household key is built from these normal forms and then pseudonymised; it is
never stored in clear.
"""

from __future__ import annotations

import re

import polars as pl

POSTCODE_RE = r"^[1-9][0-9]{3}[A-Z]{2}$"


def postcode(expr: pl.Expr) -> pl.Expr:
    """Normal form 1234AB, or null when the text is not a Dutch postcode."""
    compact = expr.str.replace_all(r"\s+", "").str.to_uppercase()
    return pl.when(compact.str.contains(POSTCODE_RE)).then(compact).otherwise(None)


def pc4(expr: pl.Expr) -> pl.Expr:
    """The four digits of a normalised postcode, as an integer."""
    return expr.str.slice(0, 4).cast(pl.Int32, strict=False)


def _addition(expr: pl.Expr) -> pl.Expr:
    """Upper case, separators removed: '-a', ' A', 'a' -> 'A'; '2-hoog' -> '2HOOG'."""
    return expr.str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")


def house_number(number: pl.Expr) -> pl.Expr:
    """The digits of a house number ('12-a' -> '12'), without leading zeros; null if none."""
    # [0-9], not \d: other scripts' digits are not a house number here (connectors/parse.py).
    digits = number.str.extract(r"^\s*0*([0-9]+)", 1)
    return pl.when(digits.is_not_null() & (digits != "")).then(digits).otherwise(None)


def addition(number: pl.Expr, addition_field: pl.Expr) -> pl.Expr:
    """The addition: the separate field if given, else what follows the digits in the number."""
    from_number = _addition(number.str.extract(r"^\s*[0-9]+(.*)$", 1).fill_null(""))
    separate = _addition(addition_field.fill_null(""))
    return pl.when(separate != "").then(separate).otherwise(from_number)


def household_key(postcode_norm: pl.Expr, number_norm: pl.Expr, addition_norm: pl.Expr) -> pl.Expr:
    """'1234AB|12|A': the clear-text address identity that is pseudonymised per household."""
    return pl.concat_str([postcode_norm, number_norm, addition_norm.fill_null("")], separator="|")


def normalise_postcode(text: str) -> str | None:
    """Python twin of `postcode` for single values (used where no frame is at hand)."""
    compact = re.sub(r"\s+", "", text or "").upper()
    return compact if re.match(POSTCODE_RE, compact) else None
