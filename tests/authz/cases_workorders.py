from __future__ import annotations

from backend.accounts.roles import Role
from backend.workorders.states import State
from tests.authz.framework import Call, RouteCase, Scenario
from tests.factories import user_with_roles
from tests.workorders.world import two_sides


def _order_scenario(path: str, body=None, *, allowed: str = "dispatcher", wrong_role: str = Role.SALES) -> Scenario:
    a, b = two_sides()
    call = Call(path.format(id=a.order.id), json_body=body)
    return Scenario(call=call, allowed=getattr(a, allowed), wrong_role=user_with_roles(wrong_role),
                    wrong_object=(getattr(b, allowed), call))


def _transition() -> Scenario:
    a, b = two_sides()
    call = Call(f"/api/v1/orders/{a.order.id}/transitions", json_body={"to": State.EN_ROUTE, "note": "出发"})
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.SALES),
                    wrong_object=(b.technician, call))


def _assign() -> Scenario:
    a, b = two_sides()
    call = Call(f"/api/v1/orders/{a.order.id}/assign", json_body={"technician_id": str(a.technician.id),
                                                                   "reason": "指定师傅"})
    return Scenario(call=call, allowed=a.dispatcher, wrong_role=user_with_roles(Role.CUSTOMER_SERVICE),
                    wrong_object=(b.dispatcher, call))


def _grab() -> Scenario:
    from datetime import timedelta

    from django.utils import timezone

    from backend.workorders.models import GrabOffer

    a, b = two_sides()
    order = a.order
    order.state, order.technician = State.ACCEPTED, None
    order.save(update_fields=["state", "technician"])
    GrabOffer.objects.create(order=order, team_code="plumbing-team", rule_code="r", rule_name="r",
                             candidate_ids=[str(a.technician.id)], fallback="least_loaded",
                             definitions_version="v", offered_at=timezone.now(),
                             expires_at=timezone.now() + timedelta(minutes=5))
    call = Call(f"/api/v1/orders/{order.id}/grab")
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.DISPATCHER),
                    wrong_object=(b.technician, call))


def _attachment() -> Scenario:
    import io

    from PIL import Image

    a, b = two_sides()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 90)).save(buffer, format="JPEG")

    call = Call(f"/api/v1/orders/{a.order.id}/attachments",
                files={"file": ("leak.jpg", buffer.getvalue(), "image/jpeg")})
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.SALES),
                    wrong_object=(b.technician, call))


CASES = [
    RouteCase("GET", "/api/v1/orders",
              make=lambda: Scenario(call=Call("/api/v1/orders"), allowed=two_sides()[0].dispatcher,
                                    wrong_role=user_with_roles(Role.SALES))),
    RouteCase("POST", "/api/v1/orders", make=lambda: (lambda a: Scenario(
        call=Call("/api/v1/orders", json_body={"channel": "phone", "unit_id": str(a.unit.id),
                                               "category_code": "drainage", "description": "水管滴水",
                                               "contact_name": "李先生", "contact_phone": "13900139000"}),
        allowed=a.agent, wrong_role=user_with_roles(Role.FINANCE)))(two_sides()[0])),
    RouteCase("GET", "/api/v1/orders/events",
              make=lambda: (lambda a, b: Scenario(call=Call(f"/api/v1/orders/events?since=0&order_id={a.order.id}"),
                                                  allowed=a.dispatcher, wrong_role=user_with_roles(Role.SALES),
                                                  wrong_object=(b.dispatcher, Call(
                                                      f"/api/v1/orders/events?since=0&order_id={a.order.id}"))))(
                  *two_sides())),
    RouteCase("GET", "/api/v1/orders/{order_id}", make=lambda: _order_scenario("/api/v1/orders/{id}")),
    RouteCase("POST", "/api/v1/orders/{order_id}/transitions", make=_transition),
    RouteCase("POST", "/api/v1/orders/{order_id}/assign", make=_assign),
    RouteCase("POST", "/api/v1/orders/{order_id}/grab", make=_grab),
    RouteCase("POST", "/api/v1/orders/{order_id}/comments",
              make=lambda: _order_scenario("/api/v1/orders/{id}/comments", {"body": "已联系业主"}, allowed="agent")),
    RouteCase("POST", "/api/v1/orders/{order_id}/parts",
              make=lambda: _order_scenario("/api/v1/orders/{id}/parts",
                                           {"name": "角阀", "quantity": "1", "unit_price_yuan": "35"},
                                           allowed="technician", wrong_role=Role.CUSTOMER_SERVICE)),
    RouteCase("POST", "/api/v1/orders/{order_id}/labour",
              make=lambda: _order_scenario("/api/v1/orders/{id}/labour",
                                           {"description": "疏通", "minutes": 30, "amount_yuan": "0"},
                                           allowed="technician", wrong_role=Role.CUSTOMER_SERVICE)),
    RouteCase("POST", "/api/v1/orders/{order_id}/attachments", make=_attachment),
    RouteCase("GET", "/api/v1/categories", any_signed_in_user=True,
              make=lambda: Scenario(call=Call("/api/v1/categories"), allowed=user_with_roles(Role.TECHNICIAN))),
    RouteCase("GET", "/api/v1/technicians",
              make=lambda: Scenario(call=Call("/api/v1/technicians"), allowed=user_with_roles(Role.DISPATCHER),
                                    wrong_role=user_with_roles(Role.TECHNICIAN))),
    RouteCase("POST", "/api/v1/technicians/me/status",
              make=lambda: Scenario(call=Call("/api/v1/technicians/me/status", json_body={"on_duty": True}),
                                    allowed=two_sides()[0].technician, wrong_role=user_with_roles(Role.DISPATCHER))),
]


