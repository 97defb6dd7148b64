"""File layouts: a partner's delivery written exactly as its configuration says it will be read.

Nothing here knows partner ids. The layout is derived from `Partner.column_specs()` by inverting
each spec (a map is looked up backwards, cents are multiplied out, two patterns on one column are
composed into one value that each pattern reads back), so a new partner configuration gets a
matching synthetic file without code changes, or a clear error when its shape is not supported.
"""

from __future__ import annotations

import calendar
import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from synthetic.simulation import Month, Signal
from vroeg import schema
from vroeg.config import ColumnSpec, Partner

#: Defects a bad row can get; each breaks one rule the quality step checks.
DEFECTS: tuple[str, ...] = ("postcode", "achternaam", "huisnummer", "bedrag")

#: Partner types that may pass the BSN on (insurers and public bodies; housing under covenant).
BSN_TYPES = frozenset({
    "Zorg", "Huur", "CAK Zorgverzekeringen", "CAK Eigen bijdrage", "DUO", "Belastingdienst",
    "Dienst Toeslagen",
})
#: Partner types whose systems often hold initials only.
INITIALS_TYPES = frozenset({"Water"})

#: Title above the table in a spreadsheet export, per partner type.
SHEET_TITLES = {
    "Huur": "Huurachterstanden", "Energie": "Energieachterstanden",
    "Water": "Waterachterstanden", "Zorg": "Premieachterstanden",
}

ISO_DATE = "%Y-%m-%d"


class GeneratorError(Exception):
    """A partner configuration cannot be written synthetically; the message says why."""


@dataclass(frozen=True)
class Euros:
    """An amount kept in whole cents, so no float rounding reaches the files."""

    cents: int

    def text(self, decimal_mark: str) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, cents = divmod(abs(self.cents), 100)
        return f"{sign}{whole}{decimal_mark}{cents:02d}"


Cell = str | int | Euros | date | None
Values = dict[str, object]


@dataclass(frozen=True)
class Style:
    """Choices the configuration leaves open; varied between partners so readers see both."""

    bom: bool = False
    line_terminator: str = "\n"
    postcode_space: bool = False


@dataclass(frozen=True)
class SourceColumn:
    name: str
    render: Callable[[Values], Cell]
    #: strftime format for date cells in text files.
    date_format: str = ISO_DATE


# -- standard values -----------------------------------------------------------------------------


def standard_values(signal: Signal, partner: Partner) -> Values:
    """The signal as standard fields: text, dates as date, the amount as Euros."""
    person = signal.resident
    household = signal.household
    return {
        "signaal_id": signal.signaal_id,
        "partner_type": partner.partner_type,
        "partner_naam": partner.name,
        "signaaldatum": signal.signaaldatum,
        "ontstaansdatum": signal.ontstaansdatum,
        "bedrag": Euros(signal.cents),
        "crisis": "ja" if signal.crisis else "nee",
        # Synthetic partners announce no deadline (the golden test's households do).
        "uiterste_datum": None,
        "bsn": person.bsn if partner.partner_type in BSN_TYPES else "",
        "voornamen": (person.initials if partner.partner_type in INITIALS_TYPES
                      else person.voornamen),
        "tussenvoegsel": person.tussenvoegsel,
        "achternaam": person.achternaam,
        "geboortedatum": person.geboortedatum,
        "straatnaam": household.straatnaam,
        "postcode": household.postcode,
        "huisnummer": str(household.huisnummer),
        "huisnummertoevoeging": household.toevoeging,
        "woonplaats": household.woonplaats,
        "telefoon": person.telefoon,
        "email": person.email,
    }


def apply_defect(values: Values, kind: str) -> None:
    """Break one field the way real exports break it."""
    if kind == "postcode":
        code = str(values["postcode"])
        values["postcode"] = code[:2] + code[4:6] + code[2:4]  # 8912AB -> 89AB12
    elif kind == "achternaam":
        values["achternaam"] = ""
    elif kind == "huisnummer":
        values["huisnummer"] = ""
    elif kind == "bedrag":
        amount = values["bedrag"]
        assert isinstance(amount, Euros)
        values["bedrag"] = Euros(-abs(amount.cents))
    else:
        raise ValueError(f"unknown defect {kind!r}")


def apply_style(values: Values, style: Style) -> None:
    code = str(values["postcode"])
    if style.postcode_space and re.fullmatch(r"\d{4}[A-Z]{2}", code):
        values["postcode"] = f"{code[:4]} {code[4:]}"


# -- layout from configuration -------------------------------------------------------------------


