"""The recycling clock of a held customer, and the stage machine. Every path that moves a customer sets
the clock through ``clock_restart`` (and says so in its docstring)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from backend.core.dates import business_date
from backend.crm.errors import InvalidStageChange
from backend.crm.models import ClaimKind, Customer, CustomerEvent, EventKind, HoldLog, PoolSettings
from backend.crm.states import ALLOWED, Stage
from backend.properties.models import Project

CLOCK_FIELDS = ["last_activity_at", "recycle_due_at", "warn_at", "warned_at"]


def pool_settings(project_id: Any) -> PoolSettings:
    found = PoolSettings.objects.filter(project_id=project_id).first()
    if found is not None:
        return found
    settings_row, _ = PoolSettings.objects.get_or_create(project=Project.objects.get(id=project_id))
    return settings_row


def recycle_days(settings_row: PoolSettings, stage: str) -> int | None:
    value = (settings_row.recycle_days or {}).get(stage)
    return int(value) if value is not None else None


def clock_set(customer: Customer, settings_row: PoolSettings, *, last_activity_at: datetime) -> None:
    """Sets (not saves) the clock fields from the last activity: due = activity + the stage's days, never
    before the protection ends; the warning ``warn_days`` before that."""
    customer.last_activity_at = last_activity_at
    days = recycle_days(settings_row, customer.stage)
    if customer.holder_id is None or days is None:
        customer.recycle_due_at = customer.warn_at = customer.warned_at = None
        return
    due = last_activity_at + timedelta(days=days)
    if customer.protected_until is not None and due < customer.protected_until:
        due = customer.protected_until
    customer.recycle_due_at = due
    customer.warn_at = max(last_activity_at, due - timedelta(days=settings_row.warn_days))
    customer.warned_at = None


def hold(customer: Customer, settings_row: PoolSettings, *, consultant_id: Any, kind: str, actor: Any, now: datetime,
         protect: bool = True, params: dict[str, Any] | None = None) -> None:
    """Gives the customer to a consultant: a fresh clock from ``now`` and the protection period."""
    consultant_id = uuid.UUID(str(consultant_id))
    customer.holder_id = consultant_id
    customer.held_since = now
    customer.grab_expires_at = None
    customer.protected_until = now + timedelta(hours=settings_row.protection_hours) if protect else None
    clock_set(customer, settings_row, last_activity_at=now)
    customer.save(update_fields=["holder", "held_since", "grab_expires_at", "protected_until", *CLOCK_FIELDS])
    HoldLog.objects.create(customer=customer, consultant_id=consultant_id, kind=kind, at=now,
                           business_date=business_date(now))
    event_kind = {ClaimKind.CLAIM: EventKind.CLAIMED, ClaimKind.DISPATCH: EventKind.DISPATCHED,
                  ClaimKind.GRAB: EventKind.GRABBED, ClaimKind.TRANSFER_IN: EventKind.TRANSFERRED}[ClaimKind(kind)]
    CustomerEvent.objects.create(customer=customer, kind=event_kind, actor=actor, at=now,
                                 params={"consultant": str(consultant_id), **(params or {})})


def unhold(customer: Customer, *, kind: str, actor: Any, now: datetime, params: dict[str, Any] | None = None) -> None:
    """Back to the public pool: no holder, no clock."""
    former = customer.holder_id
    customer.holder_id = None
    customer.held_since = customer.protected_until = None
    customer.recycle_due_at = customer.warn_at = customer.warned_at = None
    customer.save(update_fields=["holder", "held_since", "protected_until", "recycle_due_at", "warn_at", "warned_at"])
    if former is not None:
        HoldLog.objects.create(customer=customer, consultant_id=former, kind=kind, at=now,
                               business_date=business_date(now))
    CustomerEvent.objects.create(
        customer=customer, kind=EventKind.RELEASED if kind == ClaimKind.RELEASE else EventKind.TRANSFERRED,
        actor=actor, at=now, params={"former": str(former) if former else None, **(params or {})})


def transition(customer: Customer, *, to: str, actor: Any, now: datetime, reason: str = "",
               params: dict[str, Any] | None = None) -> None:
    """The one way a customer's stage changes: the table, an event row, the clock of the new stage."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition needs a transaction")
    if to not in ALLOWED.get(customer.stage, frozenset()):
        raise InvalidStageChange(details={"from": customer.stage, "to": to})
    if to == Stage.LOST and not reason.strip():
        raise InvalidStageChange(details={"from": customer.stage, "to": to, "reason": "reason_required"})
    before = customer.stage
    customer.stage = to
    customer.lost_reason = reason.strip()[:40] if to == Stage.LOST else ""
    customer.stage_changed_at = now
    clock_set(customer, pool_settings(customer.project_id), last_activity_at=customer.last_activity_at)
    customer.save(update_fields=["stage", "lost_reason", "stage_changed_at", *CLOCK_FIELDS])
    CustomerEvent.objects.create(customer=customer, kind=EventKind.STAGE, actor=actor, at=now, from_stage=before,
                                 to_stage=to, params={"reason": customer.lost_reason, **(params or {})})
