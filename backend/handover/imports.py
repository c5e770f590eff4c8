"""A handover batch's units from an XLSX or CSV file, for developers without the CRM, through the
registry's import framework (``backend.properties.imports``): the file is read as the registry reads
its own (UTF-8 or GBK CSV, the first sheet of an XLSX), its headers bound in English or Chinese, each
cell parsed, and every problem reported as ``{row, column, field, reason}`` (422 ``import_invalid``).
The parsed rows go to ``services.batch_import``, which checks them against the batch's units; nothing is
saved unless every row is good.

Columns: ``unit`` (房号), ``phone`` (手机号), ``buyers`` (买受人: names separated by 、 or ,), and
``building`` (楼栋: the building's code) where the batch spans several buildings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.utils.translation import gettext as _

from backend.accounts.access import ensure_role
from backend.core.errors import ValidationFailed
from backend.handover.models import Item
from backend.handover.services import HANDOVER_ROLES, batch_import
from backend.properties.errors import ImportInvalid
from backend.properties.imports import bind_columns, parse_rows
from backend.properties.imports.base import Column, ErrorReport, phone, text
from backend.properties.imports.reading import read_table

COLUMNS = (
    Column("unit", ("房号", "房间号", "房屋"), text(30), required=True),
    Column("phone", ("手机号", "手机号码", "电话", "联系电话"), phone, required=True),
    Column("buyers", ("买受人", "业主", "业主姓名", "购房人"), text(200), required=True),
    Column("building", ("楼栋", "楼栋编号"), text(30), blank=""),
)
# The reasons ``batch_import`` gives (English, for logs), as msgids of this catalogue.
_REASONS = {
    "No such unit in this batch's building.": lambda: _("No such unit in this batch's building."),
    "Several buildings have this unit number: name the building.":
        lambda: _("Several buildings have this unit number: name the building."),
    "Not a valid phone number.": lambda: _("Not a valid phone number."),
    "Name at least one buyer.": lambda: _("Name at least one buyer."),
}


def _reason(text_en: str) -> str:
    if text_en.startswith("This unit is already on row "):
        return _("This unit is already on row %(row)s.") % {"row": text_en.rsplit(" ", 1)[-1].rstrip(".")}
    make = _REASONS.get(text_en)
    return make() if make else text_en


def batch_import_file(*, actor: Any, batch_id: UUID, filename: str, content: bytes, now: datetime) -> list[Item]:
    """Reads the file, reports every bad cell and row at once, then imports all rows or none."""
    ensure_role(actor, HANDOVER_ROLES)
    table = read_table(filename=filename, content=content)
    report = ErrorReport()
    positions = bind_columns(table, COLUMNS, report)
    if report:
        raise ImportInvalid(details=report.as_details())
    rows = parse_rows(table, COLUMNS, positions, report)
    if report:
        raise ImportInvalid(details=report.as_details())
    headers = {name: table.header[index] for name, index in positions.items()}
    try:
        return batch_import(actor=actor, batch_id=batch_id, now=now,
                            rows=[{**row.values, "row": row.number} for row in rows])
    except ValidationFailed as exc:
        if not exc.details.get("errors"):
            raise
        for error in exc.details["errors"]:
            report.add(row=error.get("row"), column=headers.get(error.get("field"), error.get("field")),
                       field=error.get("field"), reason=_reason(str(error.get("reason", ""))))
        raise ImportInvalid(details=report.as_details()) from exc