def source_layout(partner: Partner) -> list[SourceColumn]:
    """The partner's source columns in configuration order, each with how to fill it."""
    standard = partner.columns == "standard"
    uses: dict[str, list[tuple[str, ColumnSpec, int | None]]] = {}
    for name, spec in partner.column_specs().items():
        if spec.value is not None:
            continue  # a fixed value is not in the file
        if spec.columns is not None:
            for i, column in enumerate(spec.columns):
                uses.setdefault(column, []).append((name, spec, i))
        else:
            assert spec.column is not None
            uses.setdefault(spec.column, []).append((name, spec, None))
    return [_column(partner, column, used, standard) for column, used in uses.items()]


def _kind(name: str) -> str:
    return schema.FIELDS_BY_NAME[name].kind


def _column(partner: Partner, column: str, uses: list[tuple[str, ColumnSpec, int | None]],
            standard: bool) -> SourceColumn:
    if any(spec.pattern is not None for _, spec, _ in uses):
        return _pattern_column(partner, column, uses)
    if len(uses) > 1:
        raise GeneratorError(
            f"partner {partner.id}: column {column!r} feeds several fields "
            f"({', '.join(n for n, _, _ in uses)}) without patterns; not supported"
        )
    name, spec, part = uses[0]
    date_format = ISO_DATE if standard else (spec.date_formats or partner.date_formats)[0]
    if part is not None:
        return SourceColumn(column, _split_renderer(partner, name, spec, part), date_format)
    if spec.map and _kind(name) in ("date", "amount"):
        raise GeneratorError(f"partner {partner.id}: a map on {_kind(name)} field {name!r} "
                             "is not supported")
    return SourceColumn(column, lambda values: _inverse(name, spec, values[name]), date_format)


def _inverse(name: str, spec: ColumnSpec, value: object) -> Cell:
    """The source value that the reader turns back into `value`."""
    if isinstance(value, Euros):
        return value.cents if spec.unit == "cent" else value
    if isinstance(value, date) or value is None:
        return value
    text = str(value)
    if spec.map and text:
        # The first key that maps to the value; a value no key maps to passes the map unchanged.
        return next((key for key, mapped in spec.map.items() if mapped == text), text)
    return text


def _split_renderer(partner: Partner, name: str, spec: ColumnSpec,
                    part: int) -> Callable[[Values], Cell]:
    """One of several columns the reader joins with the separator: split the value back."""
    if _kind(name) != "text" or spec.map or spec.pattern or spec.unit != "euro":
        raise GeneratorError(f"partner {partner.id}: field {name!r} from several columns is "
                             "only supported for plain text")
    count = len(spec.source_columns)

    def render(values: Values) -> Cell:
        pieces = str(values[name] or "").split(spec.separator, count - 1)
        pieces += [""] * (count - len(pieces))
        return pieces[part]

    return render


#: Example values to find a composition that each configured pattern reads back correctly.
_PROBES = {"achternaam": "Vries", "voornamen": "Anna Maria", "tussenvoegsel": "van der"}
_SEPARATORS = (", ", " ", "; ", " - ", "|", "/")


def _extract(pattern: str, text: str) -> str | None:
    """What the reader keeps: the first group of a search in the trimmed text, trimmed."""
    match = re.search(pattern, text.strip())
    return (match.group(1) or "").strip() if match else None


def _pattern_column(partner: Partner, column: str,
                    uses: list[tuple[str, ColumnSpec, int | None]]) -> SourceColumn:
    """One column read by one or two patterns (energie-fryslan's 'Achternaam, Voornamen')."""
    for name, spec, part in uses:
        if (spec.pattern is None or part is not None or spec.map or spec.unit != "euro"
                or _kind(name) != "text"):
            raise GeneratorError(f"partner {partner.id}: column {column!r} mixes patterns with "
                                 "other refinements; not supported")
    if len(uses) > 2:
        raise GeneratorError(f"partner {partner.id}: column {column!r} is read by more than two "
                             "patterns; not supported")
    names = [name for name, _, _ in uses]
    patterns = [spec.pattern or "" for _, spec, _ in uses]
    compose = _find_composition(names, patterns)
    if compose is None:
        raise GeneratorError(
            f"partner {partner.id}: no value for column {column!r} found that the patterns "
            f"for {', '.join(names)} read back; write this layout by hand"
        )

    def render(values: Values) -> Cell:
        parts = [str(values[name] or "") for name in names]
        text = compose(parts)
        # A value containing the separator would be read back wrongly: fail rather than mislead.
        if all(parts) and [_extract(p, text) for p in patterns] != [x.strip() for x in parts]:
            raise GeneratorError(f"partner {partner.id}: a generated value for {column!r} "
                                 "is not read back by its patterns")
        return text

    return SourceColumn(column, render)


