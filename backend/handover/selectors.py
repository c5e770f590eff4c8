"""The handover context's reads."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from backend.accounts.access import ensure_role
from backend.accounts.roles import Role
from backend.core.dates import business_timezone
from backend.core.errors import NotFound
from backend.handover.models import OPEN_ITEM_STATUSES, Appointment, Defect, Item, Slot
from backend.handover.services import HANDOVER_ROLES

# Who reads the handover pages: the officers and administrators, and the engineering managers and director
# (the same tuple as the staff layout's navigation, ``backend.console.access.HANDOVER_PAGE_ROLES``).
HANDOVER_READERS = (*HANDOVER_ROLES, Role.ENGINEERING_MANAGER, Role.ENGINEERING_DIRECTOR)


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
    ensure_role(actor, HANDOVER_READERS)
    start = datetime(day.year, day.month, day.day, tzinfo=business_timezone())
    return list(Appointment.objects.filter(cancelled_at__isnull=True, slot__starts_at__gte=start,
                                           slot__starts_at__lt=start + timedelta(days=1))
                .select_related("slot", "item__unit__building").order_by("slot__starts_at"))


# --- the staff pages (backend/handover/views.py) ------------------------------------------------------


def batches_list(*, actor: Any) -> list[dict[str, Any]]:
    """Every batch with its units counted by status, newest first."""
    from django.db.models import Count, Q

    from backend.handover.models import Batch, ItemStatus

    ensure_role(actor, HANDOVER_READERS)
    counts = {status: Count("items", filter=Q(items__status=status)) for status in ItemStatus.values}
    rows = Batch.objects.select_related("project", "building").annotate(total=Count("items"), **counts)
    return [{"batch": b, "total": b.total, "counts": {s: getattr(b, s) for s in ItemStatus.values}} for b in rows]


def batch_get(*, actor: Any, batch_id: Any) -> Any:
    from backend.handover.models import Batch

    ensure_role(actor, HANDOVER_READERS)
    batch = Batch.objects.select_related("project", "building").filter(id=batch_id).first()
    if batch is None:
        raise NotFound(details={"object": "handover_batch"})
    return batch


def batch_items(*, batch: Any) -> list[dict[str, Any]]:
    """The units of a batch with their invitation, live appointment, inspection and defects."""
    from django.db.models import Count, Prefetch

    items = (Item.objects.filter(batch=batch).select_related("unit__building", "inspection")
             .annotate(defect_count=Count("inspection__defects"))
             .prefetch_related(Prefetch("appointments", queryset=Appointment.objects.filter(
                 cancelled_at__isnull=True).select_related("slot"), to_attr="live")))
    return [{"item": i, "appointment": i.live[0] if i.live else None,
             "inspection": getattr(i, "inspection", None) if _has_inspection(i) else None,
             "defects": i.defect_count} for i in items]


def _has_inspection(item: Item) -> bool:
    return hasattr(item, "inspection")  # a reverse one-to-one raises an AttributeError when there is none


def batch_slots(*, batch: Any) -> list[Slot]:
    return list(Slot.objects.filter(batch=batch).order_by("starts_at"))


def item_get(*, actor: Any, item_id: Any) -> Item:
    ensure_role(actor, HANDOVER_READERS)
    item = Item.objects.select_related("batch__project", "unit__building").filter(id=item_id).first()
    if item is None:
        raise NotFound(details={"object": "handover_item"})
    return item


def item_workspace(*, actor: Any, item_id: Any) -> dict[str, Any]:
    """What the inspection page shows of one unit's handover."""
    from backend.handover.models import KeyHanded, MeterReading, ServiceTask
    from backend.properties.models import QrToken

    item = item_get(actor=actor, item_id=item_id)
    inspection = item.inspection if _has_inspection(item) else None
    lines = list(inspection.lines.all()) if inspection else []
    qr = (QrToken.objects.filter(unit_id=item.unit_id, revoked_at__isnull=True).order_by("-created_at").first()
          if item.status == "completed" else None)
    return {"item": item, "appointment": live_appointment(item), "inspection": inspection, "lines": lines,
            "checked": sum(1 for line in lines if line.result != "pending"),
            "defects": defects_of(item) if inspection else [],
            "keys": {k.kind: k.count for k in KeyHanded.objects.filter(item=item)},
            "readings": {r.meter: r for r in MeterReading.objects.filter(item=item)},
            "tasks": list(ServiceTask.objects.filter(item=item)), "qr": qr}


def line_of_item(*, item: Item, line_id: int) -> Any:
    from backend.handover.models import InspectionLine

    line = InspectionLine.objects.filter(id=line_id, inspection__item=item).first()
    if line is None:
        raise NotFound(details={"object": "inspection_line"})
    return line


# --- the owner's side (owner_portal) ------------------------------------------------------------------


def slots_with_room(*, item: Item, now: datetime) -> list[dict[str, Any]]:
    """The batch's future slots, each with the seats left (a full one is shown, not offered)."""
    return [{"slot": s, "left": max(0, s.capacity - s.booked), "full": s.booked >= s.capacity}
            for s in open_slots(item=item, now=now)]


def invitations_of_phone(phone_e164: str) -> list[Item]:
    """The handovers a verified phone was invited to (the owner's "my handover" links)."""
    return list(Item.objects.filter(phone=phone_e164).select_related("batch__project", "unit__building")
                .order_by("-batch__start_date"))