def _working(a) -> None:
    from django.utils import timezone

    from backend.workorders.actors import Actor
    from backend.workorders.effects import order_transition

    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=step, now=timezone.now())


def _estimate() -> Scenario:
    a, b = two_sides()
    _working(a)
    call = Call(f"/api/v1/orders/{a.order.id}/estimate", json_body={"amount_yuan": "1200", "note": "更换防水层"})
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.SALES),
                    wrong_object=(b.technician, call))


def _approval(action: str, body: dict) -> Scenario:
    from decimal import Decimal

    from django.utils import timezone

    from backend.workorders.approvals import estimates as approvals

    a, b = two_sides()
    _working(a)
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("1200"),
                                         note="", now=timezone.now())
    if action == "delegate":
        body = {"to_user_id": str(b.team.supervisor.id)}
    call = Call(f"/api/v1/approvals/{instance.id}/{action}", json_body=body)
    return Scenario(call=call, allowed=a.team.supervisor, wrong_role=user_with_roles(Role.TECHNICIAN),
                    wrong_object=(b.team.supervisor, call))


def _quote() -> Scenario:
    from backend.workorders.models import WorkOrder

    a, b = two_sides()
    _working(a)
    WorkOrder.objects.filter(id__in=[a.order.id, b.order.id]).update(warranty_verdict="out")
    call = Call(f"/api/v1/orders/{a.order.id}/quote", json_body={"amount_yuan": "380", "note": "更换阀芯"})
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.SALES),
                    wrong_object=(b.technician, call))


def _waiver() -> Scenario:
    from backend.workorders.models import WorkOrder

    a, b = two_sides()
    WorkOrder.objects.filter(id__in=[a.order.id, b.order.id]).update(warranty_verdict="out")
    call = Call(f"/api/v1/orders/{a.order.id}/paid-service-waiver", json_body={"reason": "老业主，人工费减免"})
    return Scenario(call=call, allowed=a.agent, wrong_role=a.technician, wrong_object=(b.agent, call))


def _merge() -> Scenario:
    from tests.workorders.factories import WorkOrderFactory

    a, b = two_sides()
    duplicate = WorkOrderFactory(unit=a.order.unit, description="同一处漏水，又报了一次")
    call = Call(f"/api/v1/orders/{duplicate.id}/merge", json_body={"into": a.order.number})
    return Scenario(call=call, allowed=a.agent, wrong_role=a.technician, wrong_object=(b.agent, call))


CASES += [
    RouteCase("POST", "/api/v1/orders/{order_id}/merge", make=_merge),
    RouteCase("POST", "/api/v1/orders/{order_id}/estimate", make=_estimate),
    RouteCase("POST", "/api/v1/orders/{order_id}/paid-service-waiver", make=_waiver),
    RouteCase("POST", "/api/v1/orders/{order_id}/quote", make=_quote),
    RouteCase("POST", "/api/v1/orders/{order_id}/priority",
              make=lambda: _order_scenario("/api/v1/orders/{id}/priority", {"priority": "P2", "reason": "业主投诉"},
                                           wrong_role=Role.TECHNICIAN)),
    RouteCase("GET", "/api/v1/approvals/inbox", any_signed_in_user=True,
              make=lambda: Scenario(call=Call("/api/v1/approvals/inbox"),
                                    allowed=user_with_roles(Role.ENGINEERING_MANAGER))),
    RouteCase("POST", "/api/v1/approvals/{approval_id}/approve", make=lambda: _approval("approve", {"comment": "同意"})),
    RouteCase("POST", "/api/v1/approvals/{approval_id}/reject", make=lambda: _approval("reject", {"reason": "偏高"})),
    RouteCase("POST", "/api/v1/approvals/{approval_id}/delegate", make=lambda: _approval("delegate", {})),
]
