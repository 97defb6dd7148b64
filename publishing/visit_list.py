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
import datetime as dt
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
    "punten_opeenvolgend", "punten_leeftijd", "punten_minderjarigen",
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


def with_deadline(text: str, deadline: dt.date | None) -> str:
    """The advice with a crisis signal's deadline: "binnen 3 werkdagen, vóór 14-11-2026"."""
    return text if deadline is None else f"{text}, vóór {deadline:%d-%m-%Y}"


def build_rows(ranked: list[dict], identities: dict[str, list[dict]], rules: Scoring, *,
               period_months: int = 1, creditors: dict[str, list[str]] | None = None,
               history: dict[str, list[Attempt]] | None = None,
               deadlines: dict[str, dt.date] | None = None) -> list[ListRow]:
    """One row per ranked household. `identities` are newest first per household;
    `creditors` are the partners' names per household, `history` its contact attempts known
    at publication (any month), for the advice; `deadlines` the date a crisis signal announced
    (an eviction, a disconnection, an end of supply), added to the advice: "vóór 14-11-2026"."""
    creditors, history, deadlines = creditors or {}, history or {}, deadlines or {}
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
            advies=with_deadline(
                advice(household, rules, history.get(household["huishouden_pseudoniem"], ())),
                deadlines.get(household["huishouden_pseudoniem"]) if household["crisis"]
                else None),
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


#: The workbook's Dutch column headings, one per column of COLUMNS. The CSV keeps the machine
#: names (other tools read it); the Toelichting sheet lists both.
LABELS: dict[str, str] = {
    "rang": "Rang", "score": "Score", "naam": "Naam", "straatnaam": "Straat",
    "postcode": "Postcode", "huisnummer": "Huisnr.", "huisnummertoevoeging": "Toev.",
    "woonplaats": "Woonplaats", "telefoon": "Telefoon", "signalen": "Signalen",
    "totaal_bedrag": "Totaal bedrag", "crisis": "Crisis", "redenen": "Redenen",
    "advies": "Advies", "schuldeisers": "Schuldeisers", "sectie": "Sectie",
    "punten_crisis": "Punten crisis",
    "punten_partnertype": "Punten soort schuldeiser", "punten_meervoudig": "Punten meervoudig",
    "punten_bedrag": "Punten bedrag", "punten_duur": "Punten duur",
    "punten_opeenvolgend": "Punten opeenvolgend", "punten_leeftijd": "Punten leeftijd",
    "punten_minderjarigen": "Punten minderjarigen",
}

#: Machine name of a workbook heading; readers of a workbook (erasure) also accept the machine
#: names themselves, which lists published before the headings were Dutch still carry.
NAMES_BY_LABEL: dict[str, str] = {label: name for name, label in LABELS.items()}

#: The columns printed (the print area): what a coordinator works from, the creditors included
#: (whom to call about a payment plan). The section is the sheet's own, and the points per rule
#: are also in the reasons, so printing them would only shrink the page.
PRINTED_COLUMNS = (*LIST_COLUMNS, "advies", "schuldeisers")

#: How the workbook shows each column: its width in characters and its kind: an integer, an
#: amount in euros, a house number (a number when it is one), wrapped text, a flag (ja/nee) or
#: text.
_SHEET_COLUMNS: dict[str, tuple[int, str]] = {
    "rang": (6, "integer"), "score": (6, "integer"), "naam": (24, "wrap"),
    "straatnaam": (20, "wrap"), "postcode": (9, "text"), "huisnummer": (7, "house"),
    "huisnummertoevoeging": (6, "text"), "woonplaats": (14, "wrap"), "telefoon": (13, "wrap"),
    "signalen": (16, "wrap"), "totaal_bedrag": (13, "money"), "crisis": (7, "flag"),
    "redenen": (56, "wrap"), "advies": (16, "wrap"), "schuldeisers": (18, "wrap"),
    "sectie": (11, "text"),
    **{name: (12, "integer") for name in POINT_COLUMNS},
}

