"""Read one sheet of an XLSX workbook into a SourceTable, refusing zip bombs before inflating.

An XLSX file is a zip archive; a hostile one can inflate a few kilobytes into gigabytes. The zip
directory states every member's size before anything is decompressed, so the limits are checked
there, and openpyxl only ever sees an archive whose inflated size is known to be bounded.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

from connectors.table import SourceTable, build_table, check_header
from vroeg.config import SheetOptions
from vroeg.errors import DeliveryUnreadable

#: Largest total inflated size accepted (a year of one partner's signals is far below this).
MAX_INFLATED_BYTES = 512 * 1024 * 1024
#: Real workbooks compress XML about 5-20 times; bombs compress thousands of times.
MAX_COMPRESSION_RATIO = 200


def check_zip(data: bytes, filename: str) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise DeliveryUnreadable(
            f"{filename}: het bestand is geen geldig Excel-bestand (xlsx); is het misschien "
            f"een oud .xls- of CSV-bestand?",
            "GEEN_XLSX",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DeliveryUnreadable(
            f"{filename}: het Excel-bestand is beschadigd of onvolledig.", "XLSX_BESCHADIGD"
        ) from None
    total = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members) or 1
    if total > MAX_INFLATED_BYTES or total / compressed > MAX_COMPRESSION_RATIO:
        raise DeliveryUnreadable(
            f"{filename}: het Excel-bestand zou uitpakken tot {total // (1024 * 1024)} MB "
            f"(verhouding {total // compressed}:1); dit wordt geweigerd ter bescherming van "
            f"het systeem.",
            "XLSX_TE_GROOT",
        )


def cell_text(value: object) -> str | None:
    """A cell as the text a person would type: dates ISO, whole numbers without .0."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # A formula's cached result can carry binary noise (0.30000000000000004); nine decimals
        # keep every real amount, date fraction or rate and drop the noise.
        return format(Decimal(repr(round(value, 9))).normalize(), "f")
    return str(value)


def read_xlsx(data: bytes, options: SheetOptions, filename: str) -> SourceTable:
    check_zip(data, filename)
    import openpyxl  # lazily: only spreadsheet partners need it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise DeliveryUnreadable(
            f"{filename}: het Excel-bestand kan niet worden geopend ({type(exc).__name__}).",
            "XLSX_BESCHADIGD",
        ) from None
    try:
        if options.sheet is None:
            sheet = workbook.worksheets[0]
        elif options.sheet in workbook.sheetnames:
            sheet = workbook[options.sheet]
        else:
            # The configured name may be shown; the workbook's own sheet names are content
            # (a partner may name a sheet after a resident), so only their number is.
            count = len(workbook.sheetnames)
            raise DeliveryUnreadable(
                f"{filename}: werkblad '{options.sheet}' ontbreekt (het bestand heeft "
                f"{count} {'werkblad' if count == 1 else 'werkbladen'} met een andere naam).",
                "WERKBLAD_ONTBREEKT",
            )
        return _read_sheet(sheet, options.header_row, filename)
    except DeliveryUnreadable:
        raise
    except Exception as exc:
        raise DeliveryUnreadable(
            f"{filename}: het werkblad kan niet worden gelezen ({type(exc).__name__}).",
            "XLSX_BESCHADIGD",
        ) from None
    finally:
        workbook.close()


def _read_sheet(sheet, header_row: int, filename: str) -> SourceTable:
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    problems: list[str | None] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number < header_row:
            continue
        cells = [cell_text(v) for v in values]
        if number == header_row:
            header = check_header([c or "" for c in cells], filename)
            continue
        assert header is not None
        if not any(c is not None and c.strip() for c in cells):
            continue  # Excel keeps formatted empty rows; they are not signals
        problem = None
        if len(cells) > len(header) and any(c not in (None, "") for c in cells[len(header):]):
            problem = "AANTAL_VELDEN"
        rows.append((cells + [None] * len(header))[: len(header)])
        numbers.append(number)
        problems.append(problem)
    if header is None:
        raise DeliveryUnreadable(
            f"{filename}: rij {header_row} (de kopregel volgens de partnerconfiguratie) ontbreekt.",
            "BESTAND_LEEG",
        )
    return build_table(header, rows, numbers, problems)
