"""What each import kind reads, how it finds existing rows by natural key, and what it changes.

Natural keys: a project by its code; a building by project code + building code; a unit by
building + unit number. A row whose key exists updates that record in place; a row equal to the
stored record changes nothing, so importing the same file twice creates nothing twice.

An empty cell in an optional column clears the stored value (or sets the default); a column left
out of the file leaves the stored values alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Generic, TypeVar

from django.db.models import Max, Model
from django.utils.translation import gettext as _

from backend.properties.imports.base import (
    Column,
    ErrorReport,
    Row,
    a_date,
    assign_changes,
    choice,
    decimal,
    fetch_in,
    integer,
    phone,
    slug,
    text,
)
from backend.properties.models import Building, HandoverStatus, Project, Unit

BATCH_SIZE = 500
LOWEST_FLOOR = -9
HIGHEST_FLOOR = 300


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


M = TypeVar("M", bound=Model)


@dataclass
class Changes(Generic[M]):
    """The creates and updates of one model, written by ``apply``."""

    model: type[M]
    creates: list[M] = field(default_factory=list)
    updates: list[M] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)
    counts: Counts = field(default_factory=Counts)

    def record(self, obj: M | None, values: dict[str, Any], make: Callable[[], M]) -> M:
        """Plans ``obj`` updated with ``values``, or a new record from ``make`` when there is none."""
        if obj is None:
            created = make()
            self.creates.append(created)
            self.counts.created += 1
            return created
        changed = assign_changes(obj, values)
        if changed:
            self.updates.append(obj)
            self.fields |= changed
            self.counts.updated += 1
        else:
            self.counts.unchanged += 1
        return obj

    def apply(self) -> None:
        manager = self.model._default_manager
        manager.bulk_create(self.creates, batch_size=BATCH_SIZE)
        if self.updates:
            manager.bulk_update(self.updates, sorted(self.fields), batch_size=BATCH_SIZE)


@dataclass
class Plan:
    changes: dict[str, Changes[Any]]  # in the order they are applied

    def apply(self) -> None:
        for change in self.changes.values():
            change.apply()

    def counts(self) -> dict[str, dict[str, int]]:
        return {name: change.counts.as_dict() for name, change in self.changes.items()}


@dataclass(frozen=True)
class KindSpec:
    kind: str
    columns: tuple[Column, ...]
    plan: Callable[[list[Row], ErrorReport], Plan]


# --- shared checks


def check_duplicates(rows: list[Row], key: tuple[str, ...], report: ErrorReport, blame: str) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        if not all(row.values.get(name) is not None for name in key):
            continue
        value = tuple(row.values[name] for name in key)
        if value in seen:
            row.error(report, blame, _("Duplicate key in this file (also on row %(row)s).") % {"row": seen[value]})
        else:
            seen[value] = row.number


def resolve_projects(rows: list[Row], report: ErrorReport) -> dict[str, Project]:
    codes = [row.values["project_code"] for row in rows if row.values.get("project_code")]
    projects = {p.code: p for p in fetch_in(Project.objects.all(), "code", codes)}
    for row in rows:
        code = row.values.get("project_code")
        if code and code not in projects:
            row.error(report, "project_code", _("Unknown project code '%(code)s'.") % {"code": code})
    return projects


def resolve_buildings(rows: list[Row], report: ErrorReport) -> dict[tuple[str, str], Building]:
    projects = resolve_projects(rows, report)
    buildings = {
        (b.project.code, b.code): b
        for b in fetch_in(Building.objects.select_related("project"), "project__code", list(projects))
    }
    for row in rows:
        project_code, building_code = row.values.get("project_code"), row.values.get("building_code")
        if project_code in projects and building_code and (project_code, building_code) not in buildings:
            row.error(report, "building_code", _("Unknown building code '%(building)s' in project '%(project)s'.")
                      % {"building": building_code, "project": project_code})
    return buildings


def values_of(row: Row, mapping: dict[str, str]) -> dict[str, Any]:
    """The model attributes given by the row's columns (only the columns present in the file)."""
    return {attr: row.values[column] for column, attr in mapping.items() if row.has(column)}


# --- projects

PROJECT_COLUMNS = (
    Column("project_code", ("项目编码", "项目代码", "code"), slug(50), required=True),
    Column("name", ("项目名称", "project_name"), text(100), required=True),
    Column("city", ("城市",), text(50), required=True),
    Column("address", ("地址", "项目地址"), text(200), required=True),
    Column("latitude", ("纬度", "lat"),
           decimal(places=6, minimum=Decimal(-90), maximum=Decimal(90), round_extra_places=True), required=True),
    Column("longitude", ("经度", "lng", "lon"),
           decimal(places=6, minimum=Decimal(-180), maximum=Decimal(180), round_extra_places=True), required=True),
    Column("delivery_date", ("交付日期", "交房日期"), a_date),
    Column("sla_calendar", ("SLA日历", "服务日历"), slug(50), blank="standard"),
    Column("service_phone", ("客服电话", "服务电话"), phone, blank=""),
)
_PROJECT_FIELDS = {"name": "name", "city": "city", "address": "address", "latitude": "latitude",
                   "longitude": "longitude", "delivery_date": "delivery_date", "sla_calendar": "sla_calendar",
                   "service_phone": "service_phone"}


