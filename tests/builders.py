"""Build standard-format deliveries for tests: valid by default, override what a test is about."""

from __future__ import annotations

import datetime as dt

from vroeg.schema import STANDARD_COLUMNS

#: A valid signal for the sample municipality (postcode 8911 is wijkteam Centrum). Synthetic.
BASE = {
    "signaal_id": "T-1",
    "partner_type": "Huur",
    "partner_naam": "Woongroep Fryslân",
    "signaaldatum": "2026-10-14",
    "ontstaansdatum": "2026-08-01",
    "bedrag": "620,00",
    "crisis": "nee",
    "uiterste_datum": "",
    "bsn": "999990019",
    "voornamen": "Anna",
    "tussenvoegsel": "de",
    "achternaam": "Testpersoon",
    "geboortedatum": "1984-03-02",
    "straatnaam": "Proefstraat",
    "postcode": "8911 AB",
    "huisnummer": "12",
    "huisnummertoevoeging": "",
    "woonplaats": "Leeuwarden",
    "telefoon": "0580000001",
    "email": "",
}

#: The day tests validate on, so that "not in the future" does not depend on the calendar.
TODAY = dt.date(2026, 11, 22)


def row(**overrides: str) -> dict:
    data = dict(BASE)
    data.update(overrides)
    return data


def standard_file(rows: list[dict], *, bom: bool = True, delimiter: str = ";",
                  newline: str = "\r\n", columns: tuple[str, ...] = STANDARD_COLUMNS) -> bytes:
    def cell(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(columns)]
    lines += [delimiter.join(cell(str(r.get(c, ""))) for c in columns) for r in rows]
    text = newline.join(lines) + newline
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")
