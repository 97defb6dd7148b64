"""The visit list's workbook as people print it (issue 18, point 4).

First what openpyxl reads from the workbook (print setup, Dutch headings, numbers, crisis rows),
then the real print: Debian's LibreOffice Calc (headless, `make office` installs it) converts the
workbook to PDF and the pages are read back with pypdf.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from publishing.visit_list import (
    COLUMNS,
    CRISIS_FILL,
    LABELS,
    NAMES_BY_LABEL,
    POINT_COLUMNS,
    PRINTED_COLUMNS,
    ListRow,
    PageHeading,
    render_xlsx,
)

HEADING = PageHeading(team="Wijkteam Centrum & Oost", period="oktober 2026",
                      rules_version="a1b2c3d4e5f6")
REASONS = ("Crisissignaal: ontruiming of afsluiting aangekondigd (+100); huurachterstand (+30); "
           "energieachterstand (+20); meervoudig: 2 soorten schuldeisers deze maand (+20); "
           "achterstand € 1.234,56 = 3,79 maandbedragen (+15; 4 per maandbedrag, max 30)")


def rows(count: int = 60, waiting: int = 5) -> list[ListRow]:
    """A long list: more rows than one landscape page holds, every seventh a crisis."""
    return [
        ListRow(
            rang=i, score=300 - i, naam=f"Anna Maria de Vries-Jansen {i} / Piet Jansen",
            straatnaam="Burgemeester van Harinxmastraat", postcode="8911AB",
            huisnummer=str(10 + i) if i != 2 else "12-14", huisnummertoevoeging="A",
            woonplaats="Leeuwarden", telefoon="0581234567 / 0612345678",
            signalen="Huur, Energie", totaal_bedrag_cent=123456 * i, crisis=i % 7 == 1,
            redenen=REASONS, advies="binnen 3 werkdagen", schuldeisers="Woonbron Noord",
            sectie="bezoeklijst" if i <= count - waiting else "wachtlijst",
            punten={"punten_crisis": 100, "punten_partnertype": 50, "punten_bedrag": 15},
        )
        for i in range(1, count + 1)
    ]


def workbook_bytes(list_rows: list[ListRow]) -> bytes:
    return render_xlsx(list_rows, title="Bezoeklijst Wijkteam Centrum 2026-10",
                       about=[("Gemeente", "Leeuwarden (0080)")], heading=HEADING)


def test_every_list_sheet_prints_landscape_one_page_wide_with_header_and_footer():
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes(rows())))
    last = openpyxl.utils.get_column_letter(len(PRINTED_COLUMNS))
    for sheet in workbook.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize) == ("landscape", 9), sheet.title  # A4
        # Fit to one page wide, as many pages tall as it takes.
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        # fitToWidth is left out when 1 (the default of the file format).
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.oddHeader.left.text == "Wijkteam Centrum && Oost"  # '&' is a code there
        assert sheet.oddHeader.center.text == "&A oktober 2026"  # &A: the sheet's name
        assert sheet.oddHeader.right.text == "Vertrouwelijk"
        assert sheet.oddFooter.left.text == "Regelversie a1b2c3d4e5f6"
        assert sheet.oddFooter.center.text == "Pagina &P van &N"
    for name in ("Bezoeklijst", "Wachtlijst"):
        sheet = workbook[name]
        assert sheet.print_title_rows == "$1:$1"  # the headings on every page
        # The columns a coordinator works from; sections and points per rule stay on screen.
        assert sheet.print_area == f"'{name}'!$A$1:${last}${sheet.max_row}"
        assert COLUMNS[:len(PRINTED_COLUMNS)] == PRINTED_COLUMNS  # one block from column A
        assert PRINTED_COLUMNS[-2:] == ("advies", "schuldeisers")
    info = workbook["Toelichting"]
    assert info.print_area == f"'Toelichting'!$A$1:$B${info.max_row}"


def test_headings_are_dutch_and_the_explanation_names_the_csv_columns():
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_bytes(rows())))
    headings = [c.value for c in workbook["Bezoeklijst"][1]]
    assert headings == [LABELS[name] for name in COLUMNS]
    assert headings[:7] == ["Rang", "Score", "Naam", "Straat", "Postcode", "Huisnr.", "Toev."]
    assert "Punten soort schuldeiser" in headings
    for heading in headings:
        assert "_" not in heading and heading[0].isupper(), heading
    assert [NAMES_BY_LABEL[h] for h in headings] == list(COLUMNS)  # one heading per column
    notes = dict(workbook["Toelichting"].iter_rows(min_row=3, values_only=True))
    assert "het CSV-bestand van dezelfde lijst houdt de technische kolomnamen" in notes[
        "Kolomnamen"]
    assert "Toev. = huisnummertoevoeging" in notes["Kolomnamen"]
    assert "Punten soort schuldeiser = punten_partnertype" in notes["Kolomnamen"]
    assert notes["Afdrukken"].startswith("Liggend, één pagina breed")
    assert "'ja'" in notes["Crisismarkering"]


def test_ranks_points_house_numbers_and_amounts_are_numbers():
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes(rows())))["Bezoeklijst"]
    column = {name: i + 1 for i, name in enumerate(COLUMNS)}

    def cell(r: int, name: str):
        return sheet.cell(row=r, column=column[name])

    for r in range(2, 7):
        for name in ("rang", "score", *POINT_COLUMNS):
            assert cell(r, name).data_type == "n" and cell(r, name).number_format == "0", name
        assert isinstance(cell(r, "rang").value, int)
        amount = cell(r, "totaal_bedrag")
        assert amount.data_type == "n" and amount.value == pytest.approx(1234.56 * (r - 1))
        assert amount.number_format.startswith("€ #,##0.00")
    assert cell(2, "punten_partnertype").value == 50 and cell(2, "punten_duur").value == 0
    assert cell(2, "huisnummer").value == 11 and cell(2, "huisnummer").number_format == "0"
    # A house number that is not a number stays typed text.
    assert cell(3, "huisnummer").value == "12-14" and cell(3, "huisnummer").number_format == "@"
    assert cell(2, "postcode").value == "8911AB" and cell(2, "postcode").number_format == "@"


def test_crisis_rows_are_marked_in_words_and_colour():
    sheet = openpyxl.load_workbook(io.BytesIO(workbook_bytes(rows())))["Bezoeklijst"]
    flag = COLUMNS.index("crisis") + 1
    fill = CRISIS_FILL.lstrip("#").upper()
    crisis_rows = 0
    for r in range(2, sheet.max_row + 1):
        marked = sheet.cell(row=r, column=1).value % 7 == 1
        crisis_rows += marked
        assert sheet.cell(row=r, column=flag).value == ("ja" if marked else "nee")
        assert sheet.cell(row=r, column=flag).font.b is marked
        for c in range(1, len(COLUMNS) + 1):
            colour = sheet.cell(row=r, column=c).fill.fgColor.rgb
            assert (str(colour).upper().endswith(fill)) is marked, (r, c)
    assert crisis_rows == 8


# =================================================================================================
# Printed by LibreOffice
# =================================================================================================

SOFFICE = "soffice"


@pytest.fixture(scope="module")
def soffice() -> str:
    found = shutil.which(SOFFICE)
    if not found:
        message = ("LibreOffice (soffice) is missing: `make test` installs Debian's "
                   "libreoffice-calc (apt-get install libreoffice-calc) when run as root")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def print_to_pdf(soffice: str, workbook: bytes, folder: Path) -> Path:
    """What a coordinator gets from File > Print > PDF; a profile of its own, so that the test
    neither reads nor changes the user's LibreOffice settings."""
    source = folder / "bezoeklijst.xlsx"
    source.write_bytes(workbook)
    subprocess.run(
        [soffice, f"-env:UserInstallation={(folder / 'profiel').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=180)
    return folder / "bezoeklijst.pdf"


def test_libreoffice_prints_the_list_one_page_wide(soffice, tmp_path):
    from pypdf import PdfReader

    pages = PdfReader(print_to_pdf(soffice, workbook_bytes(rows(60, waiting=5)), tmp_path)).pages
    texts = [page.extract_text() for page in pages]
    visits = [t for t in texts if "Bezoeklijst oktober 2026" in t]
    waiting = [t for t in texts if "Wachtlijst oktober 2026" in t]
    notes = [t for t in texts if "Toelichting oktober 2026" in t]
    # 55 households with their reasons take more than one page, each page one page wide.
    assert len(visits) >= 2 and len(waiting) >= 1 and len(notes) >= 1
    assert len(visits) + len(waiting) + len(notes) == len(pages)
    for number, (page, text) in enumerate(zip(pages, texts, strict=True), start=1):
        assert page.mediabox.width > page.mediabox.height, number  # landscape
        assert f"Pagina {number} van {len(pages)}" in text
        for words in ("Wijkteam Centrum & Oost", "Vertrouwelijk", "Regelversie a1b2c3d4e5f6"):
            assert words in text, (number, words)
    for text in visits + waiting:
        # Every page has the first and the last printed heading, and a row's first and last
        # printed cell: no page holds only the columns that did not fit.
        first_line = next(line for line in text.splitlines() if line.startswith("Rang"))
        assert first_line.split()[:3] == ["Rang", "Score", "Naam"]
        assert first_line.rstrip().endswith(LABELS["schuldeisers"])
        words = " ".join(text.split())  # a wrapped cell breaks its text over lines
        assert "binnen 3 werkdagen" in words and "8911AB" in words and "Woonbron Noord" in words
        assert LABELS["punten_crisis"] not in text and LABELS["sectie"] not in text
    # Every household on its own section's pages, once, in order, with its reasons.
    def ranks(page_texts: list[str]) -> list[int]:
        return [int(m) for t in page_texts for m in re.findall(r"^(\d+) \d+ 8911AB ", t, re.M)]

    assert ranks(visits) == list(range(1, 56)) and ranks(waiting) == list(range(56, 61))
    assert " ".join(visits).count("max 30)") == 55
