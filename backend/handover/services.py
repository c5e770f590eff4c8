"""The handover context's writes. Each takes the acting user and ``now``; the work orders of defects
go through the core's one intake (channel ``handover_inspection``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F

from backend.accounts.access import ensure_role
from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.core.errors import NotFound, ValidationFailed
from backend.handover.errors import InvalidHandoverStep, NotSigned, SlotFull
from backend.handover.models import (
    OPEN_ITEM_STATUSES,
    Appointment,
    Batch,
    ChecklistTemplate,
    Defect,
    FirstTaskRule,
    Inspection,
    InspectionLine,
    Item,
    ItemStatus,
    KeyHanded,
    LineResult,
    MeterReading,
    ServiceTask,
    Slot,
)
from backend.properties.identity import normalize_phone
from backend.properties.models import HandoverStatus, Owner, Ownership, Unit
from backend.properties.qr import qr_token_ensure
from backend.warranty.services import warranty_clocks_start

HANDOVER_ROLES = (Role.HANDOVER_OFFICER, Role.ADMINISTRATOR)
# The checklist used when the project has none for the unit's layout (户型) nor a default.
DEFAULT_CHECKLIST = [
    {"room": "客厅", "item": "墙面与顶棚"}, {"room": "客厅", "item": "地面"}, {"room": "客厅", "item": "门窗"},
    {"room": "卧室", "item": "墙面与顶棚"}, {"room": "卧室", "item": "门窗"},
    {"room": "厨房", "item": "给排水"}, {"room": "厨房", "item": "燃气接口"},
    {"room": "卫生间", "item": "防水与地漏"}, {"room": "卫生间", "item": "洁具"},
    {"room": "全屋", "item": "强电开关插座"}, {"room": "全屋", "item": "入户门"},
]
# The first service tasks when the project configured none.
DEFAULT_FIRST_TASKS = [("follow_up_visit", 30), ("property_certificate", 90)]
REFUSAL_REASONS = ("defects", "area_dispute", "documents_missing", "other")


def _field(name: str, reason: str) -> ValidationFailed:
    return ValidationFailed(details={"errors": [{"field": name, "reason": reason}]})


def _locked_item(item_id: Any) -> Item:
    """The item, locked (its row only), with what every step reads joined in: the batch, the unit with
    its building and project (the warranty terms need them), and the inspection if one was started."""
    item = (Item.objects.select_for_update(of=("self",))
            .select_related("batch", "unit__building__project", "inspection").filter(id=item_id).first())
    if item is None:
        raise NotFound(details={"object": "handover_item"})
    return item


def _inspection_of(item: Item) -> Inspection | None:
    try:
        return item.inspection
    except Inspection.DoesNotExist:
        return None


def batch_create(*, actor: Any, project_id: UUID, building_id: UUID | None, name: str, start_date: date,
                 end_date: date, now: datetime) -> Batch:
    ensure_role(actor, HANDOVER_ROLES)
    if end_date < start_date:
        raise _field("end_date", "The end date is before the start date.")
    if not name.strip():
        raise _field("name", "Name the batch.")
    return Batch.objects.create(project_id=project_id, building_id=building_id, name=name.strip()[:100],
                                start_date=start_date, end_date=end_date, created_by=actor, created_at=now)


@dataclass(frozen=True)
class Invitee:
    unit_id: UUID
    phone: str
    buyers: list[str]
    contract_id: UUID | None = None


def _add_items(batch: Batch, invitees: list[Invitee]) -> list[Item]:
    taken = set(Item.objects.filter(unit_id__in=[i.unit_id for i in invitees], status__in=OPEN_ITEM_STATUSES)
                .values_list("unit_id", flat=True))
    rows = [Item(batch=batch, unit_id=i.unit_id, phone=normalize_phone(i.phone), buyers=i.buyers,
                 contract_id=i.contract_id, invite_token=secrets.token_urlsafe(32))
            for i in invitees if i.unit_id not in taken]
    return Item.objects.bulk_create(rows)


def batch_add_from_crm(*, actor: Any, batch_id: UUID, now: datetime) -> list[Item]:
    """Takes the units of the CRM's ready-for-handover list (of the batch's building) into the batch."""
    from backend.crm.selectors import ready_for_handover_list

    ensure_role(actor, HANDOVER_ROLES)
    batch = Batch.objects.filter(id=batch_id).first()
    if batch is None:
        raise NotFound(details={"object": "handover_batch"})
    ready = ready_for_handover_list(actor=actor, project_id=batch.project_id, now=now, building_id=batch.building_id)
    with transaction.atomic():
        return _add_items(batch, [Invitee(unit_id=UUID(r["unit_id"]), phone=r["phone"], buyers=r["buyers"],
                                          contract_id=UUID(r["contract_id"])) for r in ready])


def batch_import(*, actor: Any, batch_id: UUID, rows: list[dict[str, Any]], now: datetime) -> list[Item]:
    """Rows of an import (``unit`` number, ``phone``, ``buyers`` separated by 、 or ,; optional
    ``building`` code where the batch spans buildings; optional ``row``, the row's number in the file,
    else counted from 2 under a header) for developers without the CRM. Every bad row is named;
    nothing is saved unless all rows are good. ``backend.handover.imports`` parses xlsx/csv into these rows."""
    ensure_role(actor, HANDOVER_ROLES)
    batch = Batch.objects.filter(id=batch_id).first()
    if batch is None:
        raise NotFound(details={"object": "handover_batch"})
    units = Unit.objects.filter(building__project_id=batch.project_id)
    if batch.building_id:
        units = units.filter(building_id=batch.building_id)
    by_number: dict[str, list[tuple[str, UUID]]] = {}
    for number, building_code, unit_id in units.values_list("number", "building__code", "id"):
        by_number.setdefault(number, []).append((building_code, unit_id))
    errors: list[dict[str, Any]] = []
    invitees: list[Invitee] = []
    seen: dict[UUID, int] = {}
    for default_index, row in enumerate(rows, start=2):  # row 1 is the header
        index = int(row.get("row") or default_index)
        building_code = str(row.get("building") or "").strip()
        matches = [unit_id for code, unit_id in by_number.get(str(row.get("unit") or "").strip(), [])
                   if not building_code or code == building_code]
        if not matches:
            errors.append({"row": index, "field": "unit", "reason": "No such unit in this batch's building."})
            continue
        if len(matches) > 1:
            errors.append({"row": index, "field": "building",
                           "reason": "Several buildings have this unit number: name the building."})
            continue
        unit_id = matches[0]
        if unit_id in seen:
            errors.append({"row": index, "field": "unit", "reason": f"This unit is already on row {seen[unit_id]}."})
            continue
        seen[unit_id] = index
        try:
            phone = normalize_phone(str(row.get("phone") or ""))
        except Exception:  # noqa: BLE001 — the registry's parse error becomes a row error
            errors.append({"row": index, "field": "phone", "reason": "Not a valid phone number."})
            continue
        buyers = [b.strip() for b in str(row.get("buyers") or "").replace(",", "、").replace("，", "、").split("、")
                  if b.strip()]
        if not buyers:
            errors.append({"row": index, "field": "buyers", "reason": "Name at least one buyer."})
            continue
        invitees.append(Invitee(unit_id=unit_id, phone=phone, buyers=buyers))
    if errors:
        raise ValidationFailed(details={"errors": errors})
    with transaction.atomic():
        return _add_items(batch, invitees)


def invitations_send(*, actor: Any, batch_id: UUID, now: datetime) -> int:
    """Texts every invited owner of the batch the link to pick a slot (once per item)."""
    from django.conf import settings

    from backend.notifications.services import sms_send

    ensure_role(actor, HANDOVER_ROLES)
    items = list(Item.objects.filter(batch_id=batch_id, status=ItemStatus.INVITED).select_related("batch__project"))
    with transaction.atomic():
        for item in items:
            sms_send(phone=item.phone, template="handover_invite",
                     params={"project": item.batch.project.name,
                             "url": f"{settings.PUBLIC_BASE_URL}/portal/handover/{item.invite_token}"},
                     idempotency_key=f"handover-invite:{item.id}", now=now)
    return len(items)


def slot_add(*, actor: Any, batch_id: UUID, starts_at: datetime, minutes: int, capacity: int) -> Slot:
    ensure_role(actor, HANDOVER_ROLES)
    if capacity < 1 or minutes < 1:
        raise _field("capacity", "A slot holds at least one appointment.")
    return Slot.objects.create(batch_id=batch_id, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                               capacity=capacity)


def appointment_book(*, item_id: UUID, slot_id: int, now: datetime) -> Appointment:
    """The owner picks (or changes to) a slot. The seat is claimed by a conditional update, so two
    owners racing for the last seat get one booking and one ``SlotFull``; a reschedule frees the old seat."""
    with transaction.atomic():
        item = _locked_item(item_id)
        if item.status not in (ItemStatus.INVITED, ItemStatus.BOOKED):
            raise InvalidHandoverStep(details={"status": item.status})
        if not Slot.objects.filter(id=slot_id, batch_id=item.batch_id, starts_at__gt=now).exists():
            raise NotFound(details={"object": "handover_slot"})
        current = item.appointments.filter(cancelled_at__isnull=True).first()
        if current is not None and current.slot_id == slot_id:
            return current
        if not Slot.objects.filter(id=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1):
            raise SlotFull(details={"slot_id": slot_id})
        if current is not None:
            Appointment.objects.filter(id=current.id).update(cancelled_at=now)
            Slot.objects.filter(id=current.slot_id).update(booked=F("booked") - 1)
        appointment = Appointment.objects.create(item=item, slot_id=slot_id, created_at=now)
        Item.objects.filter(id=item.id).update(status=ItemStatus.BOOKED)
    return appointment


def reminders_send(*, now: datetime, ahead: timedelta = timedelta(hours=24)) -> int:
    """Texts a reminder for each live appointment starting within ``ahead``, once: each is claimed by
    a conditional update, so a task run twice sends nothing twice."""
    from backend.core.dates import business_timezone
    from backend.notifications.services import sms_send

    due = Appointment.objects.filter(cancelled_at__isnull=True, reminded_at__isnull=True,
                                     slot__starts_at__gt=now, slot__starts_at__lte=now + ahead)
    sent = 0
    for appointment in due.select_related("item", "slot"):
        with transaction.atomic():
            if not Appointment.objects.filter(id=appointment.id, reminded_at__isnull=True).update(reminded_at=now):
                continue
            at = appointment.slot.starts_at.astimezone(business_timezone())
            sms_send(phone=appointment.item.phone, template="handover_reminder",
                     params={"time": at.strftime("%Y-%m-%d %H:%M")},
                     idempotency_key=f"handover-reminder:{appointment.id}", now=now)
            sent += 1
    return sent


def checklist_for(unit: Unit) -> list[dict[str, str]]:
    project_id = unit.building.project_id
    for layout in (unit.layout, ""):
        template = ChecklistTemplate.objects.filter(project_id=project_id, layout=layout).first()
        if template is not None and template.items:
            return list(template.items)
    return DEFAULT_CHECKLIST


def inspection_start(*, actor: Any, item_id: UUID, now: datetime) -> Inspection:
    ensure_role(actor, HANDOVER_ROLES)
    with transaction.atomic():
        item = _locked_item(item_id)
        if (existing := _inspection_of(item)) is not None:
            return existing
        if item.status not in (ItemStatus.INVITED, ItemStatus.BOOKED):
            raise InvalidHandoverStep(details={"status": item.status})
        inspection = Inspection.objects.create(item=item, started_at=now, started_by=actor)
        InspectionLine.objects.bulk_create([InspectionLine(inspection=inspection, seq=i, room=row["room"],
                                                           item=row["item"])
                                            for i, row in enumerate(checklist_for(item.unit))])
        Item.objects.filter(id=item.id).update(status=ItemStatus.INSPECTING)
    return inspection


def inspection_line_ok(*, actor: Any, line_id: int) -> None:
    ensure_role(actor, HANDOVER_ROLES)
    InspectionLine.objects.filter(id=line_id, inspection__signed_at__isnull=True).update(result=LineResult.OK)


def defect_report(*, actor: Any, item_id: UUID, category_code: str, description: str, now: datetime,
                  line_id: int | None = None, photos: list[bytes] | None = None) -> Defect:
    """A defect found at inspection becomes a work order through the core's intake, in the same
    transaction as its row under the inspection (and its photos on the order)."""
    from backend.workorders.actors import Actor
    from backend.workorders.models import Channel
    from backend.workorders.records.photos import clean_upload
    from backend.workorders.services import attachment_store, order_intake

    ensure_role(actor, HANDOVER_ROLES)
    cleaned = [clean_upload(data) for data in (photos or [])]  # a bad photo refuses before anything is saved
    with transaction.atomic():
        item = _locked_item(item_id)
        inspection = _inspection_of(item)
        if inspection is None or item.status not in (ItemStatus.INSPECTING, ItemStatus.REFUSED):
            raise InvalidHandoverStep(details={"status": item.status})
        line = InspectionLine.objects.filter(id=line_id, inspection=inspection).first() if line_id else None
        where = f"{line.room} · {line.item}" if line else ""
        result = order_intake(actor=Actor(user=actor), channel=Channel.HANDOVER_INSPECTION,
                              category_code=category_code, description=description,
                              contact_name=(item.buyers or [""])[0], contact_phone=item.phone, now=now,
                              unit_id=item.unit_id, location_detail=where)
        for index, clean in enumerate(cleaned):
            attachment_store(order=result.order, clean=clean, original_name=f"defect-{index + 1}",
                             uploaded_by=actor, actor_label=str(actor), owner_visible=True, now=now)
        if line is not None:
            InspectionLine.objects.filter(id=line.id).update(result=LineResult.DEFECT)
        return Defect.objects.create(inspection=inspection, line=line, order=result.order, created_at=now)


def inspection_sign(*, actor: Any, item_id: UUID, signature_png: bytes, now: datetime) -> Inspection:
    """The owner's signature drawn on the screen (a PNG from the canvas)."""
    ensure_role(actor, HANDOVER_ROLES)
    if not signature_png.startswith(b"\x89PNG") or len(signature_png) > 2_000_000:
        raise _field("signature", "Sign in the box (a PNG image).")
    with transaction.atomic():
        item = _locked_item(item_id)
        inspection = _inspection_of(item)
        if inspection is None or item.status != ItemStatus.INSPECTING:
            raise InvalidHandoverStep(details={"status": item.status})
        inspection.signature.save(f"{item.id}.png", ContentFile(signature_png), save=False)
        inspection.signed_at = now
        inspection.save(update_fields=["signature", "signed_at"])
    return inspection


