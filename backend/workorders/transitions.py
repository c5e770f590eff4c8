"""The only code that changes ``WorkOrder.state``.

``order_transition`` locks the row (or takes the row its caller already holds in its transaction),
checks the transition table and the actor's role and the step's preconditions, applies the change
with ``update_fields``, and appends the timeline event (at once, or queued in the caller's
``OrderWrites``).
Every entry point (staff API, sync push, owner portal, Celery tasks) calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from backend.accounts.access import is_administrator, user_roles
from backend.accounts.roles import Role
from backend.core.errors import PermissionDenied
from backend.workorders.errors import InvalidTransition, NotAssignee, PreconditionFailed, ReopenWindowClosed
from backend.workorders.models import TimelineEvent, WorkOrder
from backend.workorders.states import ALLOWED, ASSIGNEE_ONLY_FROM, FIELD, SYSTEM_STEPS, State, WaitingReason
from backend.workorders.writes import event_record, order_save

if TYPE_CHECKING:
    from backend.workorders.writes import OrderWrites


def reopen_window() -> timedelta:
    """How long after completion an order may be reopened (``REOPEN_WINDOW_DAYS``, 30 by default)."""
    return timedelta(days=settings.REOPEN_WINDOW_DAYS)


OWNER_VISIBLE_STATES = frozenset(
    {State.ACCEPTED, State.ASSIGNED, State.EN_ROUTE, State.ON_SITE, State.IN_PROGRESS, State.COMPLETED,
     State.CLOSED, State.REOPENED, State.CANCELLED, State.REJECTED}
)


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a user, the system (routing, timers, approvals), or a homeowner via the portal."""

    user: Any = None
    system: str = ""  # e.g. "routing", "grab_fallback", "approval"
    owner_id: Any = None
    label: str = ""
    extra_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def roles(self) -> frozenset[str]:
        base = user_roles(self.user) if self.user is not None else frozenset()
        if self.owner_id is not None:
            base = base | {Role.HOMEOWNER}
        return base | self.extra_roles

    def display(self) -> str:
        if self.label:
            return self.label
        if self.user is not None:
            return str(self.user)
        return self.system or "owner"


def system_actor(name: str) -> Actor:
    return Actor(system=name, label=name)


def _check_actor(order: WorkOrder, actor: Actor, frm: str, to: str) -> None:
    if actor.system:
        if (frm, to) not in SYSTEM_STEPS:
            raise PermissionDenied(details={"from": frm, "to": to, "actor": actor.system})
        return
    if actor.user is not None and is_administrator(actor.user):
        return
    allowed_roles = ALLOWED[(frm, to)]
    held = actor.roles & allowed_roles
    if not held:
        raise PermissionDenied(details={"from": frm, "to": to, "required_roles": sorted(allowed_roles)})
    if actor.owner_id is not None and Role.HOMEOWNER in held and not (held - {Role.HOMEOWNER}):
        if order.reporter_owner_id != actor.owner_id and not order.unit_id:
            raise PermissionDenied(details={"reason": "not_reporter"})
    # A technician acting only as a technician must be the assignee.
    if held <= FIELD and frm in ASSIGNEE_ONLY_FROM and order.technician_id != getattr(actor.user, "id", None):
        raise NotAssignee(details={"order": order.number})


def _check_preconditions(order: WorkOrder, frm: str, to: str, changes: dict[str, Any], now: datetime) -> None:
    if to == State.ASSIGNED and not (changes.get("technician_id") or order.technician_id):
        raise PreconditionFailed(details={"missing": "technician_id"})
    if to == State.WAITING:
        reason = changes.get("waiting_reason")
        if reason not in WaitingReason.values:
            raise PreconditionFailed(details={"missing": "waiting_reason", "allowed": WaitingReason.values})
    if to == State.REOPENED and order.completed_at is not None and now - order.completed_at > reopen_window():
        raise ReopenWindowClosed(details={"completed_at": order.completed_at.isoformat(),
                                          "window_days": reopen_window().days})


