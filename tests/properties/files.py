"""Builds import files in memory, as users' spreadsheets would produce them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

PROJECT_HEADER = ["project_code", "name", "city", "address", "latitude", "longitude", "delivery_date",
                  "service_phone"]
BUILDING_HEADER = ["project_code", "building_code", "name", "floors"]
UNIT_HEADER = ["project_code", "building_code", "unit_number", "floor", "layout", "area_m2", "handover_status",
               "handover_date"]
OWNER_HEADER = ["project_code", "building_code", "unit_number", "owner_name", "phone", "id_number", "start_date",
                "end_date", "primary_contact"]

# Valid resident ID numbers (checksums verified in test_identity).
ID_NUMBERS = ("11010519491231002X", "330106198507150013", "440305199002281231")


def csv_bytes(rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def project_row(code: str = "hz-test", **overrides: Any) -> list[Any]:
    values = {"project_code": code, "name": "杭州云栖花园", "city": "杭州", "address": "浙江省杭州市西湖区文三路 88 号",
              "latitude": "30.2741", "longitude": "120.1551", "delivery_date": "2024-06-30",
              "service_phone": "400-100-0001"}
    values.update(overrides)
    return [values[h] for h in PROJECT_HEADER]
