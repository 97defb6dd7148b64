"""Build and write one wijkteam's visit list: CSV for any tool, XLSX for Excel users.

The ranked rows come from the warehouse as pseudonyms and points; names and addresses are added
here from the vault, for the listed households only. A list has two sections: the bezoeklijst
(the team's capacity plus every crisis household) and the wachtlijst (the rest above the
threshold, in order, for when there is room). The CSV holds both, marked in the column `sectie`;
the workbook puts them on two sheets. Every row carries its points per rule (`punten_*`, adding
up to `score`) and the same in words (`redenen`). Every text cell is neutralised against
formula injection: a partner's "name" starting with = + - or @ must never become a live formula
in a coordinator's spreadsheet.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scoring.explanations import Attempt, advice, reasons
from vroeg.config import Scoring
from vroeg.files import write_atomic
from vroeg.formats import EXCEL_EUROS, decimal_comma, full_name

#: Points per rule, in the order of the reasons text; together they add up to `score`. Every
#: points column starts with POINTS_PREFIX (readers such as the portal recognise them by it).
POINTS_PREFIX = "punten_"
POINT_COLUMNS = (
    "punten_crisis", "punten_partnertype", "punten_meervoudig", "punten_bedrag", "punten_duur",
    "punten_opeenvolgend", "punten_leeftijd",
)

#: The first model's columns, in order (Dutch: the list is read by wijkteam coordinators). Tools
#: (the portal) treat any column after these as an addition and show it by name.
LIST_COLUMNS = (
    "rang", "score", "naam", "straatnaam", "postcode", "huisnummer", "huisnummertoevoeging",
    "woonplaats", "telefoon", "signalen", "totaal_bedrag", "crisis", "redenen",
)

#: Every column of a published list: the first model's, then the advice, the creditors by name
#: (from the partner registry: whom to call about a payment plan), the section and the points
#: per rule.
COLUMNS = (*LIST_COLUMNS, "advies", "schuldeisers", "sectie", *POINT_COLUMNS)

BEZOEKLIJST, WACHTLIJST = "bezoeklijst", "wachtlijst"


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
    advies: str = ""
    sectie: str = BEZOEKLIJST
    #: The partners that sent the household's counted signals, by name.
    schuldeisers: str = ""
    #: Points per rule (POINT_COLUMNS -> points).
    punten: dict[str, int] | None = None


def points(household: dict) -> dict[str, int]:
    """Points per rule of a ranked household; the partner types' points as one sum."""
    return {
        name: sum(p["punten"] for p in household.get(name) or [])
        if name == "punten_partnertype" else int(household.get(name) or 0)
        for name in POINT_COLUMNS
    }


def build_rows(ranked: list[dict], identities: dict[str, list[dict]], rules: Scoring, *,
               period_months: int = 1, creditors: dict[str, list[str]] | None = None,
               history: dict[str, list[Attempt]] | None = None) -> list[ListRow]:
    """One row per ranked household. `identities` are newest first per household;
    `creditors` are the partners' names per household, `history` its contact attempts known
    at publication (any month), for the advice."""
    creditors, history = creditors or {}, history or {}
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
            redenen=reasons(household, rules, period_months=period_months),
            advies=advice(household, rules, history.get(household["huishouden_pseudoniem"], ())),
            sectie=household.get("sectie") or BEZOEKLIJST,
            schuldeisers=", ".join(_distinct(creditors.get(household["huishouden_pseudoniem"],
                                                           []))),
            punten=points(household),
        ))
    return rows


def _cells(row: ListRow, safe=neutralise) -> dict[str, str]:
    """Each column's text, by name (every name in COLUMNS)."""
    points_by_rule = row.punten or {}
    return {
        "rang": str(row.rang), "score": str(row.score), "naam": safe(row.naam),
        "straatnaam": safe(row.straatnaam), "postcode": safe(row.postcode),
        "huisnummer": safe(row.huisnummer), "huisnummertoevoeging": safe(row.huisnummertoevoeging),
        "woonplaats": safe(row.woonplaats), "telefoon": safe(row.telefoon),
        "signalen": safe(row.signalen), "totaal_bedrag": decimal_comma(row.totaal_bedrag_cent),
        "crisis": "ja" if row.crisis else "nee", "redenen": safe(row.redenen),
        "advies": safe(row.advies), "schuldeisers": safe(row.schuldeisers), "sectie": row.sectie,
        **{name: str(points_by_rule.get(name, 0)) for name in POINT_COLUMNS},
    }


def _as_text(value: str | None) -> str:
    return value or ""


