"""Announcements carry the order as committed, and every announced step has its own webhook delivery."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from backend.notifications.models import Delivery
from backend.workorders.actors import Actor
from backend.workorders.approvals import estimates as approvals
from backend.workorders.effects import order_transition
from backend.workorders.live import broadcast
from backend.workorders.models import TimelineEvent, WorkOrder
from backend.workorders.owner import steps as owner_steps
from backend.workorders.states import State
from tests.notifications.factories import WebhookEndpointFactory
from tests.owner_portal.helpers import home_with_owner
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    messages: list[dict] = []
    monkeypatch.setattr(broadcast, "_send", lambda items: messages.extend(m for _groups, m in items))
    return messages


def _walk(order, technician, *steps):
    for step in steps:
        order_transition(order_id=order.id, actor=Actor(user=technician), to=step, now=timezone.now())


def test_the_message_after_a_quote_carries_the_new_state_and_revision(sent, django_capture_on_commit_callbacks):
    home, _ = home_with_owner()
    order = home.side.order
    WorkOrder.objects.filter(id=order.id).update(warranty_verdict="out")
    _walk(order, home.side.technician, State.ON_SITE, State.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        owner_steps.quote_send(actor=home.side.technician, order_id=order.id, amount_yuan="380", note="换阀芯",
                               now=timezone.now())
    stored = WorkOrder.objects.get(id=order.id)
    latest = TimelineEvent.objects.filter(order=order).order_by("-id").first()
    assert stored.state == State.WAITING
    assert sent, "the quote was announced"
    for message in sent:  # the quote's and the waiting step's messages both show the order as committed
        assert (message["state"], message["revision"], message["seq"]) == (State.WAITING, stored.revision, latest.id)


def test_an_owner_decision_is_announced_with_the_resumed_state(sent, django_capture_on_commit_callbacks):
    home, _ = home_with_owner()
    order = home.side.order
    WorkOrder.objects.filter(id=order.id).update(warranty_verdict="out")
    _walk(order, home.side.technician, State.ON_SITE, State.IN_PROGRESS)
    quote = owner_steps.quote_send(actor=home.side.technician, order_id=order.id, amount_yuan="380", note="",
                                   now=timezone.now())
    identity = owner_steps.OwnerIdentity(phone=home.owner.phone, owner_id=home.owner.id, name=home.owner.name)
    with django_capture_on_commit_callbacks(execute=True):
        owner_steps.quote_decide(identity=identity, order_id=order.id, quote_id=quote.id, accept=True, reason="",
                                 now=timezone.now())
    stored = WorkOrder.objects.get(id=order.id)
    assert stored.state == State.IN_PROGRESS and stored.estimate_yuan == Decimal("380.00")
    assert {(m["state"], m["revision"]) for m in sent} == {(State.IN_PROGRESS, stored.revision)}


def test_an_approval_and_the_step_it_causes_each_have_a_webhook_delivery(django_capture_on_commit_callbacks):
    WebhookEndpointFactory(event_types=["order.changed"])
    a, _b = two_sides()
    _walk(a.order, a.technician, State.ON_SITE, State.IN_PROGRESS)
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("1200"),
                                         note="更换防水层", now=timezone.now())
    before = set(Delivery.objects.filter(event_type="order.changed").values_list("idempotency_key", flat=True))
    approvals.approval_approve(actor=a.team.supervisor, approval_id=instance.id, comment="同意", now=timezone.now())
    new = set(Delivery.objects.filter(event_type="order.changed").values_list("idempotency_key", flat=True)) - before
    events = TimelineEvent.objects.filter(order=a.order).order_by("id")
    approval_events = [e.id for e in events if e.kind == "approval"]
    resumed = events.filter(kind="state", to_state=State.IN_PROGRESS).last()
    # The approver's decision, the approval's outcome and the resumed work: three steps, three keys.
    assert new == {f"order.changed:{a.order.id}:{event_id}" for event_id in [*approval_events, resumed.id]}
    assert len(new) == 3
    payloads = {d.idempotency_key: d.payload for d in Delivery.objects.filter(idempotency_key__in=new)}
    assert payloads[f"order.changed:{a.order.id}:{resumed.id}"]["state"] == State.IN_PROGRESS


def test_an_intake_that_assigns_reads_its_order_once_after_commit_and_a_later_step_reads_again(
        sent, monkeypatch, django_capture_on_commit_callbacks):
    from backend.accounts.roles import Role
    from tests.factories import TeamFactory, UnitFactory, user_with_roles
    from tests.workorders.test_intake_and_dispatch import WEDNESDAY_10, intake, technician

    reads: list[object] = []
    real_read = broadcast._read_committed_row
    monkeypatch.setattr(broadcast, "_read_committed_row", lambda order_id: reads.append(order_id) or real_read(order_id))
    plumber = technician(TeamFactory(code="plumbing-team"), skills={"plumbing": 2})
    with django_capture_on_commit_callbacks(execute=True):
        order = intake(user_with_roles(Role.CUSTOMER_SERVICE), UnitFactory()).order
    assert order.technician_id == plumber.id
    # The creation and the assignment: two messages, one read, both showing the committed state.
    assert [m["kind"] for m in sent] == ["created", "state"]
    assert reads == [order.id]
    assert {(m["state"], m["revision"]) for m in sent} == {(State.ASSIGNED, order.revision)}

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.id, actor=Actor(user=plumber), to=State.EN_ROUTE, now=WEDNESDAY_10)
    # A later commit reads the row again: the cached copy of the earlier commit is never sent.
    assert reads == [order.id, order.id]
    assert sent[-1]["state"] == State.EN_ROUTE
