"""Customers from CSV / XLSX: all rows or none, errors with row and column, matched like any lead."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook

from backend.core.errors import AppError
from backend.crm.imports import customers_import
from backend.crm.models import Customer
from tests.authz.framework import database_snapshot
from tests.crm.world import WEDNESDAY, id_number, office

pytestmark = pytest.mark.django_db


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_csv_with_chinese_headers_imports_matches_and_gives_the_named_consultant_a_fresh_clock():
    o = office(protection_hours=24)
    content = _csv("姓名,手机号,身份证号,置业顾问,备注", f"张三,139 0000 0001,{id_number(3)},{o.alice.username},老客户",
                   "李四,13900000002,,,", "张三,+8613900000001,,,重复")
    result = customers_import(actor=o.manager, project_id=o.project.id, filename="c.csv", content=content,
                              now=WEDNESDAY)
    assert (result.rows, result.created, result.matched) == (3, 2, 1)
    zhang = Customer.objects.get(phone="+8613900000001")
    assert zhang.holder_id == o.alice.id and zhang.id_number_hash and zhang.sources.count() == 2
    assert zhang.recycle_due_at is not None and zhang.protected_until is None
    assert Customer.objects.get(phone="+8613900000002").holder_id is None


def test_one_bad_row_imports_nothing_and_names_row_and_column():
    o = office()
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "phone", "consultant"])
    sheet.append(["王五", "13900000003", ""])
    sheet.append(["赵六", "12345", "nobody"])
    buffer = BytesIO()
    book.save(buffer)
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        customers_import(actor=o.manager, project_id=o.project.id, filename="c.xlsx", content=buffer.getvalue(),
                         now=WEDNESDAY)
    errors = caught.value.details["errors"]
    assert caught.value.status == 422
    assert {(e["row"], e["field"]) for e in errors} == {(3, "phone"), (3, "consultant")}
    assert database_snapshot() == before


def test_a_consultant_cannot_import():
    o = office()
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        customers_import(actor=o.alice, project_id=o.project.id, filename="c.csv", content=_csv("name,phone", "a,13900000004"),
                         now=WEDNESDAY)
    assert caught.value.status == 403
    assert database_snapshot() == before