def keys_and_readings_record(*, actor: Any, item_id: UUID, keys: dict[str, int], readings: dict[str, Any],
                             documents: list[str], photos: dict[str, bytes] | None = None) -> None:
    from decimal import Decimal, InvalidOperation

    ensure_role(actor, HANDOVER_ROLES)
    with transaction.atomic():
        item = _locked_item(item_id)
        if item.status != ItemStatus.INSPECTING:
            raise InvalidHandoverStep(details={"status": item.status})
        for kind, count in keys.items():
            if count < 1:
                KeyHanded.objects.filter(item=item, kind=kind).delete()
                continue
            KeyHanded.objects.update_or_create(item=item, kind=kind, defaults={"count": count})
        for meter, raw in readings.items():
            try:
                value = Decimal(str(raw))
            except InvalidOperation:
                raise _field(f"reading_{meter}", "Not a number.") from None
            if not value.is_finite() or value < 0:
                raise _field(f"reading_{meter}", "Not a number.")
            row, _created = MeterReading.objects.update_or_create(item=item, meter=meter, defaults={"reading": value})
            if photos and photos.get(meter):
                row.photo.save(f"{item.id}-{meter}.jpg", ContentFile(photos[meter]), save=True)
        Item.objects.filter(id=item.id).update(documents=sorted(set(documents)))


