"""The transition table, exhaustively: every (from, to) pair, allowed or refused, for the roles that matter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from backend.core.errors import PermissionDenied
from backend.workorders.actors import Actor, system_actor
from backend.workorders.effects import order_transition
from backend.workorders.errors import InvalidTransition, NotAssignee, PreconditionFailed, ReopenWindowClosed
from backend.workorders.models import TimelineEvent, WorkOrder
from backend.workorders.states import ALLOWED, SYSTEM_STEPS, State
from tests.factories import user_with_roles
from tests.workorders.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db

ALL_PAIRS = [(a, b) for a in State.values for b in State.values]


def _changes_for(to: str, technician) -> dict:
    if to == State.ASSIGNED:
        return {"technician_id": technician.id}
    if to == State.WAITING:
        return {"waiting_reason": "parts"}
    return {}


@pytest.mark.parametrize(("frm", "to"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_pair_is_allowed_exactly_when_the_table_says_so(frm, to):
    technician = user_with_roles(Role.TECHNICIAN)
    admin = user_with_roles(Role.ADMINISTRATOR)
    order = WorkOrderFactory(state=frm, technician=technician, completed_at=timezone.now())
    now = timezone.now()
    if (frm, to) in ALLOWED:
        done = order_transition(order_id=order.id, actor=Actor(user=admin), to=to, now=now,
                                changes=_changes_for(to, technician))
        assert done.state == to
        event = TimelineEvent.objects.get(order=order)
        assert (event.from_state, event.to_state, event.actor_id) == (frm, to, admin.id)
        assert done.revision == order.revision + 1
    else:
        with pytest.raises(InvalidTransition) as caught:
            order_transition(order_id=order.id, actor=Actor(user=admin), to=to, now=now,
                             changes=_changes_for(to, technician))
        assert caught.value.details["from"] == frm and caught.value.details["to"] == to
        order.refresh_from_db()
        assert order.state == frm
        assert not TimelineEvent.objects.filter(order=order).exists()


@pytest.mark.parametrize(("frm", "to"), sorted(ALLOWED), ids=[f"{a}->{b}" for a, b in sorted(ALLOWED)])
def test_each_step_is_refused_to_a_role_not_named_for_it(frm, to):
    allowed = ALLOWED[(frm, to)]
    outsider_roles = [r for r in (Role.FINANCE, Role.SALES, Role.TECHNICIAN, Role.CUSTOMER_SERVICE) if r not in allowed]
    technician = user_with_roles(Role.TECHNICIAN)
    order = WorkOrderFactory(state=frm, technician=technician, completed_at=timezone.now())
    for role in outsider_roles:
        with pytest.raises(PermissionDenied):
            order_transition(order_id=order.id, actor=Actor(user=user_with_roles(role)), to=to, now=timezone.now(),
                             changes=_changes_for(to, technician))
    order.refresh_from_db()
    assert order.state == frm and not TimelineEvent.objects.filter(order=order).exists()


def test_only_the_assigned_technician_moves_an_assigned_order():
    mine = user_with_roles(Role.TECHNICIAN)
    other = user_with_roles(Role.TECHNICIAN)
    order = WorkOrderFactory(state=State.ASSIGNED, technician=mine)
    with pytest.raises(NotAssignee):
        order_transition(order_id=order.id, actor=Actor(user=other), to=State.EN_ROUTE, now=timezone.now())
    done = order_transition(order_id=order.id, actor=Actor(user=mine), to=State.EN_ROUTE, now=timezone.now())
    assert done.state == State.EN_ROUTE


def test_assigning_needs_a_technician_and_waiting_needs_a_reason():
    admin = user_with_roles(Role.ADMINISTRATOR)
    order = WorkOrderFactory(state=State.ACCEPTED)
    with pytest.raises(PreconditionFailed):
        order_transition(order_id=order.id, actor=Actor(user=admin), to=State.ASSIGNED, now=timezone.now())
    busy = WorkOrderFactory(state=State.IN_PROGRESS)
    with pytest.raises(PreconditionFailed):
        order_transition(order_id=busy.id, actor=Actor(user=admin), to=State.WAITING, now=timezone.now(),
                         changes={"waiting_reason": "coffee"})


def test_the_system_actor_takes_only_its_own_steps():
    order = WorkOrderFactory(state=State.SUBMITTED)
    tech = user_with_roles(Role.TECHNICIAN)
    assert (State.SUBMITTED, State.ASSIGNED) in SYSTEM_STEPS
    done = order_transition(order_id=order.id, actor=system_actor("routing"), to=State.ASSIGNED, now=timezone.now(),
                            changes={"technician_id": tech.id})
    assert done.technician_id == tech.id
    with pytest.raises(PermissionDenied):
        order_transition(order_id=order.id, actor=system_actor("routing"), to=State.CANCELLED, now=timezone.now())


def test_reopen_is_refused_after_the_window():
    cs = user_with_roles(Role.CUSTOMER_SERVICE)
    order = WorkOrderFactory(state=State.CLOSED, completed_at=timezone.now() - timedelta(days=31))
    with pytest.raises(ReopenWindowClosed):
        order_transition(order_id=order.id, actor=Actor(user=cs), to=State.REOPENED, now=timezone.now())
    assert WorkOrder.objects.get(id=order.id).state == State.CLOSED


def test_completion_records_the_time_and_the_owner_sees_it():
    tech = user_with_roles(Role.TECHNICIAN)
    order = WorkOrderFactory(state=State.IN_PROGRESS, technician=tech)
    now = timezone.now()
    done = order_transition(order_id=order.id, actor=Actor(user=tech), to=State.COMPLETED, now=now,
                            device_at=now - timedelta(minutes=5), note="更换角阀")
    assert done.completed_at == now
    event = TimelineEvent.objects.get(order=order)
    assert event.owner_visible and event.device_at == now - timedelta(minutes=5) and event.note == "更换角阀"