#: A crisis row's fill; the row also says "ja" in Crisis, in bold, so that it is marked in
#: words too (not by colour alone: a black-and-white print or a screen reader loses the fill).
CRISIS_FILL = "#F8CBAD"

_CELL_FORMATS: dict[str, dict] = {
    "integer": {"num_format": "0"},
    "house": {"num_format": "0"},
    "money": {"num_format": EXCEL_EUROS},
    # Text cells are typed text with the Text number format ("@"): Excel never evaluates them,
    # not even after a coordinator edits the cell, so no leading quote is needed (unlike in CSV).
    "text": {"num_format": "@"},
    "wrap": {"num_format": "@", "text_wrap": True},
    "flag": {"num_format": "@", "align": "center"},
}


@dataclass(frozen=True)
class PageHeading:
    """What every printed page of a list says: whose list, which period, under which rules."""

    team: str
    period: str
    rules_version: str


def _header_text(text: str, limit: int = 60) -> str:
    """Plain text in a page header or footer: '&' starts a control code there, so it is doubled;
    cut short because Excel allows 255 characters per header."""
    return text[:limit].replace("&", "&&")


def _print_setup(sheet, heading: PageHeading, *, last_row: int, last_column: int) -> None:
    """Landscape A4, one page wide, headings repeated, and on every page whose list it is, that
    it is confidential, and its page number."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_margins(left=0.4, right=0.4, top=0.8, bottom=0.7)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.print_area(0, 0, max(last_row, 1), last_column)
    sheet.set_header(f"&L{_header_text(heading.team)}"
                     f"&C&A {_header_text(heading.period)}&RVertrouwelijk", {"margin": 0.3})
    sheet.set_footer(f"&LRegelversie {_header_text(heading.rules_version)}"
                     "&CPagina &P van &N&RPersoonsgegevens: niet doorsturen", {"margin": 0.3})


def _house_number(value: str) -> int | str:
    """A house number as a number (it sorts and filters as one); anything else stays text."""
    numeric = value.isascii() and value.isdigit() and not value.startswith("0")
    return int(value) if numeric and len(value) < 10 else value


_NOTE_WIDTH = 100  # the Toelichting's text column

#: A line of text in the default font (Calibri 11), in points.
_LINE_HEIGHT = 15


def _lines(text: str, width: int) -> int:
    """About how many lines a wrapped cell needs: its characters over the column's width (in
    widths of a digit; a letter is about a tenth narrower, which breaking between words takes
    back), rounded up: a line too many is blank space, one too few hides text on paper."""
    return sum(max(1, -(-len(part) * 10 // (width * 11))) for part in text.split("\n"))


def _sheet(workbook, name: str, rows: list[ListRow], formats: dict,
           heading: PageHeading) -> None:
    sheet = workbook.add_worksheet(name)
    plan = []
    wrapped = [(column, _SHEET_COLUMNS[column][0]) for column in COLUMNS
               if _SHEET_COLUMNS[column][1] == "wrap"]
    for col, column in enumerate(COLUMNS):
        width, kind = _SHEET_COLUMNS[column]
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, LABELS[column], formats["heading"])
        crisis_format = formats["crisis_mark"] if column == "crisis" else formats[kind, True]
        plan.append((col, column, kind, formats[kind, False], crisis_format))
    for r, row in enumerate(rows, start=1):
        cells = _cells(row, safe=_as_text)
        marked = row.crisis
        # The row's height, set here because LibreOffice does not fit rows to wrapped text when
        # it opens a workbook (Excel does, but only while a height was never set).
        lines = max(_lines(cells[column], width) for column, width in wrapped)
        if lines > 1:
            sheet.set_row(r, _LINE_HEIGHT * lines)
        for col, column, kind, plain, crisis_format in plan:
            cell_format = crisis_format if marked else plain
            if kind == "integer":
                sheet.write_number(r, col, int(cells[column]), cell_format)
            elif kind == "money":
                sheet.write_number(r, col, row.totaal_bedrag_cent / 100, cell_format)
            elif kind == "house" and isinstance(number := _house_number(cells[column]), int):
                sheet.write_number(r, col, number, cell_format)
            elif kind == "house":  # not a number: typed text, like every other text cell
                sheet.write_string(r, col, cells[column], formats["text", marked])
            else:
                sheet.write_string(r, col, cells[column], cell_format)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(COLUMNS) - 1)
    _print_setup(sheet, heading, last_row=len(rows), last_column=len(PRINTED_COLUMNS) - 1)


def _workbook_notes() -> list[tuple[str, str]]:
    """What the Toelichting says about the workbook itself, after the list's own facts."""
    return [
        ("Afdrukken", "Liggend, één pagina breed, met de kolomkoppen op elke pagina. Afgedrukt "
                      f"worden de kolommen {LABELS[PRINTED_COLUMNS[0]]} tot en met "
                      f"{LABELS[PRINTED_COLUMNS[-1]]}; de punten per regel staan ook in "
                      "de redenen."),
        ("Crisismarkering", "Een huishouden met een crisissignaal heeft 'ja' (vet) in de kolom "
                            "Crisis en een gekleurde rij."),
        ("Kolomnamen", "Dit werkblad heeft Nederlandse kolomkoppen; het CSV-bestand van "
                       "dezelfde lijst houdt de technische kolomnamen, zodat andere programma's "
                       "het kunnen inlezen: "
                       + "; ".join(f"{LABELS[name]} = {name}" for name in COLUMNS) + "."),
    ]


