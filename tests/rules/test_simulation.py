"""A simulation replays the last N days of real orders through a draft, shows what would change
order by order and in totals, and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts.roles import Role
from backend.rules.simulation import simulate
from backend.rulesets.services import draft_save, shipped_sources
from backend.workorders.actors import Actor
from backend.workorders.approvals import estimates as approvals
from backend.workorders.dispatch.routing import order_facts
from backend.workorders.effects import order_transition
from backend.workorders.models import ApprovalInstance, SlaClockEvent, WorkOrder
from backend.workorders.services import order_intake
from backend.workorders.sla.clocks import engine_events
from backend.workorders.states import State
from tests.factories import UnitFactory, user_with_roles
from tests.rulesets.helpers import faster_normal_resolution, lowered_finance_threshold
from tests.workorders.world import two_sides
from workflows.approvals import ApprovalSubject, select_graph
from workflows.loader import load_definitions
from workflows.routing import match_rule
from workflows.sla import compute_schedule

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def _history():
    """Last month: orders of two projects, one in progress with a 4 000 ¥ estimate approved by the manager."""
    a, b = two_sides()
    now = timezone.now()
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=step, now=now)
    estimate = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("4000"),
                                         note="更换管道", now=now)
    for i, category in enumerate(("electrical", "waterproofing", "drainage")):
        order_intake(actor=Actor(user=a.agent), channel="phone", category_code=category, description=f"报修 {i}",
                     contact_name="王先生", contact_phone="13800138001", now=now,
                     unit_id=UnitFactory(building__project=a.project).id)
    return a, b, estimate


def test_a_simulation_writes_nothing():
    _history()
    draft = load_definitions(lowered_finance_threshold(3000))
    before = _row_counts()
    with CaptureQueriesContext(connection) as queries:
        result = simulate(definitions=draft, days=30, now=timezone.now() + timedelta(seconds=1))
    assert result.totals["orders"] == WorkOrder.objects.count()
    assert _row_counts() == before
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert len(queries) <= 5  # the orders, their clock events, deadlines and estimates: whatever their number


def test_a_lowered_threshold_shows_which_estimates_would_have_gone_to_finance():
    a, _b, estimate = _history()
    assert estimate.graph_code == "manager"
    result = simulate(definitions=load_definitions(lowered_finance_threshold(3000)), days=30,
                      now=timezone.now() + timedelta(seconds=1))
    (row,) = [d for d in result.orders if d.approvals]
    assert row.number == a.order.number and row.approvals_changed
    (change,) = row.approvals
    assert (change["before_graph"], change["after_graph"]) == ("manager", "manager-and-finance")
    assert ["finance" in step for step in change["after_roles"]] == [False, True]
    assert (result.totals["finance_before"], result.totals["finance_after"]) == (0, 1)
    assert result.totals["routing_changed"] == 0  # only approvals changed


def test_the_totals_equal_a_replay_of_the_same_orders_through_the_engine():
    _history()
    draft = load_definitions(faster_normal_resolution("2h"))
    now = timezone.now() + timedelta(seconds=1)
    result = simulate(definitions=draft, days=30, now=now)
    # The replay, straight through the engine, one order at a time.
    routing_changed = moved = breached_after = finance_after = 0
    for order in WorkOrder.objects.select_related("project", "building"):
        rule = match_rule(draft, order_facts(order), order.created_at).rule
        stored = order.routing_explanation or {}
        if stored and (stored.get("team"), stored.get("strategy")) != (rule.team, rule.strategy):
            routing_changed += 1
        events = list(SlaClockEvent.objects.filter(order=order).order_by("at", "id"))
        schedule = compute_schedule(draft, engine_events(events), now)
        current = {d.target: d.deadline_at for d in order.sla_deadlines.filter(cycle=schedule.cycle)}
        moved += sum(1 for c in schedule.clocks if c.cycle == schedule.cycle and current.get(c.target) != c.deadline_at)
        breached_after += any(c.status in {"breached", "met_late"} for c in schedule.clocks
                              if c.cycle == schedule.cycle)
        for instance in ApprovalInstance.objects.filter(order=order):
            graph = select_graph(draft, ApprovalSubject(
                subject_id=str(order.id), amount_yuan=instance.amount_yuan, category=order.category_code,
                warranty=order.warranty_verdict, project=order.project.code, requester=str(instance.requester_id)))
            finance_after += any(spec.role == "finance" for step in graph.steps for spec in step.approvers)
    assert result.totals["routing_changed"] == routing_changed
    assert result.totals["deadlines_moved"] == moved > 0
    assert result.totals["breached_after"] == breached_after
    assert result.totals["finance_after"] == finance_after
    assert result.totals["orders"] == WorkOrder.objects.count()


def test_orders_outside_the_window_are_not_replayed():
    _history()
    later = timezone.now() + timedelta(days=10)
    result = simulate(definitions=load_definitions(shipped_sources()), days=5, now=later)
    assert result.totals["orders"] == 0


def test_the_simulation_page_lists_changed_orders_with_links_and_writes_nothing():
    a, _b, _estimate = _history()
    admin = user_with_roles(Role.ADMINISTRATOR)
    draft = draft_save(actor=admin, sources=lowered_finance_threshold(3000), title="门槛", now=timezone.now())
    client = Client()
    client.force_login(admin)
    before = _row_counts()
    response = client.get(f"/console/rules/drafts/{draft.id}/simulate?days=30")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'/console/orders/{a.order.id}' in body and 'data-total="finance">0 → 1' in body
    assert _row_counts() == before
    assert client.get(f"/console/rules/drafts/{draft.id}/simulate?days=abc").status_code == 422
    assert client.get(f"/console/rules/drafts/{draft.id}/simulate?days=100000").status_code == 422
