"""Merging a duplicate report into the order it repeats (the same problem at the same place)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.access import ensure_role
from backend.accounts.roles import Role
from backend.core.errors import ValidationFailed
from backend.workorders.access import access_order, orders_visible_to
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.models import WorkOrder
from backend.workorders.notes import system_note
from backend.workorders.states import OPEN_STATES, State

# The office roles: a technician reports a duplicate to the office rather than cancelling it.
MERGE_ROLES = (Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR)


def order_merge_duplicate(*, actor: Any, order_id: UUID, into_number: str, now: datetime) -> WorkOrder:
    """Merges the duplicate ``order_id`` into the open order numbered ``into_number`` on the same place.

    The duplicate is cancelled through the state machine (its clocks stop, its owner is told) with the
    kept order named on its timeline; the kept order's timeline says which report was merged into it.
    Both or neither. Both orders must be in the actor's scope; the kept one is locked first when its
    number sorts first, so two merges of the same pair cannot deadlock."""
    ensure_role(actor, MERGE_ROLES)
    number = (into_number or "").strip().upper()
    with transaction.atomic():
        duplicate = access_order(actor, order_id)
        kept = orders_visible_to(actor).filter(number=number, state__in=OPEN_STATES).exclude(id=duplicate.id).first()
        if kept is None or (kept.unit_id, kept.public_area_id) != (duplicate.unit_id, duplicate.public_area_id):
            raise ValidationFailed(details={"errors": [{"field": "into", "reason": _(
                "Give the number of an open order on the same place.")}]})
        first, second = sorted([duplicate.id, kept.id], key=str)
        locked = {o.id: o for o in WorkOrder.objects.select_for_update().filter(id__in=[first, second])}
        duplicate, kept = locked[duplicate.id], locked[kept.id]
        merged = system_note("merged_into", number=kept.number)
        order_transition(order=duplicate, actor=Actor(user=actor), to=State.CANCELLED, now=now, note=merged.text,
                         event_data={**merged.data, "merged_into": str(kept.id)})
        received = system_note("merged_from", number=duplicate.number)
        event_add(order=kept, kind=Kind.NOTE, actor=actor, note=received.text, now=now,
                  data={**received.data, "merged_from": str(duplicate.id)})
    return kept
