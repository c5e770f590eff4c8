"""Writes of the work-order context: intake, comments, parts and labour, ratings.

State changes go through ``transitions.order_transition``; assignment through ``dispatch``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role
from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.core.querycache import CompiledQuery
from backend.properties.identity import normalize_phone
from backend.properties.models import PublicArea, Unit
from backend.workorders import dispatch
from backend.workorders.access import access_order
from backend.workorders.errors import InvalidOrderInput
from backend.workorders.events import order_changed
from backend.workorders.models import (
    Attachment,
    Channel,
    Comment,
    LabourLine,
    PartUsage,
    Priority,
    TimelineEvent,
    WorkOrder,
)
from backend.workorders.numbering import order_number_next
from backend.workorders.rules import active_definitions
from backend.workorders.states import OPEN_STATES, State
from backend.workorders.transitions import Actor
from backend.workorders.warranty import warranty_verdict
from backend.workorders.writes import order_writes

INTAKE_ROLES: dict[str, set[str]] = {
    Channel.PHONE: {Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ADMINISTRATOR},
    Channel.WALK_IN: {Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ADMINISTRATOR},
    Channel.WECOM: {Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ADMINISTRATOR},
    Channel.HANDOVER_INSPECTION: {Role.HANDOVER_OFFICER, Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR},
    Channel.TECHNICIAN_FOUND: {Role.TECHNICIAN, Role.DISPATCHER, Role.ADMINISTRATOR},
}
MAX_DESCRIPTION = 2000
MAX_SLOTS = 5


@dataclass
class IntakeResult:
    order: WorkOrder
    duplicates: list[WorkOrder] = field(default_factory=list)


def _invalid(field_name: str, reason: Any) -> InvalidOrderInput:
    return InvalidOrderInput(details={"errors": [{"field": field_name, "reason": str(reason)}]})


def clean_slots(slots: list[dict[str, Any]]) -> list[dict[str, str]]:
    if len(slots) > MAX_SLOTS:
        raise _invalid("preferred_slots", _("At most 5 preferred visit slots."))
    clean = []
    for slot in slots:
        start, end = slot.get("start"), slot.get("end")
        if not isinstance(start, datetime) or not isinstance(end, datetime) or start.tzinfo is None or end <= start:
            raise _invalid("preferred_slots", _("Each slot needs a start before its end, with a time zone."))
        clean.append({"start": start.isoformat(), "end": end.isoformat()})
    return clean


def duplicates_of(*, unit_id: Any, public_area_id: Any, category_code: str) -> list[WorkOrder]:
    """Open orders on the same place whose category is the same or in the same family.

    Loaded with the fields a duplicate is shown by (``DUPLICATE_FIELDS``), the rest deferred: an order
    row carries its routing explanation and more, and a unit with many open orders is read at each intake."""
    definitions = active_definitions()
    family = definitions.category_path(category_code)[0]
    found = _DUPLICATES_ON_UNIT.objects(unit_id=unit_id) if unit_id else \
        _DUPLICATES_IN_AREA.objects(public_area_id=public_area_id)
    return [o for o in found if definitions.is_within(o.category_code, family)]


DUPLICATE_FIELDS = ("id", "number", "category_code", "state", "created_at", "unit_id", "public_area_id")


def _open_orders(**place: Any) -> Any:
    return WorkOrder.objects.filter(state__in=OPEN_STATES, **place).only(*DUPLICATE_FIELDS).order_by("-created_at")[:20]


# An intake's reads, compiled once (backend.core.querycache): the place with its building and
# project, and the open orders already on it.
_DUPLICATES_ON_UNIT = CompiledQuery(lambda unit_id: _open_orders(unit_id=unit_id), unit_id=WorkOrder._meta.get_field("unit"))
_DUPLICATES_IN_AREA = CompiledQuery(lambda public_area_id: _open_orders(public_area_id=public_area_id),
                                    public_area_id=WorkOrder._meta.get_field("public_area"))
_UNIT = CompiledQuery(lambda unit_id: Unit.objects.select_related("building__project").filter(id=unit_id),
                      unit_id=Unit._meta.get_field("id"))
_PUBLIC_AREA = CompiledQuery(lambda area_id: PublicArea.objects.select_related("project", "building")
                             .filter(id=area_id), area_id=PublicArea._meta.get_field("id"))


def order_intake(*, actor: Actor, channel: str, category_code: str, description: str, contact_name: str,
                 contact_phone: str, now: datetime, unit_id: Any = None, public_area_id: Any = None,
                 priority: str | None = None, location_detail: str = "",
                 preferred_slots: list[dict[str, Any]] | None = None, reporter_owner_id: Any = None,
                 contact_language: str = "", route_now: bool = True) -> IntakeResult:
    """One intake for every channel: validate, create, suggest duplicates, route, start the clocks.

    ``contact_language``: the language the contact's text messages about the order are written in
    (one of ``settings.LANGUAGES``; empty for the default)."""
    if channel not in Channel.values:
        raise _invalid("channel", _("Unknown channel."))
    if actor.user is not None and not actor.system:
        ensure_role(actor.user, INTAKE_ROLES.get(channel, {str(Role.ADMINISTRATOR)}))
    if bool(unit_id) == bool(public_area_id):
        raise _invalid("unit_id", _("Give either a unit or a public area."))
    definitions = active_definitions()
    if category_code not in definitions.category_codes:
        raise _invalid("category_code", _("Unknown category."))
    priority = priority or definitions.default_priority(category_code)
    if priority not in Priority.values:
        raise _invalid("priority", _("Expected one of P1, P2, P3, P4."))
    description = (description or "").strip()
    if not description or len(description) > MAX_DESCRIPTION:
        raise _invalid("description", _("Describe the problem in 1 to 2000 characters."))
    try:
        phone = normalize_phone(contact_phone)
    except Exception as exc:  # noqa: BLE001 — the registry's error becomes a field error here
        raise _invalid("contact_phone", _("Enter a valid mobile or landline number.")) from exc
    slots = clean_slots(preferred_slots or [])
    if contact_language and contact_language not in dict(settings.LANGUAGES):
        raise _invalid("contact_language", _("Unknown language."))

    unit: Unit | None = next(iter(_UNIT.objects(unit_id=unit_id)), None) if unit_id else None
    area: PublicArea | None = next(iter(_PUBLIC_AREA.objects(area_id=public_area_id)), None) \
        if public_area_id else None
    if unit is None and area is None:
        raise _invalid("unit_id" if unit_id else "public_area_id", _("No such place."))
    project = unit.building.project if unit else area.project  # type: ignore[union-attr]
    building = unit.building if unit else area.building  # type: ignore[union-attr]
    verdict = warranty_verdict(top_category=definitions.category_path(category_code)[0],
                               handover_date=unit.handover_date if unit else None,
                               today=business_date(now), public_area=area is not None)

    with transaction.atomic():
        duplicates = duplicates_of(unit_id=unit_id, public_area_id=public_area_id, category_code=category_code)
        order = WorkOrder(
            number=order_number_next(now=now), project=project, building=building, unit=unit, public_area=area,
            reporter_user=actor.user, reporter_owner_id=reporter_owner_id, contact_name=contact_name.strip()[:100],
            contact_phone=phone, contact_language=contact_language, channel=channel, category_code=category_code, priority=priority,
            description=description, location_detail=location_detail.strip()[:200], preferred_slots=slots,
            warranty_verdict=verdict.verdict, warranty_reason=verdict.reason[:200],
            warranty_reasoning=verdict.reasoning,
            definitions_version=definitions.version, created_at=now, updated_at=now,
        )
        # The order is new in this transaction: routing and the state machine take it as held and
        # change it in memory; its row and the rows of every step are written together when the block ends.
        with order_writes(order, new=True) as writes:
            writes.add_event(kind=TimelineEvent.Kind.CREATED, actor=actor.user, actor_label=actor.display()[:100],
                             to_state=State.SUBMITTED, created_at=now, owner_visible=True,
                             data={"channel": channel, "duplicates": [d.number for d in duplicates]})
            from backend.workorders.sla import sla_start

            sla_start(order=order, now=now, writes=writes)
            order_changed(order=order, kind="created", now=now, writes=writes)
            if route_now:
                order = dispatch.order_route_held(order=order, now=now, writes=writes)
    return IntakeResult(order=order, duplicates=duplicates)


def comment_add(*, actor: Any, order_id: Any, body: str, owner_visible: bool, now: datetime,
                sync_id: str | None = None) -> Comment:
    body = (body or "").strip()
    if not body or len(body) > MAX_DESCRIPTION:
        raise _invalid("body", _("Write 1 to 2000 characters."))
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        comment = Comment.objects.create(order=order, author=actor, body=body, owner_visible=owner_visible,
                                         created_at=now, **({"sync_id": sync_id} if sync_id else {}))
        TimelineEvent.objects.create(order=order, kind=TimelineEvent.Kind.COMMENT, actor=actor,
                                     actor_label=str(actor)[:100], note=body, owner_visible=owner_visible,
                                     data={"comment_id": str(comment.id)}, created_at=now)
        order_changed(order=order, kind="comment", now=now)
        if owner_visible:
            from backend.workorders.owner import owner_reply_notify

            owner_reply_notify(order=order, comment_id=comment.id, now=now)
    return comment


WORKER_ROLES = (Role.TECHNICIAN, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR)


def _ensure_open(order: WorkOrder) -> None:
    if order.state in {State.CANCELLED, State.REJECTED, State.CLOSED}:
        raise _invalid("order", _("The order is closed."))


def part_add(*, actor: Any, order_id: Any, name: str, quantity: Decimal, unit_price_yuan: Decimal,
             now: datetime, sync_id: str | None = None) -> PartUsage:
    if quantity <= 0 or unit_price_yuan < 0 or not name.strip():
        raise _invalid("quantity", _("A part needs a name, a positive quantity and a price of at least 0."))
    ensure_role(actor, WORKER_ROLES)
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        _ensure_open(order)
        part = PartUsage.objects.create(order=order, name=name.strip()[:100], quantity=quantity,
                                        unit_price_yuan=unit_price_yuan, added_by=actor, created_at=now,
                                        **({"sync_id": sync_id} if sync_id else {}))
        TimelineEvent.objects.create(order=order, kind=TimelineEvent.Kind.NOTE, actor=actor,
                                     actor_label=str(actor)[:100], note=f"{part.name} × {quantity}",
                                     data={"part_id": str(part.id), "amount_yuan": str(quantity * unit_price_yuan)},
                                     created_at=now)
        order_changed(order=order, kind="part", now=now)
    return part


def labour_add(*, actor: Any, order_id: Any, description: str, minutes: int, amount_yuan: Decimal,
               now: datetime) -> LabourLine:
    if minutes <= 0 or amount_yuan < 0 or not description.strip():
        raise _invalid("minutes", _("Labour needs a description, positive minutes and an amount of at least 0."))
    ensure_role(actor, WORKER_ROLES)
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        _ensure_open(order)
        line = LabourLine.objects.create(order=order, description=description.strip()[:200], minutes=minutes,
                                         amount_yuan=amount_yuan, technician=actor, created_at=now)
        order_changed(order=order, kind="labour", now=now)
    return line


def attachment_add(*, actor: Any, order_id: Any, data: bytes, original_name: str, owner_visible: bool,
                   now: datetime) -> tuple[Attachment, bool]:
    """Stores a cleaned photo or PDF once per order and content; returns (attachment, created)."""
    from backend.workorders.photos import clean_upload

    access_order(actor, order_id)  # a stranger learns nothing about the file, not even that it is bad
    clean = clean_upload(data)
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        return attachment_store(order=order, clean=clean, original_name=original_name, uploaded_by=actor,
                                actor_label=str(actor), owner_visible=owner_visible, now=now)


def attachment_store(*, order: WorkOrder, clean: Any, original_name: str, uploaded_by: Any, actor_label: str,
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
    TimelineEvent.objects.create(order=order, kind=TimelineEvent.Kind.ATTACHMENT, actor=uploaded_by,
                                 actor_label=actor_label[:100], owner_visible=owner_visible,
                                 data={"attachment_id": str(attachment.id), "content_type": clean.content_type},
                                 created_at=now)
    order_changed(order=order, kind="attachment", now=now)
    return attachment, True


def technician_status_update(*, actor: Any, on_duty: bool | None, latitude: Decimal | None,
                             longitude: Decimal | None, now: datetime) -> TechnicianProfile:
    ensure_role(actor, [Role.TECHNICIAN])
    if (latitude is None) != (longitude is None):
        raise _invalid("latitude", _("Give both latitude and longitude."))
    if latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # type: ignore[operator]
        raise _invalid("latitude", _("The position is out of range."))
    with transaction.atomic():
        profile, _created = TechnicianProfile.objects.select_for_update().get_or_create(user=actor)
        fields = []
        if on_duty is not None:
            profile.on_duty = on_duty
            fields.append("on_duty")
        if latitude is not None:
            profile.last_latitude, profile.last_longitude, profile.last_position_at = latitude, longitude, now
            fields += ["last_latitude", "last_longitude", "last_position_at"]
        if fields:
            profile.save(update_fields=fields)
    return profile


def order_priority_change(*, actor: Any, order_id: Any, priority: str, reason: str, now: datetime) -> WorkOrder:
    ensure_role(actor, [Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR])
    if priority not in Priority.values:
        raise _invalid("priority", _("Expected one of P1, P2, P3, P4."))
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        if order.priority == priority:
            return order
        before = order.priority
        order.priority, order.updated_at, order.revision = priority, now, order.revision + 1
        order.save(update_fields=["priority", "updated_at", "revision"])
        TimelineEvent.objects.create(order=order, kind=TimelineEvent.Kind.NOTE, actor=actor,
                                     actor_label=str(actor)[:100], note=reason[:300], created_at=now,
                                     data={"priority": {"from": before, "to": priority}})
        from backend.workorders.sla import sla_on_priority_change

        if order.state not in {State.CANCELLED, State.REJECTED}:
            sla_on_priority_change(order=order, now=now)
        order_changed(order=order, kind="priority", now=now)
    return order
