"""Authorization entries of the WebSocket routes (backend.config.routing): refused with close code 4403."""

from __future__ import annotations

from django.utils import timezone

from backend.accounts import services as account_services
from backend.accounts.roles import Role
from tests.authz.framework import SocketCase, SocketScenario
from tests.crm.world import office
from tests.factories import user_with_roles
from tests.owner_portal.helpers import home_with_owner, verified_client
from tests.workorders.world import two_sides

CASES: list = []  # no API operations here


def _token(user) -> str:
    return account_services.device_token_issue(user=user, name="authz-ws", now=timezone.now())[1]


def _board() -> SocketScenario:
    a, b = two_sides()
    path = f"/ws/board/project/{a.project.id}"
    return SocketScenario(path=path, allowed=(f"{path}?token={_token(a.dispatcher)}", []), refused=[
        ("a forged token", f"{path}?token=ax_forged", []),
        ("sales (no order role)", f"{path}?token={_token(user_with_roles(Role.SALES))}", []),
        ("another project's dispatcher", f"{path}?token={_token(b.dispatcher)}", []),
        ("another team's supervisor", f"/ws/board/team/{a.team.id}?token={_token(b.team.supervisor)}", []),
        ("an unknown board kind", f"/ws/board/unit/{a.project.id}?token={_token(a.team.supervisor)}", []),
    ])


def _order() -> SocketScenario:
    a, b = two_sides()
    path = f"/ws/orders/{a.order.id}"
    return SocketScenario(path=path, allowed=(f"{path}?token={_token(a.technician)}", []), refused=[
        ("another project's technician", f"{path}?token={_token(b.technician)}", []),
        ("sales", f"{path}?token={_token(user_with_roles(Role.SALES))}", []),
    ])


def _technician() -> SocketScenario:
    a, _b = two_sides()
    return SocketScenario(path="/ws/technician", allowed=(f"/ws/technician?token={_token(a.technician)}", []),
                          refused=[("a dispatcher", f"/ws/technician?token={_token(a.dispatcher)}", [])])


def _portal() -> SocketScenario:
    mine, theirs = home_with_owner()
    cookie = [(b"cookie", f"sessionid={verified_client(mine).cookies['sessionid'].value}".encode())]
    path = f"/ws/portal/orders/{mine.side.order.id}"
    return SocketScenario(path=path, allowed=(path, cookie), refused=[
        ("this owner, another home's order", f"/ws/portal/orders/{theirs.side.order.id}", cookie),
        ("a staff token (no verified phone)", f"{path}?token={_token(mine.side.dispatcher)}", []),
    ])


def _crm_grabs() -> SocketScenario:
    a, b = office(consultants=2, units=0), office(consultants=1, units=0)
    a.bob.crm_seats.update(on_duty=False)
    path = f"/ws/crm/projects/{a.project.id}/grabs"
    return SocketScenario(path=path, allowed=(f"{path}?token={_token(a.alice)}", []), refused=[
        ("a consultant off duty", f"{path}?token={_token(a.bob)}", []),
        ("another project's consultant", f"{path}?token={_token(b.alice)}", []),
        ("the sales manager (not offered leads)", f"{path}?token={_token(a.manager)}", []),
        ("finance (not sales)", f"{path}?token={_token(a.finance)}", []),
        ("a dispatcher (not sales)", f"{path}?token={_token(user_with_roles(Role.DISPATCHER))}", []),
    ])


SOCKET_CASES = [
    SocketCase("ws/ping", public_reason="a round trip through the channel layer: no data, no user"),
    SocketCase("ws/board/<str:kind>/<uuid:object_id>", make=_board),
    SocketCase("ws/orders/<uuid:order_id>", make=_order),
    SocketCase("ws/technician", make=_technician),
    SocketCase("ws/portal/orders/<uuid:order_id>", make=_portal),
    SocketCase("ws/crm/projects/<uuid:project_id>/grabs", make=_crm_grabs),
]