# Completion's steps, in order, each inside the one transaction. A list so a test can make any of
# them fail and check that nothing of the others stays.
def _record_ownership(item: Item, day: date) -> None:
    """The owner by phone (an owner of another unit keeps their row and name) and the ownership from
    the handover date, with no read-then-insert: the unique phone and the unique owner/unit/start
    decide. The owner's id is read after the insert (an ignored conflict keeps the stored row's id,
    which the insert does not return)."""
    name = (item.buyers or ["业主"])[0]
    Owner.objects.bulk_create([Owner(phone=item.phone, name=name)], ignore_conflicts=True)
    owner_id = Owner.objects.values_list("id", flat=True).get(phone=item.phone)
    Ownership.objects.bulk_create([Ownership(owner_id=owner_id, unit_id=item.unit_id, start_date=day,
                                             is_primary_contact=True)], ignore_conflicts=True)


def _set_unit_handed_over(item: Item, day: date) -> None:
    Unit.objects.filter(id=item.unit_id).update(handover_date=day, handover_status=HandoverStatus.DELIVERED)


def _first_tasks(item: Item, day: date) -> None:
    rules = [(r.kind, r.days_after) for r in FirstTaskRule.objects.filter(project_id=item.batch.project_id)]
    ServiceTask.objects.bulk_create([ServiceTask(unit_id=item.unit_id, item=item, kind=kind,
                                                 due_date=day + timedelta(days=days))
                                     for kind, days in (rules or DEFAULT_FIRST_TASKS)])


