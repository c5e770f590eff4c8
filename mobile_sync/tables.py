"""The tables a technician's device keeps, their client-side schema, and how each row is written.

Column names are snake_case, times are epoch milliseconds, money is a number of yuan. Every table
has a string ``id``: the row's 16-character ``sync_id`` (the id the device made, for rows created
offline), or the category code for categories.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from backend.accounts.models import TechnicianProfile
from backend.properties.identity import mask_phone
from backend.properties.models import Ownership, Project, Unit
from backend.workorders.models import Attachment, Comment, PartUsage, TimelineEvent, WorkOrder
from backend.workorders.rules import active_definitions
from backend.workorders.states import OPEN_STATES, State
from mobile_sync.models import SyncEvent

SCHEMA_VERSION = 1
# Orders a technician keeps on the phone: everything assigned and not yet closed or cancelled.
SCOPE_STATES = frozenset(OPEN_STATES | {State.COMPLETED})
REFUSALS_KEPT = timedelta(days=7)


def ms(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def num(value: Decimal | float | None) -> float | None:
    return float(value) if value is not None else None


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "string" | "number" | "boolean"
    optional: bool = False
    indexed: bool = False

    def as_schema(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "isOptional": self.optional, "isIndexed": self.indexed}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    # (user, device) -> queryset of the rows in the device's scope, with ``sync_id`` and ``sync_stamp``
    scope: Callable[[Any, Any], QuerySet[Any]]
    # Rows are read with ``values()`` (no model instances): the lookups, and the row built from them.
    lookups: tuple[str, ...]
    row: Callable[[dict[str, Any]], dict[str, Any]]


def _orders(user: Any, device: Any) -> QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(technician=user, state__in=SCOPE_STATES)


def _order_row(o: dict[str, Any]) -> dict[str, Any]:
    place = " ".join(x for x in (o["project__name"], o["building__name"] or "",
                                 o["unit__number"] or o["public_area__name"] or "") if x)
    return {
        "id": o["sync_id"], "number": o["number"], "project_id": o["project__sync_id"], "unit_id": o["unit__sync_id"],
        "place": place, "category_id": o["category_code"], "priority": o["priority"], "description": o["description"],
        "location_detail": o["location_detail"], "contact_name": o["contact_name"],
        "contact_phone": o["contact_phone"], "state": o["state"], "waiting_reason": o["waiting_reason"] or None,
        "preferred_slots": json.dumps(o["preferred_slots"], ensure_ascii=False),
        "warranty_verdict": o["warranty_verdict"], "estimate_yuan": num(o["estimate_yuan"]),
        "created_at": ms(o["created_at"]), "updated_at": ms(o["updated_at"]), "server_revision": o["revision"],
    }


ORDER_LOOKUPS = ("sync_id", "number", "project__sync_id", "unit__sync_id", "project__name", "building__name",
                 "unit__number", "public_area__name", "category_code", "priority", "description", "location_detail",
                 "contact_name", "contact_phone", "state", "waiting_reason", "preferred_slots", "warranty_verdict",
                 "estimate_yuan", "created_at", "updated_at", "revision")


def _events(user: Any, device: Any) -> QuerySet[Any]:
    return TimelineEvent.objects.filter(order__in=_orders(user, device), kind=TimelineEvent.Kind.STATE)


def _event_row(e: dict[str, Any]) -> dict[str, Any]:
    return {"id": e["sync_id"], "work_order_id": e["order__sync_id"], "from_state": e["from_state"] or None,
            "to_state": e["to_state"], "device_at": ms(e["device_at"]), "note": e["note"], "status": "applied",
            "reason": None, "server_at": ms(e["created_at"])}


def refused_events(device: Any, now: datetime) -> QuerySet[SyncEvent]:
    return SyncEvent.objects.filter(device=device, status=SyncEvent.Status.REFUSED, server_at__gte=now - REFUSALS_KEPT)


def refused_row(e: SyncEvent) -> dict[str, Any]:
    return {"id": e.client_id, "work_order_id": e.order_sync_id, "from_state": e.from_state or None,
            "to_state": e.to_state, "device_at": ms(e.device_at), "note": e.note, "status": "refused",
            "reason": f"{e.reason_code}: {e.reason}".strip(": "), "server_at": ms(e.server_at)}


def _comment_row(c: dict[str, Any]) -> dict[str, Any]:
    author = c["author__display_name"] or c["author__username"] or ""
    return {"id": c["sync_id"], "work_order_id": c["order__sync_id"], "body": c["body"],
            "owner_visible": c["owner_visible"], "author_name": author, "created_at": ms(c["created_at"])}


def _part_row(p: dict[str, Any]) -> dict[str, Any]:
    return {"id": p["sync_id"], "work_order_id": p["order__sync_id"], "name": p["name"], "quantity": num(p["quantity"]),
            "unit_price_yuan": num(p["unit_price_yuan"]), "created_at": ms(p["created_at"])}


def _attachment_row(a: dict[str, Any]) -> dict[str, Any]:
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    return {"id": a["sync_id"], "work_order_id": a["order__sync_id"], "content_type": a["content_type"],
            "size_bytes": a["size_bytes"], "sha256": a["sha256"], "url": storage.url(a["file"]),
            "thumbnail_url": storage.url(a["thumbnail"]) if a["thumbnail"] else None, "created_at": ms(a["created_at"])}


def _units(user: Any, device: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(id__in=_orders(user, device).filter(unit__isnull=False).values("unit_id"))


def _unit_row(u: dict[str, Any]) -> dict[str, Any]:
    owner = u.get("owner")
    return {"id": u["sync_id"], "project_id": u["building__project__sync_id"], "building_name": u["building__name"],
            "number": u["number"], "floor": u["floor"], "layout": u["layout"],
            "owner_name": owner[0] if owner else None, "owner_phone": mask_phone(owner[1]) if owner else None}


def unit_owners(units: QuerySet[Unit]) -> dict[Any, tuple[str, str]]:
    """The current owner of each unit (the primary contact first): one query, the units as a subquery."""
    owners: dict[Any, tuple[str, str]] = {}
    rows = Ownership.objects.filter(unit_id__in=units.values("id"), end_date__isnull=True).order_by(
        "unit_id", "-is_primary_contact", "start_date").values_list("unit_id", "owner__name", "owner__phone")
    for unit_id, name, phone in rows:
        owners.setdefault(unit_id, (name, phone))
    return owners


def _projects(user: Any, device: Any) -> QuerySet[Project]:
    return Project.objects.filter(id__in=_orders(user, device).values("project_id"))


def _project_row(p: dict[str, Any]) -> dict[str, Any]:
    return {"id": p["sync_id"], "name": p["name"], "city": p["city"], "address": p["address"],
            "latitude": num(p["latitude"]), "longitude": num(p["longitude"]),
            "service_phone": p["service_phone"] or None}


def _profiles(user: Any, device: Any) -> QuerySet[TechnicianProfile]:
    return TechnicianProfile.objects.filter(user=user)


def _profile_row(p: dict[str, Any]) -> dict[str, Any]:
    return {"id": p["sync_id"], "name": p["user__display_name"] or p["user__username"],
            "skills": json.dumps(p["skills"], ensure_ascii=False), "on_duty": p["on_duty"],
            "last_latitude": num(p["last_latitude"]), "last_longitude": num(p["last_longitude"]),
            "last_position_at": ms(p["last_position_at"])}


S, N, B = "string", "number", "boolean"
TABLES: tuple[Table, ...] = (
    Table("projects", (Column("name", S), Column("city", S), Column("address", S), Column("latitude", N),
                       Column("longitude", N), Column("service_phone", S, optional=True)),
          _projects, ("sync_id", "name", "city", "address", "latitude", "longitude", "service_phone"), _project_row),
    Table("units", (Column("project_id", S, indexed=True), Column("building_name", S), Column("number", S),
                    Column("floor", N), Column("layout", S), Column("owner_name", S, optional=True),
                    Column("owner_phone", S, optional=True)),
          _units, ("id", "sync_id", "building__project__sync_id", "building__name", "number", "floor", "layout"),
          _unit_row),
    Table("work_orders", (Column("number", S), Column("project_id", S, indexed=True),
                          Column("unit_id", S, optional=True, indexed=True), Column("place", S),
                          Column("category_id", S, indexed=True), Column("priority", S), Column("description", S),
                          Column("location_detail", S), Column("contact_name", S), Column("contact_phone", S),
                          Column("state", S, indexed=True), Column("waiting_reason", S, optional=True),
                          Column("preferred_slots", S), Column("warranty_verdict", S),
                          Column("estimate_yuan", N, optional=True), Column("created_at", N),
                          Column("updated_at", N), Column("server_revision", N)),
          _orders, ORDER_LOOKUPS, _order_row),
    Table("work_order_events", (Column("work_order_id", S, indexed=True), Column("from_state", S, optional=True),
                                Column("to_state", S), Column("device_at", N, optional=True), Column("note", S),
                                Column("status", S), Column("reason", S, optional=True),
                                Column("server_at", N, optional=True)),
          _events, ("sync_id", "order__sync_id", "from_state", "to_state", "device_at", "note", "created_at"),
          _event_row),
    Table("comments", (Column("work_order_id", S, indexed=True), Column("body", S), Column("owner_visible", B),
                       Column("author_name", S), Column("created_at", N)),
          lambda u, d: Comment.objects.filter(order__in=_orders(u, d)),
          ("sync_id", "order__sync_id", "body", "owner_visible", "author__display_name", "author__username",
           "created_at"), _comment_row),
    Table("part_usages", (Column("work_order_id", S, indexed=True), Column("name", S), Column("quantity", N),
                          Column("unit_price_yuan", N), Column("created_at", N)),
          lambda u, d: PartUsage.objects.filter(order__in=_orders(u, d)),
          ("sync_id", "order__sync_id", "name", "quantity", "unit_price_yuan", "created_at"), _part_row),
    Table("attachments", (Column("work_order_id", S, indexed=True), Column("content_type", S),
                          Column("size_bytes", N), Column("sha256", S), Column("url", S),
                          Column("thumbnail_url", S, optional=True), Column("created_at", N)),
          lambda u, d: Attachment.objects.filter(order__in=_orders(u, d)),
          ("sync_id", "order__sync_id", "content_type", "size_bytes", "sha256", "file", "thumbnail", "created_at"),
          _attachment_row),
    Table("technician_profiles", (Column("name", S), Column("skills", S), Column("on_duty", B),
                                  Column("last_latitude", N, optional=True), Column("last_longitude", N, optional=True),
                                  Column("last_position_at", N, optional=True)),
          _profiles, ("sync_id", "user__display_name", "user__username", "skills", "on_duty", "last_latitude",
                      "last_longitude", "last_position_at"), _profile_row),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}
CATEGORY_COLUMNS = (Column("name", S), Column("name_en", S, optional=True), Column("parent_id", S, optional=True),
                    Column("default_priority", S))
ALL_TABLE_NAMES = (*(t.name for t in TABLES), "categories")


def table_rows(table: Table, qs: QuerySet[Any]) -> list[dict[str, Any]]:
    values = list(qs.values(*table.lookups))
    if table.name == "units":
        owners = unit_owners(qs)
        for v in values:
            v["owner"] = owners.get(v["id"])
    return [table.row(v) for v in values]


def category_rows() -> list[dict[str, Any]]:
    definitions = active_definitions()
    rows = []
    for code in sorted(definitions.category_codes):
        cat = definitions.category(code)
        path = definitions.category_path(code)
        rows.append({"id": code, "name": cat.name, "name_en": cat.name_en,
                     "parent_id": path[-2] if len(path) > 1 else None, "default_priority": cat.default_priority})
    return rows


def schema() -> dict[str, Any]:
    tables = [{"name": t.name, "columns": [c.as_schema() for c in t.columns]} for t in TABLES]
    tables.append({"name": "categories", "columns": [c.as_schema() for c in CATEGORY_COLUMNS]})
    return {"version": SCHEMA_VERSION, "tables": sorted(tables, key=lambda t: t["name"])}
