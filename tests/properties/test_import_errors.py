"""Registry imports that are refused: every error named by row and column, nothing saved or changed."""

from __future__ import annotations

import codecs
import io
import zipfile
from decimal import Decimal

import pytest

from backend.properties.errors import ImportInvalid
from backend.properties.imports import import_file
from backend.properties.imports.base import MAX_REPORTED_ERRORS
from backend.properties.models import Owner, Ownership, Project, Unit
from tests.authz.framework import database_snapshot
from tests.factories import BuildingFactory, OwnerFactory, ProjectFactory, UnitFactory
from tests.properties.files import (
    BUILDING_HEADER,
    OWNER_HEADER,
    PROJECT_HEADER,
    UNIT_HEADER,
    csv_bytes,
    project_row,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def refused(kind: str, content: bytes, filename: str = "file.csv") -> dict:
    """Imports, expects a refusal that changed nothing, and returns the error details."""
    before = database_snapshot()
    with pytest.raises(ImportInvalid) as info:
        import_file(kind=kind, filename=filename, content=content)
    assert database_snapshot() == before, "a refused import changed the database"
    assert info.value.code == "import_invalid" and info.value.status == 422
    return info.value.details


def errors_of(kind: str, content: bytes, filename: str = "file.csv") -> set[tuple]:
    return {(e["row"], e["column"], e["reason"]) for e in refused(kind, content, filename)["errors"]}


@pytest.fixture
def building():
    ProjectFactory(code="hz-b")  # a second project, so that building codes are looked up per project
    return BuildingFactory(project__code="hz-a", code="3", floors=18)


def test_one_bad_row_among_good_ones_saves_none_of_them(building):
    rows = [UNIT_HEADER,
            ["hz-a", "3", "101", "1", "", "", "", ""],
            ["hz-a", "3", "102", "one", "", "", "", ""],
            ["hz-a", "3", "103", "1", "", "", "", ""]]

    assert errors_of("units", csv_bytes(rows)) == {(3, "floor", "Expected a whole number.")}
    assert Unit.objects.count() == 0


def test_every_error_of_every_row_is_reported_with_the_row_the_user_sees(building):
    rows = [UNIT_HEADER,
            ["hz-a", "3", "101", "1", "", "-5", "delivered", "2024-13-01"],
            ["nope", "3", "102", "1", "", "abc", "", ""],
            ["hz-a", "9", "103", "1", "", "", "maybe", ""],
            ["hz-a", "3", "104", "30", "", "12.345", "", ""],
            ["hz-a", "3", "", "0", "", "", "", ""]]

    assert errors_of("units", csv_bytes(rows)) == {
        (2, "area_m2", "Expected a number above 0 and at most 999999.99."),
        (2, "handover_date", "Expected a date (YYYY-MM-DD)."),
        (3, "area_m2", "Expected a number."),
        (3, "project_code", "Unknown project code 'nope'."),
        (4, "building_code", "Unknown building code '9' in project 'hz-a'."),
        (4, "handover_status", "Expected one of: not_delivered, 未交付, scheduled, 待交付, 已预约, delivered, 已交付."),
        (5, "floor", "Floor 30 is above the top floor (18) of this building."),
        (5, "area_m2", "At most 2 decimal places."),
        (6, "unit_number", "A value is required."),
        (6, "floor", "There is no floor 0: the ground floor is 1 and basements are -1, -2 …"),
    }


def test_floor_zero_is_refused_with_an_explanation(building):
    errors = errors_of("units", csv_bytes([UNIT_HEADER, ["hz-a", "3", "001", "0", "", "", "", ""]]))
    assert {(row, column) for row, column, _reason in errors} == {(2, "floor")}


def test_errors_name_the_column_as_written_in_the_file_and_the_canonical_field(building):
    header = ["项目编码", "楼栋编码", "房号", "楼层"]
    details = refused("units", csv_bytes([header, ["hz-a", "3", "101", "一楼"]]))
    assert details["errors"] == [{"row": 2, "column": "楼层", "field": "floor", "reason": "Expected a whole number."}]


def test_duplicate_keys_within_the_file_are_reported_on_the_later_row(building):
    rows = [UNIT_HEADER] + [["hz-a", "3", f"{n}01", str(n), "", "", "", ""] for n in range(1, 6)]
    rows.append(["hz-a", "3", "201", "2", "", "", "", ""])
    errors = errors_of("units", csv_bytes(rows))
    assert errors == {(7, "unit_number", "Duplicate key in this file (also on row 3).")}


def test_duplicate_project_codes_within_the_file_are_refused():
    content = csv_bytes([PROJECT_HEADER, project_row("hz-x"), project_row("hz-y"), project_row("hz-x")])
    assert errors_of("projects", content) == {(4, "project_code", "Duplicate key in this file (also on row 2).")}


def test_missing_required_columns_are_all_listed_with_the_accepted_headers():
    content = csv_bytes([["project_code", "name", "city"], ["hz-x", "花园", "杭州"]])
    errors = refused("projects", content)["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(1, "address"), (1, "latitude"), (1, "longitude")}
    latitude = next(e for e in errors if e["column"] == "latitude")
    assert latitude["reason"] == "Required column is missing (accepted headers: latitude / 纬度 / lat)."


def test_unknown_and_repeated_columns_are_refused():
    header = [*PROJECT_HEADER, "备注", "项目编码"]
    content = csv_bytes([header, [*project_row("hz-x"), "note", "hz-x"]])
    errors = errors_of("projects", content)
    assert (1, "备注", "Unknown column. Expected columns: project_code, name, city, address, latitude, longitude, "
                      "delivery_date, sla_calendar, service_phone.") in errors
    assert (1, "项目编码", "This column appears twice (also as 'project_code').") in errors
    assert Project.objects.count() == 0


def test_a_value_in_a_column_without_a_header_is_refused():
    content = csv_bytes([PROJECT_HEADER, [*project_row("hz-x"), "stray"]])
    assert errors_of("projects", content) == {
        (2, "I", "This cell is outside the named columns: give its column a header or clear it.")}


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", codecs.BOM_UTF8, b",,,\n,,,\n"])
def test_an_empty_file_is_refused(content):
    assert errors_of("projects", content) == {(None, None, "The file is empty.")}


def test_a_header_without_rows_is_refused():
    assert errors_of("projects", csv_bytes([PROJECT_HEADER])) == {(1, None, "The file has a header but no data rows.")}


def test_an_empty_workbook_is_refused():
    assert errors_of("projects", xlsx_bytes([]), "p.xlsx") == {(None, None, "The file is empty.")}


@pytest.mark.parametrize(("content", "reason"), [
    ("project_code,name\nhz-x,Café Parc\n".encode("latin-1"),
     "The text encoding of this file is not supported: save it as UTF-8 or GBK (GB18030)."),
    (codecs.BOM_UTF16_LE + "project_code,name\n".encode("utf-16-le"),
     'UTF-16 text is not supported: save the file as "CSV UTF-8" or as CSV (GBK).'),
    (b"project_code,name\x00\x01\x02", "This is not a CSV text file."),
])
def test_files_in_other_encodings_are_refused_with_a_clear_reason(content, reason):
    assert errors_of("projects", content) == {(None, None, reason)}


@pytest.mark.parametrize("content", [b"this is not a workbook", b"PK\x03\x04 truncated zip"])
def test_an_xlsx_that_is_not_a_workbook_is_refused(content):
    assert errors_of("projects", content, "projects.xlsx") == {
        (None, None, "This is not a valid Excel workbook (.xlsx).")}


def test_a_zip_archive_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert errors_of("projects", buffer.getvalue(), "projects.xlsx") == {
        (None, None, "This is not a valid Excel workbook (.xlsx).")}


def test_an_old_excel_file_is_refused_with_what_to_do():
    content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert errors_of("projects", content, "projects.xls") == {
        (None, None, "Excel 97-2003 (.xls) files are not supported: save the file as .xlsx or CSV.")}


def test_an_unknown_kind_is_refused():
    assert errors_of("tenants", csv_bytes([PROJECT_HEADER, project_row()])) == {
        (None, None, "Unknown import kind 'tenants'. Expected one of: projects, buildings, units, owners.")}


def test_unbalanced_quotes_are_refused_with_the_row_reached():
    content = csv_bytes([PROJECT_HEADER, project_row("hz-x")]) + b'"hz-y,unterminated' + b"x" * 200_000
    errors = refused("projects", content)["errors"]
    assert errors[0]["reason"].startswith("The CSV file could not be read after row 2")


def test_a_refused_re_import_leaves_the_stored_values_unchanged(building):
    unit = UnitFactory(building=building, number="101", floor=1, layout="一室一厅", area_m2=Decimal("50"))
    rows = [UNIT_HEADER, ["hz-a", "3", "101", "1", "三室两厅", "120", "", ""],
            ["hz-a", "3", "102", "99", "", "", "", ""]]

    errors_of("units", csv_bytes(rows))

    unit.refresh_from_db()
    assert (unit.layout, unit.area_m2) == ("一室一厅", Decimal("50.00"))


def test_buildings_cannot_shrink_below_their_highest_unit():
    building = BuildingFactory(project__code="hz-a", code="3", floors=18)
    UnitFactory(building=building, number="1601", floor=16)
    content = csv_bytes([BUILDING_HEADER, ["hz-a", "3", "3栋", "12"], ["hz-z", "1", "1栋", "0"]])
    assert errors_of("buildings", content) == {
        (2, "floors", "Units exist up to floor 16 in this building: it cannot have fewer floors."),
        (3, "project_code", "Unknown project code 'hz-z'."),
        (3, "floors", "Expected a whole number from 1 to 300."),
    }


def test_project_values_are_checked():
    content = csv_bytes([PROJECT_HEADER,
                         project_row("hz x", latitude="91", longitude="east", delivery_date="soon", service_phone="123")])
    assert errors_of("projects", content) == {
        (2, "project_code", "Use only letters, digits, '-' and '_'."),
        (2, "latitude", "Expected a number from -90 to 90."),
        (2, "longitude", "Expected a number."),
        (2, "delivery_date", "Expected a date (YYYY-MM-DD)."),
        (2, "service_phone", "Not a valid phone number."),
    }


def test_owner_rows_are_checked_for_phone_id_number_unit_and_dates(building):
    UnitFactory(building=building, number="1201", floor=12)
    rows = [OWNER_HEADER,
            ["hz-a", "3", "1201", "王芳", "1381234", "", "2024-07-01", "", ""],
            ["hz-a", "3", "1201", "李强", "13912345678", "110105194912310021", "2024-07-01", "", "也许"],
            ["hz-a", "3", "9999", "赵敏", "13712345678", "", "2024-07-01", "2024-01-01", ""]]
    assert errors_of("owners", csv_bytes(rows)) == {
        (2, "phone", "Not a valid phone number."),
        (3, "id_number", "The check digit of this ID number is wrong."),
        (3, "primary_contact", "Expected yes or no (是/否)."),
        (4, "unit_number", "Unknown unit '9999' in building '3' of project 'hz-a'."),
        (4, "end_date", "The end date is before the start date."),
    }
    assert Owner.objects.count() == 0 and Ownership.objects.count() == 0


def test_one_phone_number_with_two_names_or_two_id_numbers_is_refused(building):
    UnitFactory(building=building, number="1201", floor=12)
    UnitFactory(building=building, number="1202", floor=12)
    rows = [OWNER_HEADER,
            ["hz-a", "3", "1201", "王芳", "13812345678", "", "2024-07-01", "", ""],
            ["hz-a", "3", "1202", "王方", "13812345678", "", "2024-07-01", "", ""],
            ["hz-a", "3", "1201", "李强", "13912345678", "11010519491231002X", "2024-07-01", "", ""],
            ["hz-a", "3", "1202", "李强", "13912345678", "330106198507150013", "2024-07-01", "", ""]]
    assert errors_of("owners", csv_bytes(rows)) == {
        (3, "owner_name", "This phone number is on row 2 with another name ('王芳'): one phone number, one owner."),
        (5, "id_number", "This phone number is on row 4 with a different ID number."),
    }


def test_an_id_number_that_excel_turned_into_a_number_is_refused(building):
    UnitFactory(building=building, number="1201", floor=12)
    rows = [OWNER_HEADER, ["hz-a", "3", "1201", "王芳", 13812345678, 330106198507150013, "2024-07-01", None, None]]
    errors = errors_of("owners", xlsx_bytes(rows), "owners.xlsx")
    assert {(row, column) for row, column, _reason in errors} == {(2, "id_number")}


def test_an_owner_import_does_not_touch_an_existing_owner_when_refused(building):
    UnitFactory(building=building, number="1201", floor=12)
    owner = OwnerFactory(phone="+8613812345678", name="王芳")
    rows = [OWNER_HEADER, ["hz-a", "3", "1201", "王芳芳", "13812345678", "", "2024-07-01", "", ""],
            ["hz-a", "3", "1201", "李强", "bad", "", "2024-07-01", "", ""]]
    errors_of("owners", csv_bytes(rows))
    owner.refresh_from_db()
    assert owner.name == "王芳"


def test_at_most_a_thousand_errors_are_returned_with_the_total(building):
    rows = [UNIT_HEADER] + [["hz-a", "3", f"x{n}", "bad", "", "", "", ""] for n in range(MAX_REPORTED_ERRORS + 5)]
    details = refused("units", csv_bytes(rows))
    assert len(details["errors"]) == MAX_REPORTED_ERRORS
    assert details["error_count"] == MAX_REPORTED_ERRORS + 5 and details["truncated"] is True


def test_a_file_with_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr("backend.properties.imports.reading.MAX_DATA_ROWS", 3)
    rows = [PROJECT_HEADER] + [project_row(f"hz-{n}") for n in range(4)]
    expected = {(None, None, "The file has more than 3 rows: split it into smaller files.")}
    assert errors_of("projects", csv_bytes(rows)) == expected
    assert errors_of("projects", xlsx_bytes(rows), "p.xlsx") == expected
