"""The only code that changes ``WorkOrder.state``.

``transition_apply`` takes the order its caller has locked in its open transaction, checks the
transition table, the actor's role and the step's preconditions, changes the row with
``update_fields`` and appends the timeline event. It runs no effects: the SLA clocks, the live
update and the owner's text message of a step are run by ``backend.workorders.effects``, which is
what every entry point (staff API, sync push, owner portal, Celery tasks) calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from backend.accounts.access import is_administrator
from backend.accounts.roles import Role
from backend.core.errors import PermissionDenied
from backend.workorders.actors import Actor
from backend.workorders.errors import (
    InvalidTransition,
    NotAssignee,
    PreconditionFailed,
    QuoteRequired,
    ReopenWindowClosed,
)
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.models import Assignment, OwnerQuote, TimelineEvent, WarrantyVerdict, WorkOrder
from backend.workorders.states import (
    ALLOWED,
    ASSIGNEE_ONLY_FROM,
    FIELD,
    SYSTEM_STEPS,
    State,
    WaitingReason,
)


def reopen_window() -> timedelta:
    """How long after completion an order may be reopened (``REOPEN_WINDOW_DAYS``, 30 by default)."""
    return timedelta(days=settings.REOPEN_WINDOW_DAYS)


OWNER_VISIBLE_STATES = frozenset(
    {State.ACCEPTED, State.ASSIGNED, State.EN_ROUTE, State.ON_SITE, State.IN_PROGRESS, State.COMPLETED,
     State.CLOSED, State.REOPENED, State.CANCELLED, State.REJECTED}
)


@dataclass(frozen=True)
class Step:
    """One step taken: the order as changed, and the timeline event that records it."""

    order: WorkOrder
    event: TimelineEvent
    frm: str
    to: str


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
    if to == State.COMPLETED and order.warranty_verdict == WarrantyVerdict.OUT and order.paid_service_waived_at is None \
            and not OwnerQuote.objects.filter(order=order, status=OwnerQuote.Status.ACCEPTED).exists():
        # A paid-service (有偿服务) repair is done only at a price the owner accepted, or waived on record.
        raise QuoteRequired(details={"order": order.number, "warranty": order.warranty_verdict})


def transition_apply(*, order: WorkOrder, actor: Actor, to: str, now: datetime, note: str = "",
                     device_at: datetime | None = None, changes: dict[str, Any] | None = None,
                     event_data: dict[str, Any] | None = None, event_id: str | None = None) -> Step:
    """Moves the held ``order`` to ``to``; ``changes`` are fields set in the same step (technician,
    waiting reason, ratings...). ``event_id`` gives the timeline event a device's own id."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a step changes the order inside the transaction that holds its lock")
    frm = order.state
    if (frm, to) not in ALLOWED:
        raise InvalidTransition(details={"from": frm, "to": to, "order": order.number})
    changes = dict(changes or {})
    _check_actor(order, actor, frm, to)
    _check_preconditions(order, frm, to, changes, now)

    if to != State.WAITING:
        changes.setdefault("waiting_reason", "")
    if to == State.COMPLETED:
        changes["completed_at"] = now
    if to in {State.ACCEPTED, State.REOPENED} and frm in {State.ASSIGNED, State.EN_ROUTE, State.COMPLETED,
                                                           State.CLOSED}:
        changes.setdefault("technician_id", None)
    if order.technician_id is not None and "technician_id" in changes and changes["technician_id"] is None:
        # Back to the queue: the technician's assignment ends with this step (an open assignment
        # always names the order's technician).
        Assignment.objects.filter(order=order, ended_at__isnull=True).update(ended_at=now)
    for name, value in changes.items():
        setattr(order, name, value)
    order.state = to
    order.updated_at = now
    order.revision += 1
    fields = {"state", "updated_at", "revision", *(name.removesuffix("_id") for name in changes)}
    order.save(update_fields=sorted(fields))
    event = event_add(order=order, kind=Kind.STATE, actor=actor, from_state=frm, to_state=to, note=note,
                      data=event_data, now=now, device_at=device_at, owner_visible=to in OWNER_VISIBLE_STATES,
                      sync_id=event_id)
    return Step(order=order, event=event, frm=frm, to=to)