def plan_projects(rows: list[Row], report: ErrorReport) -> Plan:
    check_duplicates(rows, ("project_code",), report, "project_code")
    codes = [row.values["project_code"] for row in rows if row.values.get("project_code")]
    existing = {p.code: p for p in fetch_in(Project.objects.all(), "code", codes)}
    projects = Changes(Project)
    for row in rows:
        if not row.ok:
            continue
        code, values = row.values["project_code"], values_of(row, _PROJECT_FIELDS)
        projects.record(existing.get(code), values, partial(Project, code=code, **values))
    return Plan({"project": projects})


# --- buildings

BUILDING_COLUMNS = (
    Column("project_code", ("项目编码", "项目代码"), slug(50), required=True),
    Column("building_code", ("楼栋编码", "楼栋代码", "楼号"), text(30), required=True),
    Column("name", ("楼栋名称", "building_name"), text(100), required=True),
    Column("floors", ("楼层数", "总层数", "层数"), integer(1, HIGHEST_FLOOR), required=True),
)


def plan_buildings(rows: list[Row], report: ErrorReport) -> Plan:
    check_duplicates(rows, ("project_code", "building_code"), report, "building_code")
    projects = resolve_projects(rows, report)
    existing = {(b.project_id, b.code): b for b in fetch_in(Building.objects.all(), "project_id",
                                                            [p.id for p in projects.values()])}
    top_floor = dict(
        fetch_in(Unit.objects.order_by().values("building_id").annotate(top=Max("floor")).values_list("building_id", "top"),
                 "building_id", [b.id for b in existing.values()])
    )
    buildings = Changes(Building)
    for row in rows:
        project = projects.get(row.values.get("project_code") or "")
        building_code = row.values.get("building_code")
        building = existing.get((project.id, building_code)) if project and building_code else None
        floors = row.values.get("floors")
        if building is not None and floors is not None and floors < top_floor.get(building.id, 0):
            row.error(report, "floors", _("Units exist up to floor %(floor)s in this building: it cannot have fewer floors.")
                      % {"floor": top_floor[building.id]})
        if not row.ok or project is None:
            continue
        values = {"name": row.values["name"], "floors": row.values["floors"]}
        buildings.record(building, values, partial(Building, project=project, code=row.values["building_code"],
                                                   **values))
    return Plan({"building": buildings})


# --- units

HANDOVER_CHOICES = {
    HandoverStatus.NOT_DELIVERED.value: HandoverStatus.NOT_DELIVERED.value,
    "未交付": HandoverStatus.NOT_DELIVERED.value,
    HandoverStatus.SCHEDULED.value: HandoverStatus.SCHEDULED.value,
    "待交付": HandoverStatus.SCHEDULED.value,
    "已预约": HandoverStatus.SCHEDULED.value,
    HandoverStatus.DELIVERED.value: HandoverStatus.DELIVERED.value,
    "已交付": HandoverStatus.DELIVERED.value,
}

UNIT_COLUMNS = (
    Column("project_code", ("项目编码", "项目代码"), slug(50), required=True),
    Column("building_code", ("楼栋编码", "楼栋代码", "楼号"), text(30), required=True),
    Column("unit_number", ("房号", "房间号", "单元号"), text(30), required=True),
    Column("floor", ("楼层", "所在楼层"), integer(LOWEST_FLOOR, HIGHEST_FLOOR), required=True),
    Column("layout", ("户型",), text(50), blank=""),
    Column("area_m2", ("建筑面积", "面积", "area"),
           decimal(places=2, minimum=Decimal(0), maximum=Decimal("999999.99"), exclusive_minimum=True)),
    Column("handover_status", ("交付状态", "交房状态"), choice(HANDOVER_CHOICES), blank=HandoverStatus.NOT_DELIVERED),
    Column("handover_date", ("交付日期", "交房日期"), a_date),
)
_UNIT_FIELDS = {"floor": "floor", "layout": "layout", "area_m2": "area_m2", "handover_status": "handover_status",
                "handover_date": "handover_date"}


def plan_units(rows: list[Row], report: ErrorReport) -> Plan:
    check_duplicates(rows, ("project_code", "building_code", "unit_number"), report, "unit_number")
    buildings = resolve_buildings(rows, report)
    referenced = {(r.values.get("project_code"), r.values.get("building_code")) for r in rows}
    building_ids = [b.id for key, b in buildings.items() if key in referenced]
    existing = {(u.building_id, u.number): u for u in fetch_in(Unit.objects.all(), "building_id", building_ids)}
    units = Changes(Unit)
    for row in rows:
        project_code, building_code = row.values.get("project_code"), row.values.get("building_code")
        building = buildings.get((project_code, building_code)) if project_code and building_code else None
        floor = row.values.get("floor")
        if building is None or floor is None:
            continue
        # Checked even when another cell of the row failed, so that every error is reported at once.
        if floor == 0:
            row.error(report, "floor", _("There is no floor 0: the ground floor is 1 and basements are -1, -2 …"))
        elif floor > building.floors:
            row.error(report, "floor", _("Floor %(floor)s is above the top floor (%(top)s) of this building.")
                      % {"floor": floor, "top": building.floors})
        if not row.ok:
            continue
        number, values = row.values["unit_number"], values_of(row, _UNIT_FIELDS)
        units.record(existing.get((building.id, number)), values,
                     partial(Unit, building=building, number=number, **values))
    return Plan({"unit": units})
