"""Intake: one entry for every channel (QR portal, phone, walk-in, WeCom, handover inspection, a
technician's find). It validates the report, numbers the order, judges the warranty, suggests
duplicates, starts the SLA clocks and routes the order — all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role
from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.properties.errors import InvalidPhone
from backend.properties.identity import normalize_phone
from backend.properties.models import PublicArea, Unit, UnitUse
from backend.warranty.selectors import extension_months
from backend.workorders.actors import Actor
from backend.workorders.definitions import active_definitions
from backend.workorders.dispatch.routing import order_route_held
from backend.workorders.inputs import MAX_DESCRIPTION, clean_slots, invalid
from backend.workorders.intake.numbering import order_number_next
from backend.workorders.intake.warranty import warranty_verdict
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.live.broadcast import order_announce
from backend.workorders.models import Channel, Priority, WorkOrder
from backend.workorders.sla.clocks import sla_recompute, sla_start
from backend.workorders.states import OPEN_STATES, State

INTAKE_ROLES: dict[str, set[str]] = {
    Channel.PHONE: {Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ADMINISTRATOR},
    Channel.WALK_IN: {Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ADMINISTRATOR},
    Channel.WECOM: {Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ADMINISTRATOR},
    Channel.HANDOVER_INSPECTION: {Role.HANDOVER_OFFICER, Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR},
    Channel.TECHNICIAN_FOUND: {Role.TECHNICIAN, Role.DISPATCHER, Role.ADMINISTRATOR},
}
# What a duplicate is shown by; the rest of an open order's row (its routing explanation...) is not read.
DUPLICATE_FIELDS = ("id", "number", "category_code", "state", "created_at", "unit_id", "public_area_id")


@dataclass
class IntakeResult:
    order: WorkOrder
    duplicates: list[WorkOrder] = field(default_factory=list)


def duplicates_of(*, unit_id: UUID | None, public_area_id: UUID | None, category_code: str) -> list[WorkOrder]:
    """Open orders on the same place whose category is the same or in the same family (newest 20)."""
    definitions = active_definitions()
    family = definitions.category_path(category_code)[0]
    place = {"unit_id": unit_id} if unit_id else {"public_area_id": public_area_id}
    found = (WorkOrder.objects.filter(state__in=OPEN_STATES, **place).only(*DUPLICATE_FIELDS)
             .order_by("-created_at")[:20])
    return [o for o in found if definitions.is_within(o.category_code, family)]


def order_intake(*, actor: Actor, channel: str, category_code: str, description: str, contact_name: str,
                 contact_phone: str, now: datetime, unit_id: UUID | None = None, public_area_id: UUID | None = None,
                 priority: str | None = None, location_detail: str = "",
                 preferred_slots: list[dict[str, Any]] | None = None, reporter_owner_id: UUID | None = None,
                 contact_language: str = "", route_now: bool = True) -> IntakeResult:
    """One intake for every channel: validate, create, suggest duplicates, start the clocks, route.

    ``contact_language``: the language the contact's text messages about the order are written in
    (one of ``settings.LANGUAGES``; empty for the default)."""
    if channel not in Channel.values:
        raise invalid("channel", _("Unknown channel."))
    if actor.user is not None and not actor.system:
        ensure_role(actor.user, INTAKE_ROLES.get(channel, {str(Role.ADMINISTRATOR)}))
    if bool(unit_id) == bool(public_area_id):
        raise invalid("unit_id", _("Give either a unit or a public area."))
    definitions = active_definitions()
    if category_code not in definitions.category_codes:
        raise invalid("category_code", _("Unknown category."))
    priority = priority or definitions.default_priority(category_code)
    if priority not in Priority.values:
        raise invalid("priority", _("Expected one of P1, P2, P3, P4."))
    description = (description or "").strip()
    if not description or len(description) > MAX_DESCRIPTION:
        raise invalid("description", _("Describe the problem in 1 to 2000 characters."))
    try:
        phone = normalize_phone(contact_phone)
    except InvalidPhone as exc:
        raise invalid("contact_phone", _("Enter a valid mobile or landline number.")) from exc
    slots = clean_slots(preferred_slots or [])
    if contact_language and contact_language not in dict(settings.LANGUAGES):
        raise invalid("contact_language", _("Unknown language."))

    unit = Unit.objects.select_related("building__project").filter(id=unit_id).first() if unit_id else None
    area = PublicArea.objects.select_related("project", "building").filter(id=public_area_id).first() \
        if public_area_id else None
    if unit is None and area is None:
        raise invalid("unit_id" if unit_id else "public_area_id", _("No such place."))
    project = unit.building.project if unit else area.project  # type: ignore[union-attr]
    building = unit.building if unit else area.building  # type: ignore[union-attr]
    verdict = warranty_verdict(top_category=definitions.category_path(category_code)[0],
                               handover_date=unit.handover_date if unit else None,
                               today=business_date(now), public_area=area is not None,
                               acceptance_date=unit.building.completion_acceptance_date if unit else None,
                               residential=unit is None or unit.use == UnitUse.RESIDENTIAL,
                               region=project.warranty_region,
                               design_life_years=building.design_life_years if building else 50,
                               # the project's extensions only where a decision will weigh them
                               extensions=extension_months(project.id)
                               if unit and unit.handover_date and unit.building.completion_acceptance_date else None)

    with transaction.atomic():
        duplicates = duplicates_of(unit_id=unit_id, public_area_id=public_area_id, category_code=category_code)
        order = WorkOrder.objects.create(
            number=order_number_next(now=now), project=project, building=building, unit=unit, public_area=area,
            reporter_user=actor.user, reporter_owner_id=reporter_owner_id, contact_name=contact_name.strip()[:100],
            contact_phone=phone, contact_language=contact_language, channel=channel, category_code=category_code,
            priority=priority, description=description, location_detail=location_detail.strip()[:200],
            preferred_slots=slots, warranty_verdict=verdict.verdict, warranty_reason=verdict.reason[:200],
            warranty_reasoning=verdict.reasoning,
            definitions_version=definitions.version, created_at=now, updated_at=now,
        )
        event = event_add(order=order, kind=Kind.CREATED, actor=actor, to_state=State.SUBMITTED, now=now,
                          owner_visible=True, data={"channel": channel, "duplicates": [d.number for d in duplicates]})
        started = sla_start(order=order, now=now)
        order_announce(order=order, kind="created", now=now, event=event)
        if route_now:
            order = order_route_held(order=order, now=now)
        if order.state == State.SUBMITTED:  # no step was taken (left in the queue or the grab pool)
            sla_recompute(order=order, now=now, history=[started])
    return IntakeResult(order=order, duplicates=duplicates)
