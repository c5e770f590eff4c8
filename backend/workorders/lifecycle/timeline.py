"""The order's timeline: one helper appends a line, whoever writes it (a step, a comment, an SLA rung)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.accounts.models import User
from backend.workorders.actors import Actor
from backend.workorders.models import TimelineEvent, WorkOrder

Kind = TimelineEvent.Kind


def event_add(*, order: WorkOrder, kind: str, now: datetime, actor: Actor | User | None = None, label: str = "",
              note: str = "", data: dict[str, Any] | None = None, owner_visible: bool = False,
              from_state: str = "", to_state: str = "", device_at: datetime | None = None,
              sync_id: str | None = None) -> TimelineEvent:
    """Appends an immutable line to the order's history and returns it (its id is the live updates' ``seq``).

    ``actor`` is who did it (a staff user, or an ``Actor``: the system or a homeowner); ``label``
    overrides how they are shown. ``sync_id`` is a device's own id for an offline step."""
    user = actor.user if isinstance(actor, Actor) else actor
    shown = label or (actor.display() if isinstance(actor, Actor) else str(actor) if actor is not None else "")
    return TimelineEvent.objects.create(
        order=order, kind=kind, actor=user, actor_label=shown[:100], note=note, data=data or {},
        owner_visible=owner_visible, from_state=from_state, to_state=to_state, created_at=now, device_at=device_at,
        **({"sync_id": sync_id} if sync_id else {}),
    )
