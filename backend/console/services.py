"""The console's writes: compositions of the work-order services, in one transaction each."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from backend.core.errors import ValidationFailed
from backend.workorders import services
from backend.workorders.access import orders_visible_to
from backend.workorders.actors import Actor
from backend.workorders.models import WorkOrder
from backend.workorders.states import OPEN_STATES, State


def order_merge(*, actor: Any, order_id: UUID, into_number: str, now: datetime) -> WorkOrder:
    """Merges a duplicate into an open order of the same place: the duplicate is cancelled through the
    state machine with the kept order's number on its timeline, and the kept order gets an internal note.
    Both or neither."""
    number = (into_number or "").strip().upper()
    with transaction.atomic():
        duplicate = orders_visible_to(actor).filter(id=order_id).first()
        kept = orders_visible_to(actor).filter(number=number, state__in=OPEN_STATES).exclude(id=order_id).first()
        if duplicate is None or kept is None or (kept.unit_id, kept.public_area_id) != (duplicate.unit_id,
                                                                                      duplicate.public_area_id):
            raise ValidationFailed(details={"errors": [{"field": "into", "reason": _(
                "Give the number of an open order on the same place.")}]})
        services.order_transition(order_id=duplicate.id, actor=Actor(user=actor), to=State.CANCELLED, now=now,
                                  note=_("Duplicate of %(number)s: merged into it.") % {"number": kept.number},
                                  event_data={"merged_into": str(kept.id)})
        services.comment_add(actor=actor, order_id=kept.id, owner_visible=False, now=now,
                             body=_("%(number)s was merged into this order.") % {"number": duplicate.number})
    return kept
