"""Edits of an order's records after they were added: a comment's text, a part's line, a part removed.

The counterparts of ``records.entries.comment_add`` and ``part_add``, with the same validation, role
check, open-order check and a timeline event, so that an edit a device pushes offline is checked exactly
as one made through the API. Only the author may edit their comment or part. ``merged`` marks an edit a
device pushed again after a sync conflict: its timeline event says so, next to the office's change.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role
from backend.accounts.models import User
from backend.core.errors import PermissionDenied
from backend.workorders.access import access_order
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.live.broadcast import order_announce
from backend.workorders.models import Comment, PartUsage, WorkOrder
from backend.workorders.notes import system_note
from backend.workorders.records.entries import WORKER_ROLES, comment_body_clean, ensure_open, part_line_clean


class NotAuthor(PermissionDenied):
    code = "not_author"
    message = _("Only the person who added it may change it.")


def _event(order: WorkOrder, *, actor: User, note: str, data: dict[str, Any], now: datetime, merged: bool,
           kind: str) -> None:
    if merged:
        data = {**data, "merged_after_conflict": True}
        note = f"{note} (merged after a sync conflict)"
    event = event_add(order=order, kind=Kind.NOTE, actor=actor, note=note, data=data, now=now)
    order_announce(order=order, kind=kind, now=now, event=event)


def comment_edit(*, actor: User, comment_id: UUID | str, body: str, owner_visible: bool, now: datetime,
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
        edited = system_note("comment_edited", body=body[:200])
        _event(order, actor=actor, note=edited.text,
               data={**edited.data, "comment_id": str(comment.id), **(event_data or {})}, now=now, merged=merged, kind="comment")
    return comment


def part_edit(*, actor: User, part_id: UUID | str, name: str, quantity: Decimal, unit_price_yuan: Decimal, now: datetime,
              merged: bool = False, event_data: dict[str, Any] | None = None) -> PartUsage:
    name = part_line_clean(name=name, quantity=quantity, unit_price_yuan=unit_price_yuan)
    ensure_role(actor, WORKER_ROLES)
    with transaction.atomic():
        part = PartUsage.objects.get(id=part_id)
        order = access_order(actor, part.order_id, for_update=True)
        if part.added_by_id != actor.id:
            raise NotAuthor(details={"object": "part"})
        ensure_open(order)
        if (part.name, part.quantity, part.unit_price_yuan) == (name, quantity, unit_price_yuan):
            return part
        part.name, part.quantity, part.unit_price_yuan = name, quantity, unit_price_yuan
        part.save(update_fields=["name", "quantity", "unit_price_yuan"])
        changed = system_note("part_changed", name=name, quantity=quantity)
        _event(order, actor=actor, note=changed.text,
               data={**changed.data, "part_id": str(part.id), "amount_yuan": str(quantity * unit_price_yuan), **(event_data or {})},
               now=now, merged=merged, kind="part")
    return part


def part_remove(*, actor: User, part_id: UUID | str, now: datetime, event_data: dict[str, Any] | None = None) -> None:
    ensure_role(actor, WORKER_ROLES)
    with transaction.atomic():
        part = PartUsage.objects.get(id=part_id)
        order = access_order(actor, part.order_id, for_update=True)
        if part.added_by_id != actor.id:
            raise NotAuthor(details={"object": "part"})
        ensure_open(order)
        removed = system_note("part_removed", name=part.name)
        _event(order, actor=actor, note=removed.text,
               data={**removed.data, "part_id": str(part.id), "part": part.sync_id, **(event_data or {})}, now=now, merged=False,
               kind="part")
        part.delete()
