"""The burgerservicenummer's check: the elfproef, in one place for every reader of a BSN.

9·d1 + 8·d2 + 7·d3 + 6·d4 + 5·d5 + 4·d6 + 3·d7 + 2·d8 − 1·d9 is divisible by 11. An older
eight-digit BSN is written with a leading 0, which the check allows; 000000000 is never valid.
The validation of deliveries applies it to whole columns (connectors.parse.elfproef), the
generator and the tests to single numbers (here).
"""

from __future__ import annotations

import re

#: The weights of the nine digits.
WEIGHTS: tuple[int, ...] = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def is_valid(bsn: str) -> bool:
    """Nine digits that pass the elfproef (and not all zeros)."""
    # [0-9], not \d: re's \d and int() accept fullwidth and Arabic-Indic digits too.
    if not re.fullmatch(r"[0-9]{9}", bsn or "") or bsn == "000000000":
        return False
    return sum(w * int(d) for w, d in zip(WEIGHTS, bsn, strict=True)) % 11 == 0


def check_digit(first_eight: str) -> int | None:
    """The ninth digit that makes `first_eight` a valid BSN; None when no digit does (a
    remainder of 10)."""
    total = sum(w * int(d) for w, d in zip(WEIGHTS, first_eight, strict=False))
    digit = total % 11
    return None if digit == 10 else digit


def first_valid(prefix: str) -> str:
    """The smallest valid BSN that starts with `prefix` (seven digits or more), for samples and
    tests that need a BSN of their own."""
    for tail in range(10 ** (9 - len(prefix))):
        candidate = f"{prefix}{tail:0{9 - len(prefix)}d}"
        if is_valid(candidate):
            return candidate
    raise ValueError(f"no valid BSN starts with {prefix}")
