"""The import through the API (administrators) and through manage.py import_properties."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import translation
from django.utils.translation import gettext

from backend.accounts.roles import Role
from backend.properties.models import Project
from tests.authz.framework import database_snapshot
from tests.factories import BuildingFactory, bearer_for, registry_admin, user_with_roles
from tests.properties.files import PROJECT_HEADER, UNIT_HEADER, csv_bytes, project_row, xlsx_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/properties/import"


def post_import(user, kind: str, content: bytes, filename: str = "file.csv", headers=None, **extra):
    headers = headers or bearer_for(user)
    upload = SimpleUploadedFile(filename, content, content_type="application/octet-stream")
    return Client().post(URL, data={"kind": kind, "file": upload, **extra}, HTTP_ACCEPT_LANGUAGE="en", **headers)


def test_an_administrator_imports_an_xlsx_file_and_gets_the_counts():
    content = xlsx_bytes([PROJECT_HEADER, project_row("hz-a"), project_row("hz-b")])

    response = post_import(registry_admin(), "projects", content, "projects.xlsx")

    assert response.status_code == 200, response.content
    assert response.json() == {"kind": "projects", "dry_run": False, "rows": 2, "created": 2, "updated": 0,
                               "unchanged": 0, "models": {"project": {"created": 2, "updated": 0, "unchanged": 0}}}
    assert set(Project.objects.values_list("code", flat=True)) == {"hz-a", "hz-b"}


def test_a_dry_run_through_the_api_writes_nothing():
    response = post_import(registry_admin(), "projects", csv_bytes([PROJECT_HEADER, project_row("hz-a")]),
                           dry_run="true")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["created"] == 1
    assert not Project.objects.exists()


def test_a_refused_file_answers_422_with_every_error_in_details_and_changes_nothing():
    BuildingFactory(project__code="hz-a", code="3", floors=18)
    content = csv_bytes([UNIT_HEADER, ["hz-a", "3", "101", "x", "", "", "", ""], ["hz-a", "4", "102", "1", "", "",
                                                                                  "", ""]])
    admin = registry_admin()
    headers = bearer_for(admin)
    before = database_snapshot()

    response = post_import(admin, "units", content, headers=headers)

    body = response.json()
    assert response.status_code == 422
    assert body["code"] == "import_invalid"
    assert body["details"]["errors"] == [
        {"row": 2, "column": "floor", "field": "floor", "reason": "Expected a whole number."},
        {"row": 3, "column": "building_code", "field": "building_code",
         "reason": "Unknown building code '4' in project 'hz-a'."},
    ]
    assert body["details"]["error_count"] == 2
    assert database_snapshot() == before


def test_error_reasons_are_translated_into_the_request_language():
    BuildingFactory(project__code="hz-a", code="3", floors=18)
    headers = bearer_for(registry_admin())
    upload = SimpleUploadedFile("u.csv", csv_bytes([UNIT_HEADER, ["hz-a", "3", "101", "1", "", "abc", "", ""]]))

    response = Client().post(URL, data={"kind": "units", "file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans", **headers)

    with translation.override("zh-hans"):
        expected = gettext("Expected a number.")
    assert response.json()["details"]["errors"][0]["reason"] == expected


def test_a_dispatcher_may_not_import_and_nothing_changes():
    dispatcher = user_with_roles(Role.DISPATCHER)
    headers = bearer_for(dispatcher)
    before = database_snapshot()
    upload = SimpleUploadedFile("p.csv", csv_bytes([PROJECT_HEADER, project_row("hz-a")]))

    response = Client().post(URL, data={"kind": "projects", "file": upload}, **headers)

    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert database_snapshot() == before


def test_an_unknown_kind_is_a_validation_error():
    response = post_import(registry_admin(), "tenants", csv_bytes([PROJECT_HEADER, project_row()]))
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@override_settings(MAX_REQUEST_BYTES=2048)
def test_a_file_larger_than_the_request_limit_is_refused_with_413():
    rows = [PROJECT_HEADER] + [project_row(f"hz-{n}") for n in range(40)]
    response = post_import(registry_admin(), "projects", csv_bytes(rows))
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Project.objects.exists()


def test_the_command_imports_a_file_and_reports_the_counts(tmp_path):
    path = tmp_path / "projects.csv"
    path.write_bytes(csv_bytes([PROJECT_HEADER, project_row("hz-a")]))
    out = StringIO()

    call_command("import_properties", "--kind", "projects", str(path), stdout=out)
    call_command("import_properties", "--kind", "projects", str(path), stdout=out)

    assert Project.objects.filter(code="hz-a").count() == 1
    lines = out.getvalue().splitlines()
    assert lines == ["1 rows · project: 1 created, 0 updated, 0 unchanged",
                     "1 rows · project: 0 created, 0 updated, 1 unchanged"]


def test_the_command_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "projects.csv"
    path.write_bytes(csv_bytes([PROJECT_HEADER, project_row("hz-a")]))
    out = StringIO()
    call_command("import_properties", "--kind", "projects", str(path), "--dry-run", stdout=out)
    assert out.getvalue().startswith("dry run, nothing written: 1 rows")
    assert not Project.objects.exists()


def test_the_command_prints_every_error_and_fails(tmp_path):
    path = tmp_path / "projects.csv"
    path.write_bytes(csv_bytes([PROJECT_HEADER, project_row("hz a"), project_row("hz-b", latitude="x")]))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing imported \\(2 errors\\)"):
        call_command("import_properties", "--kind", "projects", str(path), stderr=err)
    assert err.getvalue().splitlines() == ["row 2, column project_code: Use only letters, digits, '-' and '_'.",
                                           "row 3, column latitude: Expected a number."]
    assert not Project.objects.exists()


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_properties", "--kind", "units", str(tmp_path / "missing.csv"))
