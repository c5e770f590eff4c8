"""Registry imports that succeed: CSV and XLSX, English and Chinese headers, idempotent re-imports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from backend.properties.identity import hash_id_number
from backend.properties.imports import import_file
from backend.properties.models import Building, HandoverStatus, Owner, Ownership, Project, Unit
from tests.factories import BuildingFactory, OwnerFactory, OwnershipFactory, ProjectFactory, UnitFactory
from tests.properties.files import (
    BUILDING_HEADER,
    ID_NUMBERS,
    OWNER_HEADER,
    PROJECT_HEADER,
    UNIT_HEADER,
    csv_bytes,
    project_row,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def _units_file(project_code: str, building_code: str) -> list[list[object]]:
    return [
        UNIT_HEADER,
        [project_code, building_code, "101", "1", "两室一厅", "78.5", "delivered", "2024-07-01"],
        [project_code, building_code, "102", "1", "三室两厅", "120", "已交付", "2024/7/2"],
        [project_code, building_code, "1801", "18", "", "", "", ""],
        [project_code, building_code, "-101", "-1", "储藏室", "12.30", "未交付", ""],
    ]


def test_a_projects_csv_creates_the_projects_with_normalised_values():
    content = csv_bytes([PROJECT_HEADER, project_row("hz-a"), project_row("hz-b", name="杭州滨江府", latitude="30.20")])

    result = import_file(kind="projects", filename="projects.csv", content=content)

    assert result.as_dict()["created"] == 2 and result.rows == 2
    project = Project.objects.get(code="hz-a")
    assert project.name == "杭州云栖花园"
    assert project.latitude == Decimal("30.274100")
    assert project.delivery_date == date(2024, 6, 30)
    assert project.service_phone == "+864001000001"
    assert project.sla_calendar == "standard"


def test_coordinates_with_more_precision_than_stored_are_rounded():
    content = csv_bytes([PROJECT_HEADER, project_row("hz-a", latitude="30.27408512", longitude="120.15507049")])
    import_file(kind="projects", filename="p.csv", content=content)
    project = Project.objects.get(code="hz-a")
    assert (project.latitude, project.longitude) == (Decimal("30.274085"), Decimal("120.155070"))


def test_chinese_headers_and_a_gbk_file_from_chinese_excel_are_understood():
    header = ["项目编码", "项目名称", "城市", "地址", "纬度", "经度", "交付日期*", "客服电话"]
    content = csv_bytes([header, project_row("sh-a", name="上海滨江壹号院", city="上海")], encoding="gbk")

    import_file(kind="projects", filename="楼盘.csv", content=content)

    assert Project.objects.get(code="sh-a").name == "上海滨江壹号院"


def test_a_utf8_file_with_the_byte_order_mark_excel_writes_is_understood():
    content = b"\xef\xbb\xbf" + csv_bytes([PROJECT_HEADER, project_row("hz-bom")])
    import_file(kind="projects", filename="p.csv", content=content)
    assert Project.objects.filter(code="hz-bom").exists()


def test_a_gb18030_file_with_rare_characters_is_understood():
    content = csv_bytes([PROJECT_HEADER, project_row("hz-rare", name="杭州𠀾园")], encoding="gb18030")
    import_file(kind="projects", filename="p.csv", content=content)
    assert Project.objects.get(code="hz-rare").name == "杭州𠀾园"


def test_buildings_are_created_under_their_project():
    project = ProjectFactory(code="hz-a")
    content = csv_bytes([BUILDING_HEADER, ["hz-a", "1", "1栋", "18"], ["hz-a", "2", "2栋", "33"]])

    import_file(kind="buildings", filename="b.csv", content=content)

    assert list(project.buildings.order_by("code").values_list("code", "name", "floors")) == [
        ("1", "1栋", 18), ("2", "2栋", 33)]


def test_a_units_csv_creates_every_unit_with_its_values():
    building = BuildingFactory(project__code="hz-a", code="3", floors=18)

    result = import_file(kind="units", filename="units.csv", content=csv_bytes(_units_file("hz-a", "3")))

    assert result.models == {"unit": {"created": 4, "updated": 0, "unchanged": 0}}
    units = {u.number: u for u in Unit.objects.filter(building=building)}
    assert units["101"].area_m2 == Decimal("78.50")
    assert units["101"].handover_status == HandoverStatus.DELIVERED
    assert units["102"].handover_date == date(2024, 7, 2)
    assert units["102"].handover_status == HandoverStatus.DELIVERED
    assert units["1801"].layout == "" and units["1801"].area_m2 is None
    assert units["1801"].handover_status == HandoverStatus.NOT_DELIVERED
    assert units["-101"].floor == -1


def test_an_xlsx_workbook_is_imported_like_a_csv_file_with_native_cell_types():
    building = BuildingFactory(project__code="hz-a", code="3", floors=18)
    rows = [
        UNIT_HEADER,
        ["hz-a", "3", 1201, 12, "三室两厅", 98.5, "delivered", datetime(2024, 7, 1)],
        ["hz-a", 3, "1202", 12.0, "两室两厅", 88, "scheduled", None],
    ]

    import_file(kind="units", filename="units.xlsx", content=xlsx_bytes(rows))

    units = {u.number: u for u in Unit.objects.filter(building=building)}
    assert set(units) == {"1201", "1202"}
    assert units["1201"].handover_date == date(2024, 7, 1)
    assert units["1201"].area_m2 == Decimal("98.50")
    assert units["1202"].floor == 12 and units["1202"].handover_status == HandoverStatus.SCHEDULED


def test_blank_rows_are_skipped_and_do_not_count():
    BuildingFactory(project__code="hz-a", code="3", floors=18)
    rows = _units_file("hz-a", "3")
    rows.insert(2, ["", "", "", "", "", "", "", ""])
    result = import_file(kind="units", filename="u.xlsx", content=xlsx_bytes(rows))
    assert result.rows == 4


def test_importing_the_same_units_file_twice_creates_nothing_twice():
    BuildingFactory(project__code="hz-a", code="3", floors=18)
    content = csv_bytes(_units_file("hz-a", "3"))

    import_file(kind="units", filename="u.csv", content=content)
    ids = sorted(Unit.objects.values_list("id", flat=True))
    second = import_file(kind="units", filename="u.csv", content=content)

    assert second.models == {"unit": {"created": 0, "updated": 0, "unchanged": 4}}
    assert sorted(Unit.objects.values_list("id", flat=True)) == ids


def test_a_re_import_with_changed_values_updates_the_records_in_place():
    unit = UnitFactory(building__project__code="hz-a", building__code="3", number="101", floor=1,
                       layout="一室一厅", area_m2=Decimal("50"))
    content = csv_bytes([UNIT_HEADER, ["hz-a", "3", "101", "1", "两室一厅", "78.5", "delivered", "2024-07-01"]])

    result = import_file(kind="units", filename="u.csv", content=content)

    assert result.models["unit"] == {"created": 0, "updated": 1, "unchanged": 0}
    unit.refresh_from_db()
    assert (unit.layout, unit.area_m2, unit.handover_status) == ("两室一厅", Decimal("78.50"), "delivered")
    assert Unit.objects.count() == 1


def test_columns_left_out_of_the_file_keep_their_stored_values():
    unit = UnitFactory(building__project__code="hz-a", building__code="3", number="101", floor=1,
                       layout="一室一厅", area_m2=Decimal("50"), handover_status="delivered")
    content = csv_bytes([["project_code", "building_code", "unit_number", "floor"], ["hz-a", "3", "101", "2"]])

    import_file(kind="units", filename="u.csv", content=content)

    unit.refresh_from_db()
    assert (unit.floor, unit.layout, unit.area_m2, unit.handover_status) == (2, "一室一厅", Decimal("50.00"),
                                                                             "delivered")


def test_projects_and_buildings_are_updated_in_place_by_natural_key():
    project = ProjectFactory(code="hz-a", name="旧名")
    building = BuildingFactory(project=project, code="1", name="旧楼", floors=10)

    import_file(kind="projects", filename="p.csv", content=csv_bytes([PROJECT_HEADER, project_row("hz-a")]))
    import_file(kind="buildings", filename="b.csv", content=csv_bytes([BUILDING_HEADER, ["hz-a", "1", "1栋", "12"]]))

    project.refresh_from_db()
    building.refresh_from_db()
    assert project.name == "杭州云栖花园" and building.name == "1栋" and building.floors == 12
    assert Project.objects.count() == 1 and Building.objects.count() == 1


def test_owners_rows_create_owners_and_ownerships_and_store_only_the_id_hash():
    building = BuildingFactory(project__code="hz-a", code="3", floors=18)
    UnitFactory(building=building, number="1201", floor=12)
    UnitFactory(building=building, number="1202", floor=12)
    content = csv_bytes([
        OWNER_HEADER,
        ["hz-a", "3", "1201", "王芳", "138 1234 5678", ID_NUMBERS[0], "2024-07-01", "", "是"],
        ["hz-a", "3", "1201", "李强", "13912345678", "", "2024-07-01", "", "否"],
        ["hz-a", "3", "1202", "王芳", "+86 138-1234-5678", "", "2024-07-05", "", "yes"],
    ])

    result = import_file(kind="owners", filename="owners.csv", content=content)

    assert result.models == {"owner": {"created": 2, "updated": 0, "unchanged": 0},
                             "ownership": {"created": 3, "updated": 0, "unchanged": 0}}
    wang = Owner.objects.get(phone="+8613812345678")
    assert wang.id_number_hash == hash_id_number(ID_NUMBERS[0])
    assert Owner.objects.get(phone="+8613912345678").id_number_hash == ""
    assert wang.ownerships.count() == 2
    assert Ownership.objects.get(owner=wang, unit__number="1201").is_primary_contact is True
    stored = list(Owner.objects.values_list("name", "phone", "id_number_hash"))
    assert not any(ID_NUMBERS[0] in str(value) for row in stored for value in row)


def test_re_importing_owners_is_idempotent_and_keeps_an_id_hash_the_file_leaves_empty():
    unit = UnitFactory(building__project__code="hz-a", building__code="3", number="1201", floor=12)
    owner = OwnerFactory(phone="+8613812345678", name="王芳", id_number_hash=hash_id_number(ID_NUMBERS[1]))
    OwnershipFactory(owner=owner, unit=unit, start_date=date(2024, 7, 1), is_primary_contact=True)
    content = csv_bytes([OWNER_HEADER, ["hz-a", "3", "1201", "王芳", "13812345678", "", "2024-07-01", "", "1"]])

    result = import_file(kind="owners", filename="owners.csv", content=content)

    assert result.models == {"owner": {"created": 0, "updated": 0, "unchanged": 1},
                             "ownership": {"created": 0, "updated": 0, "unchanged": 1}}
    owner.refresh_from_db()
    assert owner.id_number_hash == hash_id_number(ID_NUMBERS[1])


def test_an_owners_re_import_updates_the_name_and_ends_an_ownership():
    unit = UnitFactory(building__project__code="hz-a", building__code="3", number="1201", floor=12)
    owner = OwnerFactory(phone="+8613812345678", name="王 芳")
    ownership = OwnershipFactory(owner=owner, unit=unit, start_date=date(2024, 7, 1))
    content = csv_bytes([OWNER_HEADER, ["hz-a", "3", "1201", "王芳", "13812345678", "", "2024-07-01", "2025-01-31",
                                        "否"]])

    result = import_file(kind="owners", filename="owners.csv", content=content)

    assert result.models["owner"]["updated"] == 1 and result.models["ownership"]["updated"] == 1
    owner.refresh_from_db()
    ownership.refresh_from_db()
    assert owner.name == "王芳"
    assert ownership.end_date == date(2025, 1, 31) and ownership.is_primary_contact is False


def test_a_dry_run_validates_and_counts_but_writes_nothing():
    BuildingFactory(project__code="hz-a", code="3", floors=18)

    result = import_file(kind="units", filename="u.csv", content=csv_bytes(_units_file("hz-a", "3")), dry_run=True)

    assert result.dry_run is True and result.models["unit"]["created"] == 4
    assert Unit.objects.count() == 0


def test_chinese_unit_headers_with_units_and_required_markers_are_understood():
    building = BuildingFactory(project__code="hz-a", code="3", floors=18)
    header = ["项目编码*", "楼栋编码*", "房号*", "楼层*", "户型", "建筑面积（㎡）", "交付状态", "交付日期"]
    rows = [header, ["hz-a", "3", "1201", "12", "三室两厅", "128.66", "已交付", "2024年7月1日"]]

    import_file(kind="units", filename="房源.xlsx", content=xlsx_bytes(rows))

    unit = Unit.objects.get(building=building)
    assert (unit.number, unit.area_m2, unit.handover_status, unit.handover_date) == (
        "1201", Decimal("128.66"), "delivered", date(2024, 7, 1))
