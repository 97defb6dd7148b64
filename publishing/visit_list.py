"""Build and write one wijkteam's visit list: CSV for any tool, XLSX for Excel users.

The ranked rows come from the warehouse as pseudonyms and points; names and addresses are added
here from the vault, for the listed households only. Every text cell is neutralised against
formula injection: a partner's "name" starting with = + - or @ must never become a live formula
in a coordinator's spreadsheet.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scoring.reasons import reasons
from vroeg.config import Scoring

#: Columns of a published list, in order (Dutch: the list is read by wijkteam coordinators).
LIST_COLUMNS = (
    "rang", "score", "naam", "straatnaam", "postcode", "huisnummer", "huisnummertoevoeging",
    "woonplaats", "telefoon", "signalen", "totaal_bedrag", "crisis", "redenen",
)

def published_paths(outbox: Path, publication) -> tuple[Path, Path]:
    """Where a published list's CSV and XLSX are now: by name in its team's folder of this
    outbox. The paths recorded at publication may point to where VROEG_HOME was then (e.g.
    before a restore elsewhere, or a copy of an installation), so only their names are used.
    Used by the portal, retention, subject access and erasure alike."""
    folder = outbox / publication.wijkteam
    return folder / Path(publication.csv_path).name, folder / Path(publication.xlsx_path).name


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str | None) -> str:
    """OWASP's advice for CSV injection: a leading quote makes a would-be formula plain text."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def full_name(identity: dict) -> str:
    parts = (identity.get("voornamen"), identity.get("tussenvoegsel"), identity.get("achternaam"))
    return " ".join(p for p in parts if p)


def _distinct(values: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


@dataclass(frozen=True)
class ListRow:
    rang: int
    score: int
    naam: str
    straatnaam: str
    postcode: str
    huisnummer: str
    huisnummertoevoeging: str
    woonplaats: str
    telefoon: str
    signalen: str
    totaal_bedrag_cent: int
    crisis: bool
    redenen: str


def build_rows(ranked: list[dict], identities: dict[str, list[dict]], rules: Scoring) -> list[ListRow]:
    """One row per ranked household. `identities` are newest first per household."""
    rows = []
    for household in ranked:
        people = identities.get(household["huishouden_pseudoniem"]) or []
        newest = people[0] if people else {}
        rows.append(ListRow(
            rang=household["rang"],
            score=household["score"],
            naam=" / ".join(_distinct(full_name(p) for p in people)),
            straatnaam=newest.get("straatnaam") or "",
            postcode=newest.get("postcode") or "",
            huisnummer=newest.get("huisnummer") or "",
            huisnummertoevoeging=newest.get("huisnummertoevoeging") or "",
            woonplaats=newest.get("woonplaats") or "",
            telefoon=" / ".join(_distinct(p.get("telefoon") for p in people)),
            signalen=", ".join(household["partnertypes"]),
            totaal_bedrag_cent=household["totaal_bedrag_cent"],
            crisis=household["crisis"],
            redenen=reasons(household, rules),
        ))
    return rows


def _amount_text(cents: int) -> str:
    """Decimal comma without grouping: Dutch Excel reads '1234,56' from a CSV as a number."""
    whole, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole},{rest:02d}"


def _cells(row: ListRow, safe=neutralise) -> list[str]:
    return [
        str(row.rang), str(row.score), safe(row.naam), safe(row.straatnaam), safe(row.postcode),
        safe(row.huisnummer), safe(row.huisnummertoevoeging), safe(row.woonplaats),
        safe(row.telefoon), safe(row.signalen), _amount_text(row.totaal_bedrag_cent),
        "ja" if row.crisis else "nee", safe(row.redenen),
    ]


def _as_text(value: str | None) -> str:
    return value or ""


def render_csv(rows: list[ListRow]) -> bytes:
    """UTF-8 with BOM and ';' so that Excel on a Dutch laptop opens it correctly by double-click."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(LIST_COLUMNS)
    for row in rows:
        writer.writerow(_cells(row))
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(rows: list[ListRow], *, title: str, about: list[tuple[str, str]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    # Strings are always written as strings: nothing a partner sent can become a formula or link.
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    sheet = workbook.add_worksheet("Bezoeklijst")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    money = workbook.add_format({"num_format": "€ #,##0.00"})
    # Text cells are typed text with the Text number format ("@"): Excel never evaluates them,
    # not even after a coordinator edits the cell, so no leading quote is needed (unlike in CSV).
    text = workbook.add_format({"num_format": "@"})
    wrap = workbook.add_format({"num_format": "@", "text_wrap": True, "valign": "top"})
    widths = (6, 7, 32, 24, 9, 10, 8, 16, 14, 22, 12, 7, 90)
    for col, (name, width) in enumerate(zip(LIST_COLUMNS, widths, strict=True)):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, width)
    for r, row in enumerate(rows, start=1):
        cells = _cells(row, safe=_as_text)
        sheet.write_number(r, 0, row.rang)
        sheet.write_number(r, 1, row.score)
        for col in range(2, 10):
            sheet.write_string(r, col, cells[col], text)
        sheet.write_number(r, 10, row.totaal_bedrag_cent / 100, money)
        sheet.write_string(r, 11, cells[11], text)
        sheet.write_string(r, 12, cells[12], wrap)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(LIST_COLUMNS) - 1)

    info = workbook.add_worksheet("Toelichting")
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 100)
    info.write_string(0, 0, title, bold)
    for r, (key, value) in enumerate(about, start=2):
        info.write_string(r, 0, key)
        info.write_string(r, 1, value, text)
    workbook.close()
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class WrittenList:
    wijkteam: str
    households: int
    crisis: int
    csv_path: Path
    xlsx_path: Path
    csv_sha256: str


def write_list(folder: Path, stem: str, wijkteam: str, rows: list[ListRow], *, title: str,
               about: list[tuple[str, str]]) -> WrittenList:
    csv_bytes = render_csv(rows)
    csv_path, xlsx_path = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    write_atomic(xlsx_path, render_xlsx(rows, title=title, about=about))
    write_atomic(csv_path, csv_bytes)
    return WrittenList(
        wijkteam=wijkteam,
        households=len(rows),
        crisis=sum(1 for r in rows if r.crisis),
        csv_path=csv_path,
        xlsx_path=xlsx_path,
        csv_sha256=hashlib.sha256(csv_bytes).hexdigest(),
    )
