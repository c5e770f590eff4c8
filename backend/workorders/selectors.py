"""Reads of the work-order context, each starting from the actor's scope."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.dateparse import parse_datetime

from backend.accounts.access import ensure_role
from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.core.dates import instant_in_window
from backend.core.errors import ValidationFailed
from backend.workorders.access import access_order, orders_visible_to
from backend.workorders.definitions import active_definitions
from backend.workorders.models import SlaAlert, SlaDeadline, TimelineEvent, WorkOrder
from backend.workorders.notes import event_note_text
from backend.workorders.reasons import routing_explanation_lines, warranty_reason_text
from backend.workorders.states import OPEN_STATES

MAX_PAGE = 100
TARGET_ORDER = {"response": 0, "arrival": 1, "resolution": 2}


@dataclass(frozen=True)
class OrderFilters:
    state: list[str] | None = None
    project_id: Any = None
    building_id: Any = None
    category: str | None = None
    priority: str | None = None
    team_id: Any = None
    technician_id: Any = None
    sla: str | None = None  # "breached" | "at_risk" | "ok"
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    channel: str | None = None
    verdict: str | None = None


def _encode_cursor(order: WorkOrder) -> str:
    raw = json.dumps([order.created_at.isoformat(), str(order.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, order_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = parse_datetime(created)
        # A cursor is ours, but it comes back from outside: a date out of range or an id that is not
        # a UUID is a bad cursor, not a database error.
        if when is None or not instant_in_window(when):
            raise ValueError(created)
        return when, str(UUID(str(order_id)))
    except (ValueError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(code="invalid_cursor", details={"cursor": cursor}) from exc


# The rungs of the ladder that say an order is at risk (the last rung is the breach itself).
RISK_LEVELS = ("warning", "urgent")


def sla_breached_q(now: datetime) -> Q:
    """An order with a deadline breached: marked so by the clocks, or passed while still unmet."""
    breached = SlaDeadline.objects.filter(order=OuterRef("pk")).filter(
        Q(breached_at__isnull=False) | Q(met_at__isnull=True, deadline_at__lte=now))
    return Q(Exists(breached))


def sla_at_risk_q(now: datetime) -> Q:
    """An open order whose warning or urgent rung is due (sent or not), with nothing breached yet.
    A rung of a target already met is withdrawn (its due time cleared) and counts no more."""
    rung_due = SlaAlert.objects.filter(order=OuterRef("pk"), level__in=RISK_LEVELS, due_at__lte=now)
    return Q(state__in=OPEN_STATES) & Q(Exists(rung_due)) & ~sla_breached_q(now)


def text_match_q(text: str) -> Q:
    """Free-text search as a caller types it: number, description, place, contact name, and the
    phone's last digits when the text is only digits (at least four)."""
    match = (Q(number__icontains=text) | Q(description__icontains=text) | Q(unit__number__icontains=text)
             | Q(building__name__icontains=text) | Q(project__name__icontains=text)
             | Q(public_area__name__icontains=text) | Q(contact_name__icontains=text))
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4 and digits == text.replace(" ", ""):
        match |= Q(contact_phone__endswith=digits)
    return match


def orders_filtered(qs: QuerySet[WorkOrder], f: OrderFilters, *, now: datetime) -> QuerySet[WorkOrder]:
    """The orders of ``qs`` that the filters keep: the one definition of every filter, used by the
    orders API and the console's queue."""
    if f.state:
        qs = qs.filter(state__in=f.state)
    if f.project_id:
        qs = qs.filter(project_id=f.project_id)
    if f.building_id:
        qs = qs.filter(building_id=f.building_id)
    if f.category:
        definitions = active_definitions()
        qs = qs.filter(category_code__in=definitions.codes_within(f.category))
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.technician_id:
        qs = qs.filter(technician_id=f.technician_id)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.verdict:
        qs = qs.filter(warranty_verdict=f.verdict)
    if f.created_from:
        qs = qs.filter(created_at__gte=f.created_from)
    if f.created_to:
        qs = qs.filter(created_at__lt=f.created_to)
    if f.text:
        qs = qs.filter(text_match_q(f.text))
    if f.sla == "breached":
        qs = qs.filter(sla_breached_q(now))
    elif f.sla == "at_risk":
        qs = qs.filter(sla_at_risk_q(now))
    elif f.sla == "ok":
        qs = qs.exclude(sla_breached_q(now))
    return qs


