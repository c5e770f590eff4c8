"""What is recorded on an order besides its steps: comments, parts, labour, attachments, its priority.

Each write checks the actor's access (a miss looks like a miss), appends its timeline event and
announces the change after commit. The API, the sync push and the portal call these same services.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role
from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.workorders.access import access_order
from backend.workorders.inputs import MAX_DESCRIPTION, invalid
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.live.broadcast import order_announce
from backend.workorders.live.owner_texts import owner_reply_notify
from backend.workorders.models import Attachment, Comment, LabourLine, PartUsage, Priority, WorkOrder
from backend.workorders.records.photos import CleanFile, clean_upload
from backend.workorders.sla.clocks import sla_on_priority_change
from backend.workorders.states import State


def comment_add(*, actor: User, order_id: UUID, body: str, owner_visible: bool, now: datetime,
                sync_id: str | None = None) -> Comment:
    body = comment_body_clean(body)
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        comment = Comment.objects.create(order=order, author=actor, body=body, owner_visible=owner_visible,
                                         created_at=now, **({"sync_id": sync_id} if sync_id else {}))
        event = event_add(order=order, kind=Kind.COMMENT, actor=actor, note=body, owner_visible=owner_visible,
                          data={"comment_id": str(comment.id)}, now=now)
        order_announce(order=order, kind="comment", now=now, event=event)
        if owner_visible:
            owner_reply_notify(order=order, comment_id=comment.id, now=now)
    return comment


WORKER_ROLES = (Role.TECHNICIAN, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR)


MAX_PART_NAME = 100


def comment_body_clean(body: str) -> str:
    """A comment's text as it is stored: stripped, 1 to 2000 characters, or refused — never cut."""
    body = (body or "").strip()
    if not body or len(body) > MAX_DESCRIPTION:
        raise invalid("body", _("Write 1 to 2000 characters."))
    return body


def part_line_clean(*, name: str, quantity: Decimal, unit_price_yuan: Decimal) -> str:
    """A part's name as it is stored, once its line is valid; refused with the reason otherwise."""
    name = (name or "").strip()
    if quantity <= 0 or unit_price_yuan < 0 or not name:
        raise invalid("quantity", _("A part needs a name, a positive quantity and a price of at least 0."))
    if len(name) > MAX_PART_NAME:
        raise invalid("name", _("A part's name has at most 100 characters."))
    return name


def ensure_open(order: WorkOrder) -> None:
    if order.state in {State.CANCELLED, State.REJECTED, State.CLOSED}:
        raise invalid("order", _("The order is closed."))


def part_add(*, actor: User, order_id: UUID, name: str, quantity: Decimal, unit_price_yuan: Decimal,
             now: datetime, sync_id: str | None = None) -> PartUsage:
    name = part_line_clean(name=name, quantity=quantity, unit_price_yuan=unit_price_yuan)
    ensure_role(actor, WORKER_ROLES)
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        ensure_open(order)
        part = PartUsage.objects.create(order=order, name=name, quantity=quantity,
                                        unit_price_yuan=unit_price_yuan, added_by=actor, created_at=now,
                                        **({"sync_id": sync_id} if sync_id else {}))
        event = event_add(order=order, kind=Kind.NOTE, actor=actor, note=f"{part.name} × {quantity}", now=now,
                          data={"part_id": str(part.id), "amount_yuan": str(quantity * unit_price_yuan)})
        order_announce(order=order, kind="part", now=now, event=event)
    return part


def labour_add(*, actor: User, order_id: UUID, description: str, minutes: int, amount_yuan: Decimal,
               now: datetime) -> LabourLine:
    if minutes <= 0 or amount_yuan < 0 or not description.strip():
        raise invalid("minutes", _("Labour needs a description, positive minutes and an amount of at least 0."))
    ensure_role(actor, WORKER_ROLES)
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        ensure_open(order)
        line = LabourLine.objects.create(order=order, description=description.strip()[:200], minutes=minutes,
                                         amount_yuan=amount_yuan, technician=actor, created_at=now)
        order_announce(order=order, kind="labour", now=now)
    return line


def attachment_add(*, actor: User, order_id: UUID, data: bytes, original_name: str, owner_visible: bool,
                   now: datetime) -> tuple[Attachment, bool]:
    """Stores a cleaned photo or PDF once per order and content; returns (attachment, created)."""
    access_order(actor, order_id)  # a stranger learns nothing about the file, not even that it is bad
    clean = clean_upload(data)
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        return attachment_store(order=order, clean=clean, original_name=original_name, uploaded_by=actor,
                                actor_label=str(actor), owner_visible=owner_visible, now=now)


def attachment_store(*, order: WorkOrder, clean: CleanFile, original_name: str, uploaded_by: User | None,
                     actor_label: str,
                     owner_visible: bool, now: datetime) -> tuple[Attachment, bool]:
    """Stores a cleaned file on an order the caller has locked and may write to (staff or homeowner)."""
    existing = Attachment.objects.filter(order=order, sha256=clean.sha256).first()
    if existing is not None:
        return existing, False
    attachment = Attachment(order=order, content_type=clean.content_type, size_bytes=len(clean.content),
                            width=clean.width, height=clean.height, sha256=clean.sha256,
                            original_name=original_name[:200], uploaded_by=uploaded_by, owner_visible=owner_visible,
                            created_at=now)
    attachment.file.save(f"{clean.sha256[:32]}.{clean.extension}", ContentFile(clean.content), save=False)
    if clean.thumbnail:
        attachment.thumbnail.save(f"{clean.sha256[:32]}.jpg", ContentFile(clean.thumbnail), save=False)
    attachment.save()
    event = event_add(order=order, kind=Kind.ATTACHMENT, actor=uploaded_by, label=actor_label,
                      owner_visible=owner_visible, now=now,
                      data={"attachment_id": str(attachment.id), "content_type": clean.content_type})
    order_announce(order=order, kind="attachment", now=now, event=event)
    return attachment, True


def order_priority_change(*, actor: User, order_id: UUID, priority: str, reason: str, now: datetime) -> WorkOrder:
    ensure_role(actor, [Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR])
    if priority not in Priority.values:
        raise invalid("priority", _("Expected one of P1, P2, P3, P4."))
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        if order.priority == priority:
            return order
        before = order.priority
        order.priority, order.updated_at, order.revision = priority, now, order.revision + 1
        order.save(update_fields=["priority", "updated_at", "revision"])
        event = event_add(order=order, kind=Kind.NOTE, actor=actor, note=reason[:300], now=now,
                          data={"priority": {"from": before, "to": priority}})
        if order.state not in {State.CANCELLED, State.REJECTED}:
            sla_on_priority_change(order=order, now=now)
        order_announce(order=order, kind="priority", now=now, event=event)
    return order