def render_xlsx(rows: list[ListRow], *, title: str, about: list[tuple[str, str]],
                heading: PageHeading) -> bytes:
    """Sheets Bezoeklijst and Wachtlijst (same columns; the latter may be empty), Toelichting.
    Printed as people print a list: landscape, one page wide, headings on every page, and the
    team, period, rule version, "Vertrouwelijk" and page numbers in the page's header and footer."""
    import xlsxwriter

    buffer = io.BytesIO()
    # Strings are always written as strings: nothing a partner sent can become a formula or link.
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    # One format per kind of column, plain and on a crisis row, made once: the rows only pick.
    formats: dict = {
        (kind, crisis): workbook.add_format({
            **properties, "valign": "top", **({"bg_color": CRISIS_FILL} if crisis else {})})
        for kind, properties in _CELL_FORMATS.items() for crisis in (False, True)
    }
    formats["crisis_mark"] = workbook.add_format({
        **_CELL_FORMATS["flag"], "valign": "top", "bg_color": CRISIS_FILL, "bold": True})
    formats["heading"] = workbook.add_format({
        "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    formats["title"] = workbook.add_format({"bold": True, "font_size": 13})
    _sheet(workbook, "Bezoeklijst", [r for r in rows if r.sectie != WACHTLIJST], formats,
           heading)
    _sheet(workbook, "Wachtlijst", [r for r in rows if r.sectie == WACHTLIJST], formats, heading)

    info = workbook.add_worksheet("Toelichting")
    info.set_column(0, 0, 28)
    info.set_column(1, 1, _NOTE_WIDTH)
    info.write_string(0, 0, title, formats["title"])
    for r, (key, value) in enumerate([*about, *_workbook_notes()], start=2):
        info.write_string(r, 0, key, formats["text", False])
        info.write_string(r, 1, value, formats["wrap", False])
        if (lines := _lines(value, _NOTE_WIDTH)) > 1:
            info.set_row(r, _LINE_HEIGHT * lines)
    _print_setup(info, heading, last_row=r, last_column=1)
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
               about: list[tuple[str, str]], heading: PageHeading) -> WrittenList:
    csv_bytes = render_csv(rows)
    csv_path, xlsx_path = list_paths(folder, stem)
    write_atomic(xlsx_path, render_xlsx(rows, title=title, about=about, heading=heading))
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
