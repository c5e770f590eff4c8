"""An intake takes its steps through the same services as any caller: their rows, events and announcements."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.notifications.models import Delivery
from backend.properties.identity import mask_phone
from backend.workorders.actors import Actor, system_actor
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.effects import order_transition
from backend.workorders.errors import InvalidOrderInput
from backend.workorders.intake import order as intake_order
from backend.workorders.intake.numbering import order_number_next
from backend.workorders.live import broadcast as events
from backend.workorders.models import (
    RoutingCursor,
    SlaAlert,
    SlaClockEvent,
    SlaDeadline,
    TimelineEvent,
    WorkOrder,
)
from backend.workorders.services import order_intake
from backend.workorders.sla import clocks as sla
from backend.workorders.states import State
from tests.factories import TeamFactory, UnitFactory, user_with_roles
from tests.notifications.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def plumber():
    team = TeamFactory(code="plumbing-team")
    user = user_with_roles(Role.TECHNICIAN, display_name="李师傅", phone="+8613912345678")
    TechnicianProfile.objects.create(user=user, skills={"plumbing": 2}, on_duty=True, last_latitude=Decimal("30.27"),
                                     last_longitude=Decimal("120.15"))
    team.members.add(user)
    return user


def intake(**kwargs):
    params = dict(channel="phone", category_code="drainage", description="厨房下水道堵塞", contact_name="张女士",
                  contact_phone="13800138000", now=WEDNESDAY_10, unit_id=UnitFactory().id)
    params.update(kwargs)
    return order_intake(actor=Actor(user=user_with_roles(Role.CUSTOMER_SERVICE)), **params).order


def test_an_assigned_intake_writes_each_steps_event_and_announces_the_committed_state(
        plumber, django_capture_on_commit_callbacks, monkeypatch):
    WebhookEndpointFactory(event_types=["order.changed"])
    sent: list = []
    monkeypatch.setattr(events, "_send", lambda items: sent.extend(items))
    with django_capture_on_commit_callbacks(execute=True):
        order = intake()

    assert order.state == State.ASSIGNED and order.technician_id == plumber.id
    timeline = list(TimelineEvent.objects.filter(order=order).order_by("id"))
    assert [(e.kind, e.from_state, e.to_state) for e in timeline] == [
        ("created", "", State.SUBMITTED), ("state", State.SUBMITTED, State.ASSIGNED)]
    assert timeline[1].actor_label == "routing" and timeline[1].data["method"] == "routing"
    messages = [message for _groups, message in sent]
    # Built after the commit: every message carries the order as committed, never an earlier step's copy.
    assert [(m["kind"], m["state"], m["revision"], m["seq"]) for m in messages] == [
        ("created", State.ASSIGNED, 2, timeline[1].id), ("state", State.ASSIGNED, 2, timeline[1].id)]
    # One webhook delivery per announced step, keyed by the step's event.
    keys = set(Delivery.objects.filter(event_type="order.changed").values_list("idempotency_key", flat=True))
    assert keys == {f"order.changed:{order.id}:{timeline[0].id}", f"order.changed:{order.id}:{timeline[1].id}"}
    # The owner's text message about the assignment is keyed by the assignment's event too.
    sms = Delivery.objects.get(event_type="sms.technician_assigned")
    assert sms.idempotency_key == f"owner:{order.id}:event:{timeline[1].id}"
    # It names the technician routing chose.
    assert sms.payload["params"]["technician"] == "李师傅"
    assert sms.payload["params"]["technician_phone"] == mask_phone("+8613912345678") == "139****5678"
    # The routing explanation is stored by the assignment step itself.
    stored = WorkOrder.objects.get(id=order.id)
    assert stored.routing_explanation["rule"] == "plumbing" and stored.team.code == "plumbing-team"
    assert stored.revision == 2


def test_an_intake_stores_the_schedule_the_clock_history_gives_and_a_recompute_changes_nothing(plumber):
    order = intake()
    assert list(SlaClockEvent.objects.filter(order=order).order_by("id").values_list("kind", flat=True)) == [
        "started", "responded"]
    deadlines = {d.target: d for d in SlaDeadline.objects.filter(order=order)}
    assert set(deadlines) == {"response", "arrival", "resolution"}
    assert deadlines["response"].status == "met" and deadlines["response"].met_at == WEDNESDAY_10
    assert deadlines["arrival"].status == "running"
    alerts = {a.key: (a.due_at, a.sent_at) for a in SlaAlert.objects.filter(order=order)}
    # The response was met at once: one schedule, stored by the assignment step, has no response rungs.
    assert alerts and not any(key.startswith("c1:response:") for key in alerts)
    assert all(sent_at is None and due_at is not None for due_at, sent_at in alerts.values())

    before = list(SlaDeadline.objects.filter(order=order).order_by("id").values())
    sla.sla_recompute(order=order, now=WEDNESDAY_10)  # from the stored events, the one-by-one way
    assert list(SlaDeadline.objects.filter(order=order).order_by("id").values()) == before
    assert {a.key: (a.due_at, a.sent_at) for a in SlaAlert.objects.filter(order=order)} == alerts


def test_the_alerts_of_an_intake_fire_exactly_once(plumber):
    order = intake()
    late = WEDNESDAY_10 + timedelta(days=10)
    due = [i for i in sla.sla_due_alert_ids(now=late) if SlaAlert.objects.filter(id=i, order=order).exists()]
    assert due
    assert all(sla.sla_alert_fire(alert_id=i, now=late) for i in due)
    assert not any(sla.sla_alert_fire(alert_id=i, now=late) for i in due)


def test_an_assigned_intake_is_one_transaction_of_a_bounded_number_of_statements(plumber):
    unit = UnitFactory()
    agent = user_with_roles(Role.CUSTOMER_SERVICE)
    # The agent's roles, the unit; in the transaction: duplicates, the number, the order, its created
    # event, the clocks (started, schedule), the routing snapshot, the assigned step (its event, clock
    # event and schedule, webhook targets, the owner's text), the assignment row.
    with CaptureQueriesContext(connection) as queries:
        order = order_intake(actor=Actor(user=agent), channel="phone", category_code="drainage",
                             description="厨房下水道堵塞", contact_name="张女士", contact_phone="13800138000",
                             now=WEDNESDAY_10, unit_id=unit.id).order
    assert order.state == State.ASSIGNED
    assert len(queries) <= 40, [q["sql"][:80] for q in queries]


def test_an_intake_that_assigns_writes_its_clock_rows_without_reading_them_back(plumber):
    with CaptureQueriesContext(connection) as queries:
        order = intake()
    assert order.state == State.ASSIGNED
    clock_tables = ("workorders_slaclockevent", "workorders_sladeadline", "workorders_slaalert")
    reads = [q["sql"][:90] for q in queries if q["sql"].startswith("SELECT") and any(t in q["sql"] for t in clock_tables)]
    assert reads == []
    # What it stored is what the engine computes from the stored events.
    deadlines = list(SlaDeadline.objects.filter(order=order).order_by("id").values())
    alerts = {a.key: a.due_at for a in SlaAlert.objects.filter(order=order)}
    assert deadlines and alerts
    sla.sla_recompute(order=WorkOrder.objects.get(id=order.id), now=WEDNESDAY_10)
    assert list(SlaDeadline.objects.filter(order=order).order_by("id").values()) == deadlines
    assert {a.key: a.due_at for a in SlaAlert.objects.filter(order=order)} == alerts


def test_after_the_intake_commits_a_later_step_reads_the_clock_rows_again(plumber, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = intake()
    assert sla.WRITTEN not in order.__dict__  # dropped at the commit: other transactions may change them now
    with CaptureQueriesContext(connection) as queries:
        sla.sla_recompute(order=order, now=WEDNESDAY_10 + timedelta(minutes=5))
    read = {t for t in ("workorders_slaclockevent", "workorders_sladeadline", "workorders_slaalert")
            if any(q["sql"].startswith("SELECT") and t in q["sql"] for q in queries)}
    assert read == {"workorders_slaclockevent", "workorders_sladeadline", "workorders_slaalert"}


def test_an_intake_that_fails_while_routing_leaves_no_row(plumber, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("routing failed")

    monkeypatch.setattr(intake_order, "order_route_held", broken)
    before = WorkOrder.objects.count()
    with pytest.raises(RuntimeError):
        intake()
    assert WorkOrder.objects.count() == before
    assert not TimelineEvent.objects.exists() and not SlaClockEvent.objects.exists()


def test_routing_does_not_read_or_lock_a_cursor_for_a_strategy_that_has_none(plumber, monkeypatch):
    RoutingCursor.objects.create(team_code="plumbing-team", cursor="someone")
    asked: list[str] = []
    real = dispatch.LockedCursors.__getitem__
    monkeypatch.setattr(dispatch.LockedCursors, "__getitem__", lambda self, code: asked.append(code) or real(self, code))
    intake()  # the plumbing rule picks the least loaded plumber
    assert asked == []
    TeamFactory(code="doors-windows-team")
    intake(category_code="entrance-door", description="入户门锁打不开")  # doors and windows go round-robin
    assert asked == ["doors-windows-team"]


def test_order_numbers_are_claimed_with_one_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        first = order_number_next(now=WEDNESDAY_10)
    with django_assert_num_queries(1):
        second = order_number_next(now=WEDNESDAY_10)
    assert (first, second) == ("WX20261125-0001", "WX20261125-0002")


@pytest.mark.django_db(transaction=True)
def test_a_held_order_is_changed_only_inside_the_transaction_that_holds_it(plumber):
    order = intake(route_now=False)
    with pytest.raises(RuntimeError):
        order_transition(order=order, actor=system_actor("routing"), to=State.ACCEPTED, now=WEDNESDAY_10)
    assert WorkOrder.objects.get(id=order.id).state == State.SUBMITTED


def test_a_step_on_a_held_order_changes_that_copy_and_the_clocks_know_it(plumber):
    order = intake(route_now=False)
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(id=order.id)
        returned = order_transition(order=locked, actor=system_actor("routing"), to=State.ACCEPTED, now=WEDNESDAY_10)
        assert returned is locked and locked.state == State.ACCEPTED and locked.revision == 2
    assert list(SlaClockEvent.objects.filter(order=order).order_by("id").values_list("kind", flat=True)) == [
        "started", "responded"]
    assert SlaDeadline.objects.get(order=order, target="response").status == "met"


def test_an_intake_refuses_a_contact_language_the_product_does_not_speak(plumber):
    with pytest.raises(InvalidOrderInput) as refused:
        intake(contact_language="fr")
    assert refused.value.details["errors"][0]["field"] == "contact_language"
    assert intake(contact_language="en").contact_language == "en"