def order_list(*, actor: Any, filters: OrderFilters, now: datetime, cursor: str | None = None,
               limit: int = 50) -> dict[str, Any]:
    limit = max(1, min(limit, MAX_PAGE))
    qs = orders_filtered(orders_visible_to(actor), filters, now=now).select_related("project", "building", "unit",
                                                                          "technician", "team")
    if cursor:
        created, order_id = _decode_cursor(cursor)
        qs = qs.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=order_id))
    rows = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    deadlines = _deadlines_by_order([r.id for r in rows])
    return {"items": [order_summary(r, deadlines.get(r.id, [])) for r in rows],
            "next_cursor": _encode_cursor(rows[-1]) if more else None}


def _deadlines_by_order(order_ids: list[Any]) -> dict[Any, list[SlaDeadline]]:
    result: dict[Any, list[SlaDeadline]] = {}
    for d in SlaDeadline.objects.filter(order_id__in=order_ids).order_by("cycle", "target"):
        result.setdefault(d.order_id, []).append(d)
    return result


def _current_deadlines(deadlines: list[SlaDeadline]) -> list[dict[str, Any]]:
    if not deadlines:
        return []
    cycle = max(d.cycle for d in deadlines)
    deadlines = sorted(deadlines, key=lambda d: TARGET_ORDER.get(d.target, 9))
    return [{"target": d.target, "deadline_at": d.deadline_at, "met_at": d.met_at, "status": d.status,
             "breached": d.breached_at is not None} for d in deadlines if d.cycle == cycle]


def place_label(order: WorkOrder) -> str:
    if order.unit_id and order.unit is not None:
        return f"{order.project.name} {order.building.name if order.building else ''} {order.unit.number}".strip()
    return f"{order.project.name} {order.public_area.name if order.public_area else ''}".strip()


def order_summary(order: WorkOrder, deadlines: list[SlaDeadline]) -> dict[str, Any]:
    definitions = active_definitions()
    return {
        "id": order.id, "number": order.number, "state": order.state, "priority": order.priority,
        "category_code": order.category_code, "category_label": definitions.category_label(order.category_code),
        "project_id": order.project_id, "building_id": order.building_id, "unit_id": order.unit_id,
        "public_area_id": order.public_area_id, "place": place_label(order), "channel": order.channel,
        "team_id": order.team_id, "technician_id": order.technician_id,
        "technician_name": str(order.technician) if order.technician_id and order.technician else None,
        "created_at": order.created_at, "updated_at": order.updated_at, "revision": order.revision,
        "sla": _current_deadlines(deadlines),
    }


