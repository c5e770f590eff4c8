"""Reads of the property registry for staff. Owners only ever leave here masked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from backend.core.dates import business_date
from backend.properties.access import access_building, access_project, projects_visible_to
from backend.properties.identity import format_phone, mask_phone
from backend.properties.models import Building, Ownership, Unit

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _page(qs: QuerySet[Any], *, limit: int, offset: int) -> tuple[list[Any], dict[str, int]]:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    items = list(qs[offset:offset + limit])
    return items, {"count": qs.count(), "limit": limit, "offset": offset}


def _count_subquery(qs: QuerySet[Any], link: str) -> Coalesce:
    counted = qs.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def active_ownerships(on: date) -> QuerySet[Ownership]:
    """Ownerships in force on ``on``: started, and not ended before it."""
    return Ownership.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=on), start_date__lte=on)


def project_list(*, actor: Any, search: str = "", limit: int = DEFAULT_PAGE_SIZE, offset: int = 0) -> dict[str, Any]:
    qs = projects_visible_to(actor)
    if search.strip():
        term = search.strip()
        qs = qs.filter(Q(code__icontains=term) | Q(name__icontains=term) | Q(city__icontains=term))
    qs = qs.annotate(
        building_count=_count_subquery(Building.objects.all(), "project"),
        unit_count=_count_subquery(Unit.objects.all(), "building__project"),
    ).order_by("code")
    projects, meta = _page(qs, limit=limit, offset=offset)
    items = [
        {
            "id": p.id,
            "code": p.code,
            "name": p.name,
            "city": p.city,
            "address": p.address,
            "latitude": float(p.latitude),
            "longitude": float(p.longitude),
            "delivery_date": p.delivery_date,
            "service_phone": format_phone(p.service_phone) if p.service_phone else None,
            "building_count": p.building_count,
            "unit_count": p.unit_count,
        }
        for p in projects
    ]
    return {"items": items, **meta}


def building_list(*, actor: Any, project_id: UUID, limit: int = DEFAULT_PAGE_SIZE,
                  offset: int = 0) -> dict[str, Any]:
    project = access_project(actor, project_id)
    qs = Building.objects.filter(project=project).annotate(
        unit_count=_count_subquery(Unit.objects.all(), "building"),
    ).order_by("code")
    buildings, meta = _page(qs, limit=limit, offset=offset)
    items = [
        {"id": b.id, "project_id": project.id, "code": b.code, "name": b.name, "floors": b.floors,
         "unit_count": b.unit_count}
        for b in buildings
    ]
    return {"items": items, **meta}


def unit_list(*, actor: Any, building_id: UUID, now: datetime, floor: int | None = None,
              limit: int = DEFAULT_PAGE_SIZE, offset: int = 0) -> dict[str, Any]:
    """Units of a building, floor by floor, each with its current owners (name and masked phone)."""
    building = access_building(actor, building_id)
    today = business_date(now)
    qs = Unit.objects.filter(building=building)
    if floor is not None:
        qs = qs.filter(floor=floor)
    qs = qs.order_by("floor", "number").prefetch_related(
        Prefetch(
            "ownerships",
            queryset=active_ownerships(today).select_related("owner").order_by("-is_primary_contact", "start_date"),
            to_attr="current_ownerships",
        )
    )
    units, meta = _page(qs, limit=limit, offset=offset)
    items = [
        {
            "id": u.id,
            "building_id": building.id,
            "number": u.number,
            "floor": u.floor,
            "layout": u.layout,
            "area_m2": u.area_m2,
            "handover_status": u.handover_status,
            "handover_date": u.handover_date,
            "owners": [
                {"name": o.owner.name, "phone_masked": mask_phone(o.owner.phone),
                 "is_primary_contact": o.is_primary_contact, "since": o.start_date}
                for o in u.current_ownerships
            ],
        }
        for u in units
    ]
    return {"items": items, **meta}
