"""The staff read endpoints: projects, buildings, units with masked owners."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts.roles import Role
from backend.properties.identity import hash_id_number
from tests.factories import (
    BuildingFactory,
    OwnerFactory,
    OwnershipFactory,
    ProjectFactory,
    UnitFactory,
    bearer_for,
    user_with_roles,
)
from tests.properties.files import ID_NUMBERS

pytestmark = pytest.mark.django_db


def get(path: str, role: str = Role.CUSTOMER_SERVICE, **params):
    return Client().get(path, params, **bearer_for(user_with_roles(role)))


def test_projects_are_listed_with_their_counts():
    project = ProjectFactory(code="hz-a", name="云栖花园", service_phone="+864001000001")
    building = BuildingFactory(project=project)
    UnitFactory.create_batch(3, building=building)
    BuildingFactory(project=project)
    ProjectFactory(code="sh-a")

    body = get("/api/v1/properties/projects").json()

    assert body["count"] == 2 and body["limit"] == 50 and body["offset"] == 0
    first = body["items"][0]
    assert (first["code"], first["building_count"], first["unit_count"]) == ("hz-a", 2, 3)
    assert first["service_phone"] == "400 100 0001"
    assert body["items"][1]["unit_count"] == 0


def test_projects_are_paginated_and_searchable():
    for n in range(5):
        ProjectFactory(code=f"p-{n}", name=f"花园{n}", city="杭州" if n % 2 else "上海")
    page = get("/api/v1/properties/projects", limit=2, offset=2).json()
    assert [p["code"] for p in page["items"]] == ["p-2", "p-3"] and page["count"] == 5
    found = get("/api/v1/properties/projects", search="杭州").json()
    assert [p["code"] for p in found["items"]] == ["p-1", "p-3"] and found["count"] == 2


def test_a_page_larger_than_the_maximum_is_refused():
    response = get("/api/v1/properties/projects", limit=201)
    assert response.status_code == 422 and response.json()["code"] == "validation_error"


def test_the_buildings_of_a_project_are_listed():
    project = ProjectFactory()
    BuildingFactory(project=project, code="2", name="2栋", floors=33)
    BuildingFactory(project=project, code="1", name="1栋", floors=18)
    BuildingFactory()  # another project's

    body = get(f"/api/v1/properties/projects/{project.id}/buildings", Role.DISPATCHER).json()

    assert [(b["code"], b["floors"]) for b in body["items"]] == [("1", 18), ("2", 33)]
    assert body["count"] == 2


def test_an_unknown_project_is_not_found():
    response = get(f"/api/v1/properties/projects/{uuid.uuid4()}/buildings")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_units_list_their_current_owners_masked_and_never_the_id_hash():
    unit = UnitFactory(number="1201", floor=12)
    today = timezone.localdate()
    owner = OwnerFactory(name="王芳", phone="+8613812345678", id_number_hash=hash_id_number(ID_NUMBERS[0]))
    OwnershipFactory(unit=unit, owner=owner, start_date=today - timedelta(days=30), is_primary_contact=True)
    OwnershipFactory(unit=unit, owner__name="前业主", start_date=date(2020, 1, 1), end_date=today - timedelta(days=31),
                     is_primary_contact=False)
    OwnershipFactory(unit=unit, owner__name="未来业主", start_date=today + timedelta(days=10))
    OwnershipFactory(unit=unit, owner__name="李强", owner__phone="+8613912345678", start_date=today - timedelta(days=30),
                     is_primary_contact=False)

    response = get(f"/api/v1/properties/buildings/{unit.building_id}/units", Role.SALES)

    raw = response.content.decode()
    item = response.json()["items"][0]
    assert item["number"] == "1201"
    assert item["owners"] == [
        {"name": "王芳", "phone_masked": "138****5678", "is_primary_contact": True,
         "since": (today - timedelta(days=30)).isoformat()},
        {"name": "李强", "phone_masked": "139****5678", "is_primary_contact": False,
         "since": (today - timedelta(days=30)).isoformat()},
    ]
    assert "13812345678" not in raw and owner.id_number_hash not in raw and "id_number" not in raw


def test_units_are_ordered_by_floor_and_filterable_by_floor():
    building = BuildingFactory(floors=18)
    for number, floor in (("1201", 12), ("101", 1), ("102", 1), ("-101", -1)):
        UnitFactory(building=building, number=number, floor=floor)

    everything = get(f"/api/v1/properties/buildings/{building.id}/units").json()
    first_floor = get(f"/api/v1/properties/buildings/{building.id}/units", floor=1).json()

    assert [u["number"] for u in everything["items"]] == ["-101", "101", "102", "1201"]
    assert [u["number"] for u in first_floor["items"]] == ["101", "102"] and first_floor["count"] == 2


def test_an_unknown_building_is_not_found():
    response = get(f"/api/v1/properties/buildings/{uuid.uuid4()}/units")
    assert response.status_code == 404


def test_the_openapi_document_describes_the_registry_routes_with_examples():
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/properties/buildings/{building_id}/units"]["get"]
    assert operation["summary"] and "masked" in operation["description"]
    unit = schema["components"]["schemas"]["OwnerBriefOut"]["properties"]["phone_masked"]
    assert unit["examples"] == ["138****5678"]
    upload = schema["paths"]["/api/v1/properties/import"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
