"""A step and its effects: the one entry to the state machine for every caller.

``order_transition`` takes the step through the state machine (``lifecycle.machine``) and then
runs what follows every step, in one place: the SLA clocks, the live update and webhook, and the
owner's text message. The state machine below knows none of them; the parts above (intake,
dispatch, the owner's steps, approvals, the sync push, the API) call this and never the machine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction

from backend.workorders.actors import Actor
from backend.workorders.lifecycle.machine import Step, transition_apply
from backend.workorders.live.broadcast import order_announce
from backend.workorders.live.owner_texts import owner_step_notify
from backend.workorders.models import WorkOrder
from backend.workorders.sla.clocks import sla_on_transition


def step_effects(step: Step, *, now: datetime, clock_at: datetime | None = None) -> None:
    """What follows a step: clock events and schedule, the announcement, the owner's text."""
    sla_on_transition(order=step.order, frm=step.frm, to=step.to, now=clock_at or now)
    order_announce(order=step.order, kind="state", now=now, event=step.event)
    owner_step_notify(order=step.order, to=step.to, event_id=step.event.id, now=now)


def order_transition(*, actor: Actor, to: str, now: datetime, order_id: UUID | None = None,
                     order: WorkOrder | None = None, note: str = "", device_at: datetime | None = None,
                     changes: dict[str, Any] | None = None, event_data: dict[str, Any] | None = None,
                     event_id: str | None = None, clock_at: datetime | None = None) -> WorkOrder:
    """Moves an order to ``to`` and runs the step's effects.

    A caller that holds the order's row in its transaction (locked with ``select_for_update`` or
    created in it) passes it as ``order``: it is changed in place and not read or locked again.
    Otherwise ``order_id`` is locked here, in a transaction of its own (a savepoint inside the
    caller's). ``clock_at`` is when the step counts for the SLA clocks when that is not ``now`` (a
    plausible device time of an offline step; never earlier than the clocks' last event)."""
    step_args: dict[str, Any] = {"actor": actor, "to": to, "now": now, "note": note, "device_at": device_at,
                                 "changes": changes, "event_data": event_data, "event_id": event_id}
    if order is not None and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a held order is changed inside the transaction that holds it")
    # A held order is already in its caller's transaction: an error in the step rolls that back
    # whole, and no savepoint is taken; an order given by id gets a transaction (or savepoint) here.
    with transaction.atomic(savepoint=order is None):
        if order is None:
            if order_id is None:
                raise ValueError("give the held order or the id of the order to lock")
            order = WorkOrder.objects.select_for_update().get(id=order_id)
        step = transition_apply(order=order, **step_args)
        step_effects(step, now=now, clock_at=clock_at)
    return order