def order_transition(*, actor: Actor, to: str, now: datetime, order_id: Any = None, order: WorkOrder | None = None,
                     writes: OrderWrites | None = None, note: str = "", device_at: datetime | None = None,
                     changes: dict[str, Any] | None = None, event_data: dict[str, Any] | None = None,
                     event_id: str | None = None, clock_at: datetime | None = None) -> WorkOrder:
    """Moves an order to ``to``; ``changes`` are fields set in the same step (technician, waiting reason...).

    Give ``order_id`` and the step locks the row in its own transaction (a savepoint inside the
    caller's). A caller that already holds the row — locked with ``select_for_update`` or created
    in its open transaction — passes it as ``order`` (or as ``writes.order``) and it is not read
    again. With ``writes`` the timeline event, the SLA clock changes and the live update are
    queued there and written when the caller flushes it (see ``backend.workorders.writes``).

    ``event_id`` gives the timeline event a known id (a device's own id for an offline step);
    ``clock_at`` is when the step counts for the SLA clocks when that is not ``now`` (a plausible
    device time of an offline step; never earlier than the clocks' last event)."""
    step: dict[str, Any] = {"actor": actor, "to": to, "now": now, "writes": writes, "note": note,
                            "device_at": device_at, "changes": dict(changes or {}), "event_data": event_data,
                            "event_id": event_id, "clock_at": clock_at}
    held = order if order is not None else (writes.order if writes is not None else None)
    if held is not None:
        if writes is not None and writes.order is not held:
            raise ValueError("writes belong to another order")
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("a held order is changed inside the transaction that holds it")
        return _apply_step(held, **step)
    with transaction.atomic():
        return _apply_step(WorkOrder.objects.select_for_update().get(id=order_id), **step)


def _apply_step(order: WorkOrder, *, actor: Actor, to: str, now: datetime, writes: OrderWrites | None, note: str,
                device_at: datetime | None, changes: dict[str, Any], event_data: dict[str, Any] | None,
                event_id: str | None, clock_at: datetime | None) -> WorkOrder:
    frm = order.state
    if (frm, to) not in ALLOWED:
        raise InvalidTransition(details={"from": frm, "to": to, "order": order.number})
    _check_actor(order, actor, frm, to)
    _check_preconditions(order, frm, to, changes, now)

    if to != State.WAITING:
        changes.setdefault("waiting_reason", "")
    if to == State.COMPLETED:
        changes["completed_at"] = now
    if to in {State.ACCEPTED, State.REOPENED} and frm in {State.ASSIGNED, State.EN_ROUTE, State.COMPLETED,
                                                           State.CLOSED}:
        changes.setdefault("technician_id", None)
    for name, value in changes.items():
        setattr(order, name, value)
    order.state = to
    order.updated_at = now
    order.revision += 1
    fields = {"state", "updated_at", "revision", *(name.removesuffix("_id") if name.endswith("_id") else name
                                                  for name in changes)}
    order_save(order, fields, writes)
    from backend.workorders.events import order_changed
    from backend.workorders.owner import owner_step_notify
    from backend.workorders.sla import sla_on_transition

    event = event_record(order, writes, kind=TimelineEvent.Kind.STATE, actor=actor.user,
                         actor_label=actor.display()[:100], from_state=frm, to_state=to, note=note,
                         data=event_data or {}, created_at=now, device_at=device_at,
                         owner_visible=to in OWNER_VISIBLE_STATES, **({"sync_id": event_id} if event_id else {}))
    sla_on_transition(order=order, frm=frm, to=to, now=clock_at or now, writes=writes)
    order_changed(order=order, kind="state", now=now, writes=writes)
    if writes is None:
        owner_step_notify(order=order, to=to, event_id=event.id, now=now)
    else:  # the event's id is known once the queued events are written
        writes.after_flush.append(lambda: owner_step_notify(order=order, to=to, event_id=event.id, now=now))
    return order
