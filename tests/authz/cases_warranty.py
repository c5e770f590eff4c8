"""Authorization cases of the warranty API: the 住宅质量保证书 PDF of a unit (staff who hand it over)."""

from __future__ import annotations

from backend.accounts.roles import Role
from tests.authz.framework import Call, RouteCase, Scenario
from tests.factories import UnitFactory, user_with_roles


def _quality_guarantee() -> Scenario:
    unit = UnitFactory()
    return Scenario(call=Call(f"/api/v1/warranty/units/{unit.id}/quality-guarantee.pdf"),
                    allowed=user_with_roles(Role.HANDOVER_OFFICER), wrong_role=user_with_roles(Role.TECHNICIAN))


CASES = [
    RouteCase("GET", "/api/v1/warranty/units/{unit_id}/quality-guarantee.pdf", make=_quality_guarantee,
              notes="handover officers, customer service, administrators"),
]
