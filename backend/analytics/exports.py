"""XLSX exports of the pages' tables, written from the view's own query in constant memory:
openpyxl's write-only workbook streams rows to a temporary file (rows are never all held), which is
then sent in chunks. Headers in the reader's language; a second sheet states the filters used."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from backend.analytics.filters import Filters


def workbook_file(*, title: str, headers: list[str], rows: Iterable[Iterable[Any]], filters: Filters,
                  generated_at: datetime) -> IO[bytes]:
    """A temporary file holding the workbook (rewound, ready to stream)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    about = book.create_sheet(title=_("Filters")[:31])
    about.append([_("Filter"), _("Value")])
    for label, value in filters.described():
        about.append([str(label), str(value)])
    about.append([_("Generated at"), generated_at.strftime("%Y-%m-%d %H:%M %Z")])
    handle = tempfile.TemporaryFile()
    book.save(handle)
    handle.seek(0)
    return handle


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, str | int | float):
        return value
    if hasattr(value, "quantize"):  # Decimal
        return float(value)
    return str(value)


def chunks(handle: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while block := handle.read(size):
            yield block
    finally:
        handle.close()
