"""Edits of an order's records after they were added: a comment's text, a part's line, a part removed.

The counterparts of ``services.comment_add`` and ``services.part_add``, with the same validation, role
check, open-order check and a timeline event, so that an edit a device pushes offline is checked exactly
as one made through the API. Only the author may edit their comment or part. ``merged`` marks an edit a
device pushed again after a sync conflict: its timeline event says so, next to the office's change.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role
from backend.core.errors import PermissionDenied
from backend.workorders.access import access_order
from backend.workorders.events import order_changed
from backend.workorders.models import Comment, PartUsage, TimelineEvent, WorkOrder
from backend.workorders.services import MAX_DESCRIPTION, WORKER_ROLES, _ensure_open, _invalid

MAX_PART_NAME = 100


class NotAuthor(PermissionDenied):
    code = "not_author"
    message = _("Only the person who added it may change it.")


def comment_body_clean(body: str) -> str:
    """A comment's text as it is stored: stripped, 1 to 2000 characters, or refused — never cut."""
    body = (body or "").strip()
    if not body or len(body) > MAX_DESCRIPTION:
        raise _invalid("body", _("Write 1 to 2000 characters."))
    return body


def part_line_clean(*, name: str, quantity: Decimal, unit_price_yuan: Decimal) -> str:
    """A part's name as it is stored, once its line is valid; refused with the reason otherwise."""
    name = (name or "").strip()
    if quantity <= 0 or unit_price_yuan < 0 or not name:
        raise _invalid("quantity", _("A part needs a name, a positive quantity and a price of at least 0."))
    if len(name) > MAX_PART_NAME:
        raise _invalid("name", _("A part's name has at most 100 characters."))
    return name


def _event(order: WorkOrder, *, actor: Any, note: str, data: dict[str, Any], now: datetime, merged: bool) -> None:
    if merged:
        data = {**data, "merged_after_conflict": True}
        note = f"{note} (merged after a sync conflict)"
    TimelineEvent.objects.create(order=order, kind=TimelineEvent.Kind.NOTE, actor=actor, actor_label=str(actor)[:100],
                                 note=note, data=data, created_at=now)


def comment_edit(*, actor: Any, comment_id: Any, body: str, owner_visible: bool, now: datetime,
                 merged: bool = False, event_data: dict[str, Any] | None = None) -> Comment:
    body = comment_body_clean(body)
    with transaction.atomic():
        comment = Comment.objects.select_related("order").get(id=comment_id)
        order = access_order(actor, comment.order_id, for_update=True)
        if comment.author_id != actor.id:
            raise NotAuthor(details={"object": "comment"})
        if (comment.body, comment.owner_visible) == (body, owner_visible):
            return comment
        comment.body, comment.owner_visible = body, owner_visible
        comment.save(update_fields=["body", "owner_visible"])
        _event(order, actor=actor, note=f"comment edited: {body[:200]}",
               data={"comment_id": str(comment.id), **(event_data or {})}, now=now, merged=merged)
        order_changed(order=order, kind="comment", now=now)
    return comment


def part_edit(*, actor: Any, part_id: Any, name: str, quantity: Decimal, unit_price_yuan: Decimal, now: datetime,
              merged: bool = False, event_data: dict[str, Any] | None = None) -> PartUsage:
    name = part_line_clean(name=name, quantity=quantity, unit_price_yuan=unit_price_yuan)
    ensure_role(actor, WORKER_ROLES)
    with transaction.atomic():
        part = PartUsage.objects.get(id=part_id)
        order = access_order(actor, part.order_id, for_update=True)
        if part.added_by_id != actor.id:
            raise NotAuthor(details={"object": "part"})
        _ensure_open(order)
        if (part.name, part.quantity, part.unit_price_yuan) == (name, quantity, unit_price_yuan):
            return part
        part.name, part.quantity, part.unit_price_yuan = name, quantity, unit_price_yuan
        part.save(update_fields=["name", "quantity", "unit_price_yuan"])
        _event(order, actor=actor, note=f"part changed: {name} × {quantity}",
               data={"part_id": str(part.id), "amount_yuan": str(quantity * unit_price_yuan), **(event_data or {})},
               now=now, merged=merged)
        order_changed(order=order, kind="part", now=now)
    return part


def part_remove(*, actor: Any, part_id: Any, now: datetime, event_data: dict[str, Any] | None = None) -> None:
    ensure_role(actor, WORKER_ROLES)
    with transaction.atomic():
        part = PartUsage.objects.get(id=part_id)
        order = access_order(actor, part.order_id, for_update=True)
        if part.added_by_id != actor.id:
            raise NotAuthor(details={"object": "part"})
        _ensure_open(order)
        _event(order, actor=actor, note=f"part removed: {part.name}",
               data={"part_id": str(part.id), "part": part.sync_id, **(event_data or {})}, now=now, merged=False)
        part.delete()
        order_changed(order=order, kind="part", now=now)