def order_detail(*, actor: Any, order_id: Any) -> dict[str, Any]:
    order = access_order(actor, order_id)
    order = WorkOrder.objects.select_related("project", "building", "unit", "public_area", "technician",
                                             "team").get(id=order.id)
    deadlines = list(SlaDeadline.objects.filter(order=order))
    detail = order_summary(order, deadlines)
    detail.update({
        "description": order.description, "location_detail": order.location_detail,
        "contact_name": order.contact_name, "contact_phone": order.contact_phone,
        "contact_language": order.contact_language,
        "preferred_slots": order.preferred_slots, "warranty_verdict": order.warranty_verdict,
        # Stored as codes and params, shown in the reader's language (Accept-Language).
        "warranty_reason": warranty_reason_text(reasoning=order.warranty_reasoning, fallback=order.warranty_reason),
        "warranty_reasoning": order.warranty_reasoning, "waiting_reason": order.waiting_reason,
        "definitions_version": order.definitions_version, "routing_explanation": order.routing_explanation,
        "routing_explanation_lines": routing_explanation_lines(
            order.routing_explanation, names=candidate_names(order.routing_explanation)),
        "estimate_yuan": order.estimate_yuan, "actual_cost_yuan": order.actual_cost_yuan,
        "timeline": [timeline_row(e) for e in order.events.select_related("actor").order_by("id")],
        "parts": [{"id": p.id, "name": p.name, "quantity": p.quantity, "unit_price_yuan": p.unit_price_yuan}
                  for p in order.parts.order_by("created_at")],
        "labour": [{"id": x.id, "description": x.description, "minutes": x.minutes, "amount_yuan": x.amount_yuan}
                   for x in order.labour.order_by("created_at")],
        "attachments": [{"id": a.id, "content_type": a.content_type, "size_bytes": a.size_bytes,
                         "sha256": a.sha256, "url": a.file.url, "thumbnail_url": a.thumbnail.url if a.thumbnail else None}
                        for a in order.attachments.order_by("created_at")],
    })
    return detail


def candidate_names(explanation: dict[str, Any] | None) -> dict[str, str]:
    """The names of the technicians a routing explanation weighed, by id (one query)."""
    from backend.accounts.models import User

    ids = {str(c.get("candidate_id")) for c in (explanation or {}).get("candidates") or ()}
    try:
        users = User.objects.filter(id__in=list(ids)) if ids else User.objects.none()
        return {str(u.id): str(u) for u in users}
    except (ValueError, TypeError):  # ids that are not user ids (an engine test's)
        return {}


def timeline_row(event: TimelineEvent) -> dict[str, Any]:
    return {"id": event.id, "order_id": event.order_id, "kind": event.kind, "actor": event.actor_label,
            "from_state": event.from_state, "to_state": event.to_state, "note": event_note_text(note=event.note, data=event.data), "data": event.data,
            "owner_visible": event.owner_visible, "created_at": event.created_at, "device_at": event.device_at}


def order_events_since(*, actor: Any, since_id: int, order_id: Any = None, limit: int = 200) -> list[dict[str, Any]]:
    """Timeline events after ``since_id`` in the actor's scope: how a live client recovers missed messages."""
    qs = TimelineEvent.objects.filter(id__gt=since_id, order__in=orders_visible_to(actor))
    if order_id is not None:
        qs = qs.filter(order_id=access_order(actor, order_id).id)
    return [timeline_row(e) for e in qs.order_by("id")[: max(1, min(limit, 500))]]


def technician_list(*, actor: Any, team_id: Any = None) -> list[dict[str, Any]]:
    ensure_role(actor, [Role.DISPATCHER, Role.CUSTOMER_SERVICE, Role.ENGINEERING_MANAGER, Role.ENGINEERING_DIRECTOR,
                        Role.ADMINISTRATOR])
    qs = TechnicianProfile.objects.select_related("user").filter(user__is_active=True)
    if team_id:
        qs = qs.filter(user__teams=team_id)
    profiles = list(qs.order_by("user__username").prefetch_related("user__teams"))
    loads = dict(WorkOrder.objects.filter(state__in=OPEN_STATES, technician_id__in=[p.user_id for p in profiles])
                 .values_list("technician_id").annotate(n=Count("id")))
    return [{"id": p.user_id, "name": str(p.user), "skills": p.skills, "on_duty": p.on_duty,
             "open_orders": loads.get(p.user_id, 0),
             "last_latitude": p.last_latitude, "last_longitude": p.last_longitude,
             "last_position_at": p.last_position_at,
             "team_codes": sorted(t.code for t in p.user.teams.all())}
            for p in profiles]


def category_tree() -> list[dict[str, Any]]:
    definitions = active_definitions()

    def node(cat: Any) -> dict[str, Any]:
        return {"code": cat.code, "name": cat.name, "name_en": cat.name_en, "default_priority": cat.default_priority,
                "children": [node(c) for c in cat.children]}

    return [node(c) for c in definitions.categories_doc.categories]
