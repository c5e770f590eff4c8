"""Authorization entries of the staff console's pages and partials (``/console/``).

Each names the roles the page is for, a role it refuses (a technician, sales or a homeowner's portal
session) and, for an object, a caller of the right role who may not see it (404), with the database
unchanged after every refusal.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from backend.accounts.roles import Role
from tests.factories import user_with_roles
from tests.workorders.world import two_sides

try:  # the table that covers every Django URL (tests/authz/framework.py) ...
    from tests.authz.framework import PageCase, PageScenario  # type: ignore[attr-defined]
except ImportError:  # ... until it is merged here: the same shapes, run by tests/console
    from tests.console.authz import PageCase, PageScenario  # type: ignore[assignment]

CASES: list = []  # no API operations here


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _refused() -> list[tuple[str, Client]]:
    return [("technician", _client(user_with_roles(Role.TECHNICIAN))), ("sales", _client(user_with_roles(Role.SALES)))]


def _page(path: str, *, who: str = "dispatcher", data: dict[str, Any] | None = None, succeeds: bool = True,
          extra_refused: tuple[str, ...] = (), sales_refused: bool = True) -> Any:
    def make() -> PageScenario:
        a, b = two_sides()
        allowed_user = a.team.supervisor if who == "manager" else getattr(a, who)
        url = path.format(order=a.order.id)
        refused = _refused() + [(role, _client(user_with_roles(role))) for role in extra_refused]
        if not sales_refused:  # the bell is in the one staff layout, which the CRM's pages share
            refused = [r for r in refused if r[0] != "sales"]
        hidden = []
        if "{order}" in path:
            other = b.team.supervisor if who == "manager" else getattr(b, who)
            hidden.append((f"{who} of another project", _client(other), url))
        return PageScenario(urls=[url], allowed=_client(allowed_user), refused=refused, hidden=hidden, data=data,
                            allowed_succeeds=succeeds)
    return make


def approval_waiting_on_the_manager() -> tuple[Any, Any, Any]:
    """Side A's order at work with a 1 200 ¥ estimate waiting on its project's engineering manager."""
    from decimal import Decimal

    from django.utils import timezone

    from backend.workorders.actors import Actor
    from backend.workorders.services import estimate_submit, order_transition
    from backend.workorders.states import State

    a, b = two_sides()
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=step, now=timezone.now())
    instance = estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("1200"),
                               note="更换止水阀", now=timezone.now())
    return a, b, instance


def _approval_decide() -> PageScenario:
    a, b, instance = approval_waiting_on_the_manager()
    url = f"/console/approvals/{instance.id}/decide"
    return PageScenario(urls=[url], allowed=_client(a.team.supervisor), refused=_refused(),
                        hidden=[("another project's manager", _client(b.team.supervisor), url)],
                        data={"decision": "approve"})


def _filter_delete() -> PageScenario:
    from django.utils import timezone

    from backend.console.models import SavedFilter

    a, _b = two_sides()
    saved = SavedFilter.objects.create(user=a.dispatcher, name="P1", query="priority=P1", created_at=timezone.now())
    return PageScenario(urls=[f"/console/queue/filters/{saved.id}/delete"], allowed=_client(a.dispatcher),
                        refused=_refused())


PAGE_CASES = [
    PageCase("GET", "console/", make=_page("/console/", who="agent")),
    PageCase("GET", "console/queue", make=_page("/console/queue", who="agent")),
    PageCase("GET", "console/queue/rows/<uuid:order_id>", make=_page("/console/queue/rows/{order}")),
    PageCase("POST", "console/queue/filters", make=_page("/console/queue/filters", data={"name": "紧急", "priority": "P1"})),
    PageCase("POST", "console/queue/filters/<int:filter_id>/delete", make=_filter_delete),
    PageCase("GET", "console/changes", make=_page("/console/changes?since=0", who="agent")),
    PageCase("GET", "console/bell", make=_page("/console/bell", who="agent", sales_refused=False)),
    PageCase("GET", "console/orders/<uuid:order_id>", make=_page("/console/orders/{order}", who="agent")),
    PageCase("POST", "console/orders/<uuid:order_id>/act",
             make=_page("/console/orders/{order}/act", who="agent", data={"action": "resume"}, succeeds=False)),
    PageCase("POST", "console/orders/<uuid:order_id>/assign",
             make=_page("/console/orders/{order}/assign", data={"technician_id": "", "reason": "x"}, succeeds=False,
                        # customer service may not assign (the API's rule): 403 before any lookup
                        extra_refused=(Role.CUSTOMER_SERVICE,))),
    PageCase("POST", "console/orders/<uuid:order_id>/comment",
             make=_page("/console/orders/{order}/comment", who="agent", data={"body": "已电话联系业主"})),
    PageCase("GET", "console/orders/<uuid:order_id>/technicians", make=_page("/console/orders/{order}/technicians")),
    PageCase("GET", "console/board", make=_page("/console/board", extra_refused=(Role.CUSTOMER_SERVICE,))),
    PageCase("GET", "console/board/explain/<uuid:order_id>",
             make=_page("/console/board/explain/{order}", extra_refused=(Role.CUSTOMER_SERVICE,))),
    PageCase("GET", "console/intake", make=_page("/console/intake", who="agent", extra_refused=(Role.FINANCE,))),
    PageCase("GET", "console/intake/caller",
             make=_page("/console/intake/caller?contact_phone=8000", who="agent", extra_refused=(Role.FINANCE,))),
    PageCase("GET", "console/intake/duplicates",
             make=_page("/console/intake/duplicates", who="agent", extra_refused=(Role.FINANCE,))),
    PageCase("GET", "console/approvals", make=_page("/console/approvals", who="manager",
                                                    extra_refused=(Role.CUSTOMER_SERVICE,))),
    PageCase("POST", "console/approvals/<uuid:approval_id>/decide", make=_approval_decide),
    PageCase("POST", "console/approvals/away", make=lambda: _away()),
    PageCase("POST", "console/approvals/away/<uuid:period_id>/end", make=lambda: _away_end()),
]


def _away() -> PageScenario:
    from datetime import timedelta

    from django.utils import timezone

    a, b = two_sides()
    start = timezone.localtime() + timedelta(days=10)
    return PageScenario(urls=["/console/approvals/away"], allowed=_client(a.team.supervisor), refused=_refused(),
                        data={"stand_in": str(b.team.supervisor.id), "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                              "ends_at": (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"), "reason": "年假"})


def _away_end() -> PageScenario:
    from datetime import timedelta

    from django.utils import timezone

    from backend.workorders.models import ApprovalStandIn

    a, b = two_sides()
    now = timezone.now()
    period = ApprovalStandIn.objects.create(user=a.team.supervisor, stand_in=b.team.supervisor, starts_at=now,
                                            ends_at=now + timedelta(days=3), created_at=now)
    url = f"/console/approvals/away/{period.id}/end"
    return PageScenario(urls=[url], allowed=_client(a.team.supervisor), refused=_refused(),
                        hidden=[("another manager", _client(b.team.supervisor), url)])
