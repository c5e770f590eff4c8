"""Authorization entries of the analytics pages (``/analytics/``): the engineering director and the
engineering managers only (every other role 403, anonymous to the sign-in page); a manager asking for
another project's project or building page gets 404, the same as an unknown one."""

from __future__ import annotations

from typing import Any

from django.test import Client

from backend.accounts.roles import Role
from tests.factories import user_with_roles
from tests.workorders.world import two_sides

try:
    from tests.authz.framework import PageCase, PageScenario  # type: ignore[attr-defined]
except ImportError:
    from tests.console.authz import PageCase, PageScenario  # type: ignore[assignment]

CASES: list = []  # no API operations here

REFUSED_ROLES = (Role.TECHNICIAN, Role.SALES, Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.FINANCE,
                 Role.HANDOVER_OFFICER)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(path: str, *, who: str = "director") -> Any:
    def make() -> PageScenario:
        a, b = two_sides()
        url = path.format(project=a.project.id, building=a.unit.building_id)
        allowed = user_with_roles(Role.ENGINEERING_DIRECTOR) if who == "director" else a.team.supervisor
        hidden = []
        if "{project}" in path or "{building}" in path:
            hidden.append(("another project's engineering manager", _client(b.team.supervisor), url))
        return PageScenario(urls=[url], allowed=_client(allowed),
                            refused=[(role, _client(user_with_roles(role))) for role in REFUSED_ROLES], hidden=hidden)
    return make


PAGE_CASES = [
    PageCase("GET", "analytics/", make=_page("/analytics/")),
    PageCase("GET", "analytics/projects/<uuid:project_id>", make=_page("/analytics/projects/{project}", who="manager")),
    PageCase("GET", "analytics/buildings/<uuid:building_id>",
             make=_page("/analytics/buildings/{building}", who="manager")),
    PageCase("GET", "analytics/orders", make=_page("/analytics/orders?period=month")),
    PageCase("GET", "analytics/service", make=_page("/analytics/service", who="manager")),
    PageCase("GET", "analytics/cost", make=_page("/analytics/cost")),
    PageCase("GET", "analytics/export/<slug:table>.xlsx",
             make=_page("/analytics/export/buildings.xlsx?project={project}", who="manager")),
]
