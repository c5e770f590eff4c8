"""Stateful property test: two phones of a technician edit offline and sync in any order while the
office acts; afterwards everything converges, no offline step is lost or applied twice, and an
office cancellation is never overwritten."""

from __future__ import annotations

import json
from typing import Any

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

from backend.accounts.models import DeviceToken, Team
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.models import Comment, TimelineEvent, WorkOrder
from backend.workorders.services import comment_add
from backend.workorders.states import State
from mobile_sync.models import SyncEvent
from mobile_sync.tables import SCOPE_STATES, refused_events, refused_row
from tests.mobile_sync.helpers import Device, client_id, server_view
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


# --- the same phones behind a network that drops, delays and duplicates -----------------------------------------
FATES = ["deliver", "deliver", "drop_request", "drop_response", "duplicate_first", "duplicate_second", "delay"]


class PhonesBehindABadNetwork(TwoPhones):
    """Every request of a phone may be dropped on the way there, answered into the void, sent twice (the phone
    gets one of the answers) or held up and delivered later (after the phone gave up on it). Invariant: after
    the network heals and each phone syncs twice, every phone holds exactly the server's rows in its scope, and
    every accepted change is on the server once."""

    def __init__(self) -> None:
        super().__init__()
        self.delayed: list[tuple[str, Device, Any, Any]] = []  # (kind, phone, cursor, batch)

    def _pull(self, device: Device, fate: str) -> bool:
        cursor = device.last_pulled_at
        if fate == "drop_request":
            return False
        if fate == "delay":
            self.delayed.append(("pull", device, cursor, None))
            return False
        first = device.pull_raw()
        assert first.status_code == 200, first.content
        if fate == "drop_response":
            return False
        if fate.startswith("duplicate"):
            second = device.pull_raw(last_pulled_at=cursor)
            assert second.status_code == 200, second.content
            device.apply_pull((first if fate == "duplicate_first" else second).json())
            return True
        device.apply_pull(first.json())
        return True

    def _push(self, device: Device, fate: str) -> None:
        batch = json.loads(json.dumps(device.outbox))
        pending_events = {r["id"] for r in batch.get("work_order_events", {}).get("created", [])}
        pending_comments = {r["id"] for r in batch.get("comments", {}).get("created", [])}
        if fate == "drop_request":
            return
        if fate == "delay":
            self.delayed.append(("push", device, device.last_pulled_at, batch))
            return
        responses = [device.push_raw(batch)]
        if fate.startswith("duplicate"):
            responses.append(device.push_raw(batch))
        for response in responses:
            assert response.status_code in (200, 409), response.content
        if responses[0].status_code == 200:
            self.pushed_events |= pending_events  # accepted by the server, whether the phone hears so or not
            self.pushed_comments |= pending_comments
        if fate == "drop_response":
            return
        received = responses[0] if fate != "duplicate_second" else responses[-1]
        if received.status_code == 200:
            device.outbox = {}

    @rule(phone=st.integers(0, 1), pull_fate=st.sampled_from(FATES), push_fate=st.sampled_from(FATES))
    def sync_over_a_bad_network(self, phone: int, pull_fate: str, push_fate: str) -> None:
        device = self.phones[phone]
        if self._pull(device, pull_fate):
            self._push(device, push_fate)

    @precondition(lambda self: self.delayed)
    @rule(index=st.integers(0, 5))
    def a_delayed_request_arrives(self, index: int) -> None:
        kind, device, cursor, batch = self.delayed.pop(index % len(self.delayed))
        if kind == "pull":
            assert device.pull_raw(last_pulled_at=cursor).status_code == 200
        else:
            response = device.push_raw(batch, last_pulled_at=cursor)
            assert response.status_code in (200, 409), response.content
            if response.status_code == 200:
                self.pushed_events |= {r["id"] for r in batch.get("work_order_events", {}).get("created", [])}
                self.pushed_comments |= {r["id"] for r in batch.get("comments", {}).get("created", [])}

    @rule()
    def office_comments(self) -> None:
        order = WorkOrder.objects.get(sync_id=self.order_id)
        comment_add(actor=self.side.dispatcher, order_id=order.id, body="调度备注", owner_visible=False,
                    now=timezone.now())

    def teardown(self) -> None:
        while self.delayed:  # the network heals: what was held up arrives (its answers go nowhere)
            self.a_delayed_request_arrives(0)
        for phone in self.phones:
            phone.sync()
        for phone in self.phones:
            assert phone.sync().status_code == 200
        truth = server_view(self.side.technician)
        for phone in self.phones:
            token = DeviceToken.objects.get(user=self.side.technician, name=phone.name)
            expected = {t: dict(rows) for t, rows in truth.items()}
            refused = {e.client_id: refused_row(e) for e in refused_events(token, timezone.now())}
            if refused:
                expected.setdefault("work_order_events", {}).update(refused)
            assert phone.holds() == expected, phone.name
            assert not phone.outbox
        self.no_step_applied_twice_and_none_lost()


@pytest.mark.django_db(transaction=True)
def test_phones_behind_a_bad_network_converge_to_the_server():
    run_state_machine_as_test(PhonesBehindABadNetwork, settings=settings(
        max_examples=15, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)))