def _find_composition(names: list[str],
                      patterns: list[str]) -> Callable[[list[str]], str] | None:
    probes = [_PROBES.get(name, "Waarde") for name in names]
    if len(names) == 1:
        candidates: list[Callable[[list[str]], str]] = [lambda parts: parts[0]]
    else:
        candidates = [
            (lambda parts, sep=sep, order=order: sep.join(parts[i] for i in order))
            for order in ((0, 1), (1, 0)) for sep in _SEPARATORS
        ]
    for compose in candidates:
        text = compose(probes)
        if [_extract(p, text) for p in patterns] == probes:
            return compose
    return None


# -- writing -------------------------------------------------------------------------------------


def write_csv(path: Path, partner: Partner, style: Style, columns: list[SourceColumn],
              rows: list[Values]) -> None:
    decimal_mark = "." if partner.decimal == "." else ","
    encoding = partner.csv.encoding
    try:
        with open(path, "w", encoding=encoding, newline="") as handle:
            if style.bom and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
                handle.write("\ufeff")
            writer = csv.writer(handle, delimiter=partner.csv.delimiter,
                                quotechar=partner.csv.quote, quoting=csv.QUOTE_MINIMAL,
                                lineterminator=style.line_terminator)
            writer.writerow([c.name for c in columns])
            for values in rows:
                writer.writerow([_text(c.render(values), c.date_format, decimal_mark)
                                 for c in columns])
    except UnicodeEncodeError:
        # Say which file and encoding, not the value: it is (synthetic) personal data.
        raise GeneratorError(f"partner {partner.id}: a generated value cannot be written in "
                             f"{encoding}; adjust synthetic/names.py") from None


def _text(cell: Cell, date_format: str, decimal_mark: str) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Euros):
        return cell.text(decimal_mark)
    if isinstance(cell, date):
        return cell.strftime(date_format)
    return str(cell)


def last_day(month: Month) -> date:
    return date(month[0], month[1], calendar.monthrange(*month)[1])


def write_xlsx(path: Path, partner: Partner, columns: list[SourceColumn], rows: list[Values],
               month: Month) -> None:
    """A workbook as an office export looks: title rows, a header, typed cells."""
    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
    })
    peildatum = last_day(month)
    # xlsxwriter stamps the creation time into docProps/core.xml; a fixed one keeps files equal.
    workbook.set_properties({
        "title": f"{SHEET_TITLES.get(partner.partner_type, 'Betalingsachterstanden')} "
                 f"{month[0]}-{month[1]:02d}",
        "author": partner.name,
        "created": datetime(peildatum.year, peildatum.month, peildatum.day, 18, 0, 0),
    })
    sheet = workbook.add_worksheet(partner.spreadsheet.sheet or "Blad1")
    bold = workbook.add_format({"bold": True})
    date_cell = workbook.add_format({"num_format": "dd-mm-yyyy"})
    amount_cell = workbook.add_format({"num_format": "0.00"})

    header = partner.spreadsheet.header_row - 1  # 0-based row of the column names
    titles = [
        f"{SHEET_TITLES.get(partner.partner_type, 'Betalingsachterstanden')} {partner.name}",
        f"Peildatum: {peildatum:%d-%m-%Y}",
    ]
    for row, title in enumerate(titles[:header]):
        sheet.write_string(row, 0, title, bold if row == 0 else None)
    for col, column in enumerate(columns):
        sheet.write_string(header, col, column.name, bold)
        sheet.set_column(col, col, max(12, len(column.name) + 2))
    for offset, values in enumerate(rows, start=1):
        for col, column in enumerate(columns):
            _write_cell(sheet, header + offset, col, column.render(values), date_cell, amount_cell)
    workbook.close()


def _write_cell(sheet, row: int, col: int, cell: Cell, date_cell, amount_cell) -> None:
    if cell is None or cell == "":
        return  # an empty cell, as an export leaves it
    if isinstance(cell, Euros):
        sheet.write_number(row, col, cell.cents / 100, amount_cell)
    elif isinstance(cell, date):
        sheet.write_datetime(row, col, cell, date_cell)
    elif isinstance(cell, int):
        sheet.write_number(row, col, cell)
    else:
        # Text stays text: a BSN or postcode must keep its leading zeros and exact form.
        sheet.write_string(row, col, cell)
