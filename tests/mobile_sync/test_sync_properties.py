"""Stateful property test: two phones of a technician edit offline and sync in any order while the
office acts; afterwards everything converges, no offline step is lost or applied twice, and an
office cancellation is never overwritten."""

from __future__ import annotations

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from backend.accounts.models import Team
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.models import Comment, TimelineEvent, WorkOrder
from backend.workorders.states import State
from mobile_sync.models import SyncEvent
from mobile_sync.tables import SCOPE_STATES
from tests.mobile_sync.helpers import Device, client_id
from tests.workorders.world import two_sides

FIELD_STEPS = [State.EN_ROUTE, State.ON_SITE, State.IN_PROGRESS, State.WAITING, State.COMPLETED]


class TwoPhones(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # The world's teams have the codes the routing rules name: free them for this example's world.
        Team.objects.filter(code__in=["plumbing-team", "civil-team"]).delete()
        self.side, _other = two_sides()
        self.order_id = self.side.order.sync_id
        self.phones = [Device(self.side.technician, name="phone-a"), Device(self.side.technician, name="phone-b")]
        for phone in self.phones:
            phone.pull()
        self.pushed_events: set[str] = set()
        self.pushed_comments: set[str] = set()
        self.cancelled = False

    @rule(phone=st.integers(0, 1), to=st.sampled_from(FIELD_STEPS))
    def offline_step(self, phone: int, to: str) -> None:
        device = self.phones[phone]
        local = device.db.get("work_orders", {}).get(self.order_id)
        if local is None:
            return
        extra = {"waiting_reason": "parts"} if to == State.WAITING else {}
        device.event(self.order_id, local["state"], to, **extra)
        local["state"] = to  # the phone shows its own step at once

    # Not blank once the server has dropped the NUL characters PostgreSQL cannot store.
    @rule(phone=st.integers(0, 1), text=st.text(min_size=1, max_size=20).filter(lambda t: t.replace("\x00", "").strip()))
    def offline_comment(self, phone: int, text: str) -> None:
        device = self.phones[phone]
        if self.order_id in device.db.get("work_orders", {}):
            device.record("comments", {"id": client_id(), "work_order_id": self.order_id, "body": text,
                                       "owner_visible": False, "author_name": "", "created_at": 0})

    @rule(phone=st.integers(0, 1))
    def sync(self, phone: int) -> None:
        device = self.phones[phone]
        pending_events = {r["id"] for r in device.outbox.get("work_order_events", {}).get("created", [])}
        pending_comments = {r["id"] for r in device.outbox.get("comments", {}).get("created", [])}
        response = device.sync()
        assert response.status_code == 200, response.content
        self.pushed_events |= pending_events
        self.pushed_comments |= pending_comments

    @precondition(lambda self: not self.cancelled)
    @rule()
    def office_cancels(self) -> None:
        order = WorkOrder.objects.get(sync_id=self.order_id)
        if order.state in {State.COMPLETED, State.CLOSED}:
            return
        order_transition(order_id=order.id, actor=Actor(user=self.side.agent), to=State.CANCELLED,
                         now=timezone.now(), note="业主撤销")
        self.cancelled = True

    @invariant()
    def no_step_applied_twice_and_none_lost(self) -> None:
        for event_id in self.pushed_events:
            applied = TimelineEvent.objects.filter(sync_id=event_id).count()
            refused = SyncEvent.objects.filter(client_id=event_id, status="refused").count()
            assert applied + refused == 1, (event_id, applied, refused)
        assert Comment.objects.filter(sync_id__in=self.pushed_comments).count() == len(self.pushed_comments)

    @invariant()
    def a_cancellation_stands(self) -> None:
        if self.cancelled:
            assert WorkOrder.objects.get(sync_id=self.order_id).state == State.CANCELLED

    def teardown(self) -> None:
        for phone in self.phones:  # signal returns everywhere: two rounds to settle
            phone.sync()
        for phone in self.phones:
            phone.sync()
        order = WorkOrder.objects.get(sync_id=self.order_id)
        for phone in self.phones:
            local = phone.db.get("work_orders", {}).get(self.order_id)
            if order.state in SCOPE_STATES and order.technician_id == self.side.technician.id:
                assert local is not None and local["state"] == order.state
            else:
                assert local is None
            assert not phone.outbox


@pytest.mark.django_db(transaction=True)
def test_two_offline_phones_and_the_office_converge():
    run_state_machine_as_test(TwoPhones, settings=settings(max_examples=10, stateful_step_count=10, deadline=None,
                                                           suppress_health_check=list(HealthCheck)))