def handover_complete(*, actor: Any, item_id: UUID, now: datetime) -> Item:
    """Hands the unit over in ONE transaction: ownership from the contract's buyers (the primary
    contact's phone opens the owner portal), the unit's handover date and status, its QR label, the
    warranty clocks, the first service tasks. Any step failing leaves nothing behind."""
    ensure_role(actor, HANDOVER_ROLES)
    day = business_date(now)
    with transaction.atomic():
        item = _locked_item(item_id)
        if item.status != ItemStatus.INSPECTING:
            raise InvalidHandoverStep(details={"status": item.status})
        inspection = _inspection_of(item)
        if inspection is None or inspection.signed_at is None:
            raise NotSigned()
        _record_ownership(item, day)
        _set_unit_handed_over(item, day)
        qr_token_ensure(unit=item.unit, now=now)
        _start_warranty(item, day, actor)
        _first_tasks(item, day)
        done = {"status": ItemStatus.COMPLETED, "handover_date": day, "completed_at": now, "completed_by": actor}
        Item.objects.filter(id=item.id).update(**done)
    for name, value in done.items():  # what was written, without reading it back
        setattr(item, name, value)
    return item


def _start_warranty(item: Item, day: date, actor: Any) -> None:
    """The unit's per-component warranty clocks (the warranty context)."""
    warranty_clocks_start(unit_id=item.unit_id, unit=item.unit, handover_date=day, actor=actor)


def handover_refuse(*, actor: Any, item_id: UUID, reasons: list[str], note: str, now: datetime) -> Item:
    """The owner declines the handover (defects, an area dispute...): a state with its reasons; the
    defects already raised stay open orders."""
    ensure_role(actor, HANDOVER_ROLES)
    bad = [r for r in reasons if r not in REFUSAL_REASONS]
    if not reasons or bad:
        raise _field("reasons", "Pick at least one known reason.")
    with transaction.atomic():
        item = _locked_item(item_id)
        if item.status not in OPEN_ITEM_STATUSES:
            raise InvalidHandoverStep(details={"status": item.status})
        Item.objects.filter(id=item.id).update(status=ItemStatus.REFUSED, refusal_reasons=sorted(set(reasons)),
                                               refusal_note=note.strip()[:500])
        Appointment.objects.filter(item=item, cancelled_at__isnull=True).update(cancelled_at=now)
    item.refresh_from_db()
    return item