def render_csv(rows: list[ListRow]) -> bytes:
    """UTF-8 with BOM and ';' so that Excel on a Dutch laptop opens it correctly by double-click."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in rows:
        cells = _cells(row)
        writer.writerow([cells[name] for name in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


#: How the workbook shows each column: its width in characters, and whether it is a number, an
#: amount, wrapped text (the reasons) or text.
_SHEET_COLUMNS: dict[str, tuple[int, str]] = {
    "rang": (6, "number"), "score": (7, "number"), "naam": (32, "text"),
    "straatnaam": (24, "text"), "postcode": (9, "text"), "huisnummer": (10, "text"),
    "huisnummertoevoeging": (8, "text"), "woonplaats": (16, "text"), "telefoon": (14, "text"),
    "signalen": (22, "text"), "totaal_bedrag": (12, "money"), "crisis": (7, "text"),
    "redenen": (90, "wrap"), "advies": (18, "text"), "schuldeisers": (28, "text"),
    "sectie": (11, "text"),
    **{name: (9, "number") for name in POINT_COLUMNS},
}


def _sheet(workbook, name: str, rows: list[ListRow], formats: dict) -> None:
    sheet = workbook.add_worksheet(name)
    for col, title in enumerate(COLUMNS):
        sheet.write_string(0, col, title, formats["bold"])
        sheet.set_column(col, col, _SHEET_COLUMNS[title][0])
    for r, row in enumerate(rows, start=1):
        cells = _cells(row, safe=_as_text)
        for col, column in enumerate(COLUMNS):
            kind, value = _SHEET_COLUMNS[column][1], cells[column]
            if kind == "number":
                sheet.write_number(r, col, int(value))
            elif kind == "money":
                sheet.write_number(r, col, row.totaal_bedrag_cent / 100, formats["money"])
            else:
                sheet.write_string(r, col, value, formats[kind])
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(COLUMNS) - 1)


def render_xlsx(rows: list[ListRow], *, title: str, about: list[tuple[str, str]]) -> bytes:
    """Sheets Bezoeklijst and Wachtlijst (same columns; the latter may be empty), Toelichting."""
    import xlsxwriter

    buffer = io.BytesIO()
    # Strings are always written as strings: nothing a partner sent can become a formula or link.
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    formats = {
        "bold": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
        "money": workbook.add_format({"num_format": EXCEL_EUROS}),
        # Text cells are typed text with the Text number format ("@"): Excel never evaluates
        # them, not even after a coordinator edits the cell, so no leading quote is needed
        # (unlike in CSV).
        "text": workbook.add_format({"num_format": "@"}),
        "wrap": workbook.add_format({"num_format": "@", "text_wrap": True, "valign": "top"}),
    }
    _sheet(workbook, "Bezoeklijst", [r for r in rows if r.sectie != WACHTLIJST], formats)
    _sheet(workbook, "Wachtlijst", [r for r in rows if r.sectie == WACHTLIJST], formats)

    info = workbook.add_worksheet("Toelichting")
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 100)
    info.write_string(0, 0, title, formats["bold"])
    for r, (key, value) in enumerate(about, start=2):
        info.write_string(r, 0, key)
        info.write_string(r, 1, value, formats["text"])
    workbook.close()
    return buffer.getvalue()


@dataclass(frozen=True)
class WrittenList:
    wijkteam: str
    #: Households on the bezoeklijst (capacity plus crisis households).
    households: int
    crisis: int
    csv_path: Path
    xlsx_path: Path
    csv_sha256: str
    #: Households on the wachtlijst.
    waiting: int = 0


def list_paths(folder: Path, stem: str) -> tuple[Path, Path]:
    """The CSV and XLSX files of one list."""
    return folder / f"{stem}.csv", folder / f"{stem}.xlsx"


def write_list(folder: Path, stem: str, wijkteam: str, rows: list[ListRow], *, title: str,
               about: list[tuple[str, str]]) -> WrittenList:
    csv_bytes = render_csv(rows)
    csv_path, xlsx_path = list_paths(folder, stem)
    write_atomic(xlsx_path, render_xlsx(rows, title=title, about=about))
    write_atomic(csv_path, csv_bytes)
    return WrittenList(
        wijkteam=wijkteam,
        households=sum(1 for r in rows if r.sectie != WACHTLIJST),
        crisis=sum(1 for r in rows if r.crisis),
        csv_path=csv_path,
        xlsx_path=xlsx_path,
        csv_sha256=hashlib.sha256(csv_bytes).hexdigest(),
        waiting=sum(1 for r in rows if r.sectie == WACHTLIJST),
    )
