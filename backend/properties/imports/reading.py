"""Turns an uploaded file into a header and numbered rows, or refuses it with a clear reason.

CSV is read as UTF-8 (with or without the BOM that "CSV UTF-8" from Excel writes) or as GB18030,
the superset of the GBK that Chinese Excel writes by default. Anything else is refused rather than
guessed. XLSX is read from its first worksheet. Row numbers are the ones the user sees in the
spreadsheet: the header is row 1 unless blank rows precede it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from backend.properties.errors import ImportInvalid
from backend.properties.imports.base import ErrorReport, is_blank

MAX_DATA_ROWS = 200_000
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass
class Table:
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]


def refuse(reason: str, *, row: int | None = None) -> ImportInvalid:
    report = ErrorReport()
    report.add(row=row, reason=reason)
    return ImportInvalid(details=report.as_details())


def read_table(*, filename: str, content: bytes) -> Table:
    if not content.strip() or content.strip() == codecs.BOM_UTF8:
        raise refuse(_("The file is empty."))
    suffix = PurePath(filename or "").suffix.lower()
    if content.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise refuse(_("Excel 97-2003 (.xls) files are not supported: save the file as .xlsx or CSV."))
    if content.startswith(_ZIP_MAGIC) or suffix in {".xlsx", ".xlsm"}:
        return _table_from_records(_xlsx_records(content))
    return _table_from_records(_csv_records(_decode(content)))


def _decode(content: bytes) -> str:
    if content.startswith(_UTF16_32_BOMS):
        raise refuse(_("UTF-16 text is not supported: save the file as \"CSV UTF-8\" or as CSV (GBK)."))
    if b"\x00" in content:
        raise refuse(_("This is not a CSV text file."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise refuse(_("The text encoding of this file is not supported: save it as UTF-8 or GBK (GB18030).")) from exc


def _csv_records(text: str) -> list[tuple[int, list[Any]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[Any]]] = []
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            records.append((number, record))
            if len(records) > MAX_DATA_ROWS + 1:
                raise refuse(_("The file has more than %(n)s rows: split it into smaller files.") % {"n": MAX_DATA_ROWS})
    except csv.Error as exc:
        raise refuse(_("The CSV file could not be read after row %(row)s (unbalanced quotes or an oversized cell).")
                     % {"row": number}) from exc
    return records


def _xlsx_records(content: bytes) -> list[tuple[int, list[Any]]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise refuse(_("This is not a valid Excel workbook (.xlsx).")) from exc
    records: list[tuple[int, list[Any]]] = []
    filled = 0
    try:
        if not workbook.worksheets:
            raise refuse(_("The workbook has no worksheet."))
        for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            cells = list(values)
            # Formatting can stretch a sheet far beyond its data: drop the empty tail of each row.
            while cells and is_blank(cells[-1]):
                cells.pop()
            records.append((number, cells))
            filled += bool(cells)
            if filled > MAX_DATA_ROWS + 1 or number > 2 * MAX_DATA_ROWS:
                raise refuse(_("The file has more than %(n)s rows: split it into smaller files.") % {"n": MAX_DATA_ROWS})
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise refuse(_("This is not a valid Excel workbook (.xlsx).")) from exc
    finally:
        workbook.close()
    return records


def _table_from_records(records: list[tuple[int, list[Any]]]) -> Table:
    non_blank = [(n, cells) for n, cells in records if not all(is_blank(c) for c in cells)]
    if not non_blank:
        raise refuse(_("The file is empty."))
    header_row, header_cells = non_blank[0]
    # Spreadsheets pad rows with empty trailing cells: the header ends at its last named column.
    header = [_clean_header(c) for c in header_cells]
    while header and not header[-1]:
        header.pop()
    rows = non_blank[1:]
    if not rows:
        raise refuse(_("The file has a header but no data rows."), row=header_row)
    return Table(header=header, header_row=header_row, rows=rows)


def _clean_header(cell: Any) -> str:
    return "" if cell is None else str(cell).replace("\ufeff", "").strip()


def normalize_header(text: str) -> str:
    """How headers are compared: case, spaces, a trailing required-marker '*' and a unit in
    parentheses do not matter ("建筑面积（㎡）*" and "建筑面积" are the same column)."""
    value = text.strip().rstrip("*＊").strip()
    value = re.sub(r"\s*[(（][^()（）]*[)）]$", "", value)
    return re.sub(r"[\s\-]+", "_", value).lower()
