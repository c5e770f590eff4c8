"""An order keeps the rules it was routed and timed with; a publish changes only the work that starts
after it, unless the administrator asks to recompute open orders (then each moved deadline is on the
order's timeline)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from backend.rules.services import rules_publish, rules_restore
from backend.workorders.actors import Actor
from backend.workorders.approvals import estimates as approvals
from backend.workorders.effects import order_transition
from backend.workorders.models import SlaDeadline, TimelineEvent, WorkOrder
from backend.workorders.services import order_intake
from backend.workorders.states import State
from tests.factories import UnitFactory, user_with_roles
from tests.rulesets.helpers import faster_normal_resolution, lowered_finance_threshold
from tests.workorders.world import two_sides
from workflows.loader import load_default_definitions

pytestmark = pytest.mark.django_db


def _resolution(order_id):
    return SlaDeadline.objects.get(order_id=order_id, target="resolution", cycle=1).deadline_at


def test_an_order_routed_before_a_publish_keeps_its_version_and_its_deadlines():
    a, _b = two_sides()
    admin = user_with_roles(Role.ADMINISTRATOR)
    shipped = load_default_definitions().version
    assert WorkOrder.objects.get(id=a.order.id).definitions_version == shipped
    before = _resolution(a.order.id)
    rules_publish(actor=admin, sources=faster_normal_resolution("4h"), note="更快", expected_live=1,
                  recompute_open=False, now=timezone.now())
    # A later step recomputes the old order's clocks with its own version: the deadline does not move.
    order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=State.EN_ROUTE, now=timezone.now())
    order = WorkOrder.objects.get(id=a.order.id)
    assert order.definitions_version == shipped and _resolution(order.id) == before
    # A new order is routed and timed with the new version.
    fresh = order_intake(actor=Actor(user=a.agent), channel="phone", category_code="drainage",
                         description="卫生间下水慢", contact_name="李先生", contact_phone="13800138002",
                         now=timezone.now(), unit_id=UnitFactory(building__project=a.project).id).order
    assert fresh.definitions_version not in {"", shipped}


def test_recomputing_open_orders_moves_their_deadlines_and_puts_each_move_on_the_timeline():
    a, _b = two_sides()
    admin = user_with_roles(Role.ADMINISTRATOR)
    before = _resolution(a.order.id)
    row = rules_publish(actor=admin, sources=faster_normal_resolution("4h"), note="更快", expected_live=1,
                        recompute_open=True, now=timezone.now())
    order = WorkOrder.objects.get(id=a.order.id)
    assert order.definitions_version == row.content_hash
    assert _resolution(order.id) < before
    moves = TimelineEvent.objects.filter(order=order, kind="sla", actor_label="rules")
    assert {e.data["target"] for e in moves} >= {"resolution"}
    assert all(e.data["version"] == row.number for e in moves)
    assert row.recomputed_open_orders == 2  # both sides' open orders


def test_the_next_estimate_goes_to_finance_after_the_threshold_is_lowered_and_back_after_a_rollback():
    a, _b = two_sides()
    admin = user_with_roles(Role.ADMINISTRATOR)
    now = timezone.now()
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=step, now=now)
    rules_publish(actor=admin, sources=lowered_finance_threshold(3000), note="3000以上财务会签", expected_live=1,
                  recompute_open=False, now=now)
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("4000"),
                                         note="更换管道", now=now)
    assert instance.graph_code == "manager-and-finance"
    approvals.approval_reject(actor=a.team.supervisor, approval_id=instance.id, reason="重新报价", now=now)
    rules_restore(actor=admin, number=1, note="恢复", expected_live=2, recompute_open=False, now=now)
    again = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("4000"),
                                      note="更换管道", now=now)
    assert again.graph_code == "manager"
