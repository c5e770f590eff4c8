"""Authorization cases of the property registry.

The registry is not partitioned between staff: every registry reader sees every project, so these
routes have no "wrong object" beyond a missing one (tested in tests/properties/test_registry_api.py).
"""

from __future__ import annotations

from backend.accounts.roles import Role
from tests.authz.framework import Call, RouteCase, Scenario
from tests.factories import (
    BuildingFactory,
    OwnershipFactory,
    ProjectFactory,
    PublicAreaFactory,
    UnitFactory,
    registry_admin,
    user_with_roles,
)


def _projects() -> Scenario:
    ProjectFactory()
    return Scenario(call=Call("/api/v1/properties/projects"), allowed=user_with_roles(Role.CUSTOMER_SERVICE),
                    wrong_role=user_with_roles(Role.TECHNICIAN))


def _buildings() -> Scenario:
    building = BuildingFactory()
    return Scenario(call=Call(f"/api/v1/properties/projects/{building.project_id}/buildings"),
                    allowed=user_with_roles(Role.DISPATCHER), wrong_role=user_with_roles(Role.FINANCE))


def _units() -> Scenario:
    ownership = OwnershipFactory()
    return Scenario(call=Call(f"/api/v1/properties/buildings/{ownership.unit.building_id}/units"),
                    allowed=user_with_roles(Role.SALES), wrong_role=user_with_roles(Role.TECHNICIAN))


def _import() -> Scenario:
    csv = "project_code,name,city,address,latitude,longitude\nauthz-p,安心花园,杭州,文三路 1 号,30.27,120.15\n"
    upload = ("projects.csv", csv.encode("utf-8"), "text/csv")
    return Scenario(call=Call("/api/v1/properties/import", files={"file": upload}, data={"kind": "projects"}),
                    allowed=registry_admin(), wrong_role=user_with_roles(Role.DISPATCHER))


def _unit_rotate() -> Scenario:
    unit = UnitFactory()
    return Scenario(call=Call(f"/api/v1/properties/units/{unit.id}/qr/rotate"), allowed=registry_admin(),
                    wrong_role=user_with_roles(Role.HANDOVER_OFFICER))


def _area_rotate() -> Scenario:
    area = PublicAreaFactory()
    return Scenario(call=Call(f"/api/v1/properties/public-areas/{area.id}/qr/rotate"), allowed=registry_admin(),
                    wrong_role=user_with_roles(Role.CUSTOMER_SERVICE))


CASES = [
    RouteCase("GET", "/api/v1/properties/projects", make=_projects),
    RouteCase("GET", "/api/v1/properties/projects/{project_id}/buildings", make=_buildings),
    RouteCase("GET", "/api/v1/properties/buildings/{building_id}/units", make=_units),
    RouteCase("POST", "/api/v1/properties/import", make=_import, notes="administrators only"),
    RouteCase("GET", "/api/v1/qr/{token}",
              public_reason="a homeowner's phone resolves the scanned code; answers only the place label, "
                            "signed tokens, rate limited per IP"),
    RouteCase("POST", "/api/v1/properties/units/{unit_id}/qr/rotate", make=_unit_rotate),
    RouteCase("POST", "/api/v1/properties/public-areas/{area_id}/qr/rotate", make=_area_rotate),
]
