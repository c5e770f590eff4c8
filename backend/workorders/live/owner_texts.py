"""Text messages to the homeowner about their order: one per owner-visible step that has one, and
one per office reply, through the notification context's SMS interface (idempotent per event)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from backend.properties.identity import mask_phone
from backend.workorders.models import WorkOrder
from backend.workorders.states import State

# Steps the owner hears about by text message, and the template of each.
OWNER_SMS_STEPS: dict[str, str] = {
    State.ACCEPTED: "order_accepted",
    State.ASSIGNED: "technician_assigned",
    State.EN_ROUTE: "technician_on_the_way",
    State.COMPLETED: "order_completed",
    State.CANCELLED: "order_cancelled",
    State.REJECTED: "order_rejected",
}


def order_url(order: WorkOrder) -> str:
    return f"{settings.PUBLIC_BASE_URL}/portal/orders/{order.id}"


def owner_text(order: WorkOrder, template: str, key: str, now: datetime, **params: Any) -> None:
    """Queues one text message to the order's contact, in the language they reported in."""
    from backend.notifications.services import sms_send

    if not order.contact_phone:
        return
    sms_send(phone=order.contact_phone, template=template, idempotency_key=f"owner:{order.id}:{key}", now=now,
             language=order.contact_language or None,
             params={"number": order.number, "url": order_url(order), **params})


def owner_step_notify(*, order: WorkOrder, to: str, event_id: int, now: datetime) -> None:
    """Run after each step: one text message per owner-visible step that has one."""
    template = OWNER_SMS_STEPS.get(to)
    if template is None:
        return
    params: dict[str, Any] = {}
    if template == "technician_assigned":
        technician = order.technician
        if technician is None:
            return
        params = {"technician": technician.display_name or technician.get_username(),
                  # No phone, no phone in the text: the template has a wording without it.
                  "technician_phone": mask_phone(technician.phone) if technician.phone else ""}
    owner_text(order, template, f"event:{event_id}", now, **params)


# Replies within this window are one text message ("customer service replied: see <link>"): the
# message names no reply, so nothing is lost, and a burst of comments is not a burst of messages.
REPLY_SMS_WINDOW_SECONDS = 30 * 60


def owner_reply_notify(*, order: WorkOrder, comment_id: object, now: datetime) -> None:
    """The office answered on the owner's thread: tell the owner by text message, once per window."""
    window = int(now.timestamp()) // REPLY_SMS_WINDOW_SECONDS
    owner_text(order, "message_reply", f"reply:{window}", now)
