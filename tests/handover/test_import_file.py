"""A handover batch's units from an XLSX or CSV file (developers without the CRM): the registry's
import framework reads and checks the file, every bad cell and row is reported, all rows or none."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from backend.handover import services
from backend.handover.imports import batch_import_file
from backend.handover.models import Item
from backend.properties.errors import ImportInvalid
from tests.factories import BuildingFactory, UnitFactory
from tests.handover.world import NOW, site

pytestmark = pytest.mark.django_db


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_gbk_csv_with_chinese_headers_invites_every_unit():
    s = site(units=2)
    csv = "房号,手机号,买受人\n101,13900001111,张三、李四\n102,+8613900002222,\"王五,赵六\"\n".encode("gb18030")
    items = batch_import_file(actor=s.officer, batch_id=s.batch.id, filename="交付名单.csv", content=csv, now=NOW)
    got = {i.unit.number: (i.phone, i.buyers) for i in Item.objects.filter(id__in=[i.id for i in items])}
    assert got == {"101": ("+8613900001111", ["张三", "李四"]), "102": ("+8613900002222", ["王五", "赵六"])}


def test_bad_cells_are_named_first_then_rows_against_the_batch_and_nothing_is_saved():
    s = site(units=3)
    rows = [["房号", "手机号", "买受人"], ["101", "13900001111", "张三"],
            ["999", "13900002222", "李四"],      # no such unit
            ["102", "12345", "王五"],            # not a phone (a bad cell)
            ["101", "13900003333", "赵六"],      # the same unit twice
            ["103", "13900004444", None]]       # no buyer (a bad cell)
    with pytest.raises(ImportInvalid) as caught:
        batch_import_file(actor=s.officer, batch_id=s.batch.id, filename="list.xlsx", content=_xlsx(rows), now=NOW)
    assert [(e["row"], e["column"], e["field"]) for e in caught.value.details["errors"]] == [
        (4, "手机号", "phone"), (6, "买受人", "buyers")]
    rows[3][1], rows[5][2] = "13900005555", "钱七"  # the cells corrected: the rows are checked against the batch
    with pytest.raises(ImportInvalid) as caught:
        batch_import_file(actor=s.officer, batch_id=s.batch.id, filename="list.xlsx", content=_xlsx(rows), now=NOW)
    errors = caught.value.details["errors"]
    assert [(e["row"], e["column"], e["field"]) for e in errors] == [(3, "房号", "unit"), (5, "房号", "unit")]
    assert errors[1]["reason"] == "该房号已在第 2 行。"
    assert not Item.objects.filter(batch=s.batch).exists()


def test_an_unknown_column_refuses_the_file_before_any_row():
    s = site(units=1)
    csv = "房号,手机号,买受人,面积\n101,13900001111,张三,98\n".encode()
    with pytest.raises(ImportInvalid) as caught:
        batch_import_file(actor=s.officer, batch_id=s.batch.id, filename="list.csv", content=csv, now=NOW)
    assert [e["column"] for e in caught.value.details["errors"]] == ["面积"]
    assert not Item.objects.exists()


def test_a_batch_over_several_buildings_needs_the_building_where_numbers_repeat():
    s = site(units=1)
    other = BuildingFactory(project=s.project, code="B2")
    UnitFactory(building=other, number="101", floor=1)
    whole = services.batch_create(actor=s.officer, project_id=s.project.id, building_id=None, name="全盘交付",
                                  start_date=date(2026, 3, 3), end_date=date(2026, 3, 6), now=NOW)
    ambiguous = "房号,手机号,买受人\n101,13900001111,张三\n".encode()
    with pytest.raises(ImportInvalid) as caught:
        batch_import_file(actor=s.officer, batch_id=whole.id, filename="list.csv", content=ambiguous, now=NOW)
    assert [e["field"] for e in caught.value.details["errors"]] == ["building"]
    named = "房号,楼栋,手机号,买受人\n101,B2,13900001111,张三\n".encode()
    [item] = batch_import_file(actor=s.officer, batch_id=whole.id, filename="list.csv", content=named, now=NOW)
    assert Item.objects.get(id=item.id).unit.building_id == other.id
