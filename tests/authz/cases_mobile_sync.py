from __future__ import annotations

from backend.accounts.roles import Role
from tests.authz.framework import Call, RouteCase, Scenario
from tests.factories import user_with_roles
from tests.workorders.world import two_sides


def _sync(call: Call) -> Scenario:
    # The scope of a pull or push is the caller's own assignments: no other object can be named.
    a, _b = two_sides()
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.DISPATCHER))


CASES = [
    RouteCase("GET", "/api/v1/sync/schema", make=lambda: _sync(Call("/api/v1/sync/schema"))),
    RouteCase("GET", "/api/v1/sync/pull",
              make=lambda: _sync(Call("/api/v1/sync/pull?last_pulled_at=null&schema_version=1&migration=null"))),
    RouteCase("POST", "/api/v1/sync/push",
              make=lambda: _sync(Call("/api/v1/sync/push", json_body={"changes": {}, "last_pulled_at": None}))),
]
