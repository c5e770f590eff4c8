from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.accounts.roles import Role
from backend.workorders.actors import Actor
from backend.workorders.definitions import active_definitions
from backend.workorders.effects import order_transition
from backend.workorders.models import Notification, SlaAlert, SlaDeadline, TimelineEvent
from backend.workorders.services import order_intake
from backend.workorders.sla import clocks as sla
from backend.workorders.states import State
from tests.factories import TeamFactory, UnitFactory, user_with_roles

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


def new_order(now=WEDNESDAY_10, **kwargs):
    TeamFactory(code="plumbing-team", supervisor=user_with_roles(Role.ENGINEERING_MANAGER))
    params = dict(channel="phone", category_code="drainage", description="下水道堵塞", contact_name="王先生",
                  contact_phone="13900139000", now=now, unit_id=UnitFactory().id)
    params.update(kwargs)
    return order_intake(actor=Actor(user=user_with_roles(Role.CUSTOMER_SERVICE)), **params).order


def test_intake_stores_a_deadline_per_target_in_business_time():
    order = new_order()
    deadlines = {d.target: d for d in SlaDeadline.objects.filter(order=order)}
    # P3 "normal" policy on the office calendar: response 1 h, arrival 8 h, resolution 24 h of business time.
    assert deadlines["response"].deadline_at == WEDNESDAY_10 + timedelta(hours=1)
    assert deadlines["arrival"].deadline_at > WEDNESDAY_10 + timedelta(hours=8)  # crosses the evening
    assert all(d.status == "running" for d in deadlines.values())
    assert SlaAlert.objects.filter(order=order, sent_at__isnull=True).count() >= 3


def test_each_alert_fires_exactly_once_however_often_it_is_delivered():
    order = new_order()
    late = WEDNESDAY_10 + timedelta(days=10)
    due = sla.sla_due_alert_ids(now=late)
    assert due
    first = [sla.sla_alert_fire(alert_id=i, now=late) for i in due]
    again = [sla.sla_alert_fire(alert_id=i, now=late) for i in due]
    assert all(first) and not any(again)
    assert SlaAlert.objects.filter(order=order, sent_at__isnull=True, due_at__lte=late).count() == 0
    assert TimelineEvent.objects.filter(order=order, kind="sla").count() == len(due)
    breached = SlaDeadline.objects.get(order=order, target="response")
    assert breached.breached_at == late


def test_a_supervisor_receives_the_breach_alert():
    order = new_order()
    late = WEDNESDAY_10 + timedelta(days=10)
    for alert_id in sla.sla_due_alert_ids(now=late):
        sla.sla_alert_fire(alert_id=alert_id, now=late)
    supervisor_alerts = SlaAlert.objects.filter(order=order, notify="supervisor", sent_at__isnull=False)
    assert supervisor_alerts.exists()
    assert Notification.objects.filter(user=order.team.supervisor, template="sla_alert").exists()


def test_responding_withdraws_the_pending_response_alerts():
    order = new_order()
    dispatcher = user_with_roles(Role.DISPATCHER)
    order_transition(order_id=order.id, actor=Actor(user=dispatcher), to=State.ACCEPTED,
                     now=WEDNESDAY_10 + timedelta(minutes=10))
    response = SlaDeadline.objects.get(order=order, target="response")
    assert response.status == "met" and response.met_at == WEDNESDAY_10 + timedelta(minutes=10)
    pending = SlaAlert.objects.filter(order=order, target="response", sent_at__isnull=True, due_at__isnull=False)
    assert not pending.exists()


def test_waiting_on_the_owner_moves_the_resolution_deadline_by_the_pause():
    tech = user_with_roles(Role.TECHNICIAN)
    order = new_order()
    admin = user_with_roles(Role.ADMINISTRATOR)
    order_transition(order_id=order.id, actor=Actor(user=admin), to=State.ASSIGNED, now=WEDNESDAY_10,
                     changes={"technician_id": tech.id})
    order_transition(order_id=order.id, actor=Actor(user=tech), to=State.ON_SITE, now=WEDNESDAY_10)
    order_transition(order_id=order.id, actor=Actor(user=tech), to=State.IN_PROGRESS, now=WEDNESDAY_10)
    before = SlaDeadline.objects.get(order=order, target="resolution").deadline_at
    order_transition(order_id=order.id, actor=Actor(user=tech), to=State.WAITING, now=WEDNESDAY_10 + timedelta(hours=1),
                     changes={"waiting_reason": "owner"})
    order_transition(order_id=order.id, actor=Actor(user=tech), to=State.IN_PROGRESS,
                     now=WEDNESDAY_10 + timedelta(hours=3))
    after = SlaDeadline.objects.get(order=order, target="resolution").deadline_at
    calendar = active_definitions().calendar("office")
    paused_business_time = calendar.between(WEDNESDAY_10 + timedelta(hours=1), WEDNESDAY_10 + timedelta(hours=3))
    assert paused_business_time > timedelta(0)
    assert calendar.between(before, after) == paused_business_time


def test_cancelling_stops_every_pending_alert():
    order = new_order()
    order_transition(order_id=order.id, actor=Actor(user=user_with_roles(Role.CUSTOMER_SERVICE)), to=State.CANCELLED,
                     now=WEDNESDAY_10 + timedelta(minutes=5))
    assert sla.sla_due_alert_ids(now=WEDNESDAY_10 + timedelta(days=30)) == []
