"""The handover context's reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from backend.accounts.access import ensure_role
from backend.core.dates import business_timezone
from backend.core.errors import NotFound
from backend.handover.models import OPEN_ITEM_STATUSES, Appointment, Defect, Item, Slot
from backend.handover.services import HANDOVER_ROLES


def phone_has_open_invitation(phone_e164: str) -> bool:
    """A buyer invited to a handover may verify their phone in the owner portal before owning the home."""
    return Item.objects.filter(phone=phone_e164, status__in=OPEN_ITEM_STATUSES).exists()


def item_of_invitation(*, token: str, phone_e164: str) -> Item:
    """The invitation behind an SMS link, for the verified phone it was sent to; any other: 404."""
    item = (Item.objects.select_related("batch__project", "unit__building").filter(invite_token=token, phone=phone_e164)
            .first())
    if item is None:
        raise NotFound(details={"object": "handover_invitation"})
    return item


def open_slots(*, item: Item, now: datetime) -> list[Slot]:
    return list(Slot.objects.filter(batch_id=item.batch_id, starts_at__gt=now).order_by("starts_at"))


def live_appointment(item: Item) -> Appointment | None:
    return item.appointments.filter(cancelled_at__isnull=True).select_related("slot").first()


def defects_of(item: Item) -> list[Defect]:
    return list(Defect.objects.filter(inspection__item=item).select_related("order", "line").order_by("id"))


def day_schedule(*, actor: Any, day: date) -> list[Appointment]:
    """The appointments of a (Shanghai) day, for the handover officers' schedule."""
    ensure_role(actor, HANDOVER_ROLES)
    start = datetime(day.year, day.month, day.day, tzinfo=business_timezone())
    return list(Appointment.objects.filter(cancelled_at__isnull=True, slot__starts_at__gte=start,
                                           slot__starts_at__lt=start + timedelta(days=1))
                .select_related("slot", "item__unit__building").order_by("slot__starts_at"))
