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
