"""A paid-service (out-of-warranty) repair is completed only at a price the owner accepted, or on a waiver."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from backend.core.errors import PermissionDenied
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.errors import QuoteRequired
from backend.workorders.models import TimelineEvent, WorkOrder
from backend.workorders.owner import steps as owner_steps
from backend.workorders.states import State
from tests.factories import user_with_roles
from tests.owner_portal.helpers import home_with_owner

pytestmark = pytest.mark.django_db


def _working_paid_order():
    home, _ = home_with_owner()
    order = home.side.order
    WorkOrder.objects.filter(id=order.id).update(warranty_verdict="out")
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=order.id, actor=Actor(user=home.side.technician), to=step, now=timezone.now())
    return home, order


def _complete(home, order):
    return order_transition(order_id=order.id, actor=Actor(user=home.side.technician), to=State.COMPLETED,
                            now=timezone.now())


def test_a_paid_service_order_cannot_be_completed_without_an_accepted_quote():
    home, order = _working_paid_order()
    with pytest.raises(QuoteRequired) as refused:
        _complete(home, order)
    assert refused.value.status == 409 and refused.value.code == "quote_required"
    assert WorkOrder.objects.get(id=order.id).state == State.IN_PROGRESS
    # A quote the owner has not answered yet is not enough either.
    owner_steps.quote_send(actor=home.side.technician, order_id=order.id, amount_yuan="200", note="",
                           now=timezone.now())
    order_transition(order_id=order.id, actor=Actor(user=home.side.technician), to=State.IN_PROGRESS,
                     now=timezone.now())
    with pytest.raises(QuoteRequired):
        _complete(home, order)


def test_an_accepted_quote_lets_the_technician_complete():
    home, order = _working_paid_order()
    quote = owner_steps.quote_send(actor=home.side.technician, order_id=order.id, amount_yuan="200", note="",
                                   now=timezone.now())
    identity = owner_steps.OwnerIdentity(phone=home.owner.phone, owner_id=home.owner.id, name=home.owner.name)
    owner_steps.quote_decide(identity=identity, order_id=order.id, quote_id=quote.id, accept=True, reason="",
                             now=timezone.now())
    assert _complete(home, order).state == State.COMPLETED


def test_a_waiver_on_record_lets_the_technician_complete_and_the_owner_sees_it():
    home, order = _working_paid_order()
    with pytest.raises(PermissionDenied):
        owner_steps.paid_service_waive(actor=home.side.technician, order_id=order.id, reason="客情维护",
                                       now=timezone.now())
    manager = user_with_roles(Role.ENGINEERING_MANAGER)
    home.side.team.members.add(manager)
    owner_steps.paid_service_waive(actor=manager, order_id=order.id, reason="客情维护，免费处理", now=timezone.now())
    stored = WorkOrder.objects.get(id=order.id)
    assert stored.paid_service_waived_at is not None and stored.paid_service_waiver_reason == "客情维护，免费处理"
    assert TimelineEvent.objects.filter(order=order, data__waiver=True, owner_visible=True).exists()
    assert _complete(home, order).state == State.COMPLETED


def test_an_order_in_warranty_needs_no_quote():
    home, _ = home_with_owner()
    order = home.side.order
    for step in (State.ON_SITE, State.IN_PROGRESS, State.COMPLETED):
        order_transition(order_id=order.id, actor=Actor(user=home.side.technician), to=step, now=timezone.now())
    assert WorkOrder.objects.get(id=order.id).state == State.COMPLETED


def test_the_refusal_says_why_in_the_readers_language():
    from tests.workorders.test_api import api

    home, order = _working_paid_order()
    url = f"/api/v1/orders/{order.id}/transitions"
    chinese = api(home.side.technician, "post", url, {"to": "completed"})
    assert chinese.status_code == 409 and chinese.json()["code"] == "quote_required"
    assert "有偿服务" in chinese.json()["message"]
    english = api(home.side.technician, "post", url, {"to": "completed"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"].startswith("This repair is a paid service")
    assert WorkOrder.objects.get(id=order.id).state == State.IN_PROGRESS
