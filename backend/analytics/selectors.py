"""Everything the analytics pages read. Hotspot numbers come from the monthly roll-ups; lists and
service KPIs from the one-row-per-order facts; names from the registry. Every selector starts from
the actor's scope: directors see every project, engineering managers the projects their teams serve.

A number on a page and the drill-down list behind it count the same rows: both come from the facts
(the roll-ups are GROUP BYs of them) under the same filters.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from backend.accounts.access import ensure_role, has_role
from backend.accounts.models import Team, User
from backend.accounts.roles import Role
from backend.analytics.facts import facts_compute
from backend.analytics.filters import Filters, add_months
from backend.analytics.models import MonthlyProjectCategory, MonthlyUnitCategory, OrderFact
from backend.analytics.services import project_rollup_rows, unit_rollup_rows
from backend.console.access import ANALYTICS_ROLES
from backend.core.errors import NotFound, ValidationFailed
from backend.properties.models import Building, Project, Unit
from backend.workorders.access import project_ids_of
from backend.workorders.definitions import active_definitions
from backend.workorders.states import OPEN_STATES, State

PAGE_SIZE = 50


# --- scope -----------------------------------------------------------------------------------------


def project_scope(actor: Any) -> list[UUID] | None:
    """``None``: every project (a director); otherwise the projects the manager's teams serve."""
    ensure_role(actor, ANALYTICS_ROLES)
    if has_role(actor, Role.ENGINEERING_DIRECTOR):
        return None
    return [p for p in project_ids_of(actor) if p is not None]


def _scoped(qs: QuerySet[Any], scope: list[UUID] | None, field: str = "project_id") -> QuerySet[Any]:
    return qs if scope is None else qs.filter(**{f"{field}__in": scope})


def access_project(actor: Any, project_id: Any) -> Project:
    scope = project_scope(actor)
    project = Project.objects.filter(id=project_id).first()
    if project is None or (scope is not None and project.id not in scope):
        raise NotFound(details={"object": "project"})
    return project


def access_building(actor: Any, building_id: Any) -> Building:
    scope = project_scope(actor)
    building = Building.objects.select_related("project").filter(id=building_id).first()
    if building is None or (scope is not None and building.project_id not in scope):
        raise NotFound(details={"object": "building"})
    return building


# --- labels ----------------------------------------------------------------------------------------


def category_name(code: str) -> str:
    """The category's name in the reader's language (English, else Chinese)."""
    return _category_name(code, (get_language() or "").startswith("en"), active_definitions().version)


@lru_cache(maxsize=2048)
def _category_name(code: str, english: bool, _version: str) -> str:
    try:
        category = active_definitions().category(code)
    except Exception:  # noqa: BLE001 - a code a later rule set removed: shown as it is
        return code
    return (category.name_en or category.name) if english else category.name


def _codes(category: str) -> list[str] | None:
    return active_definitions().codes_within(category) if category else None


def category_options() -> list[tuple[str, str, int]]:
    """(code, name, depth) of the whole tree, for the filter."""
    from workflows.definition_set import walk_categories

    out = []
    for category, parent in walk_categories(active_definitions().categories_doc.categories):
        out.append((category.code, category_name(category.code), 0 if parent is None else 1))
    return out


def _months_filter(filters: Filters, *, previous: bool = False) -> dict[str, date]:
    first, last = filters.previous_months() if previous else filters.months()
    return {"month__gte": first, "month__lte": last}


def _period_end(filters: Filters, *, previous: bool = False) -> date:
    _first, last = filters.previous_months() if previous else filters.months()
    return add_months(last, 1) - timedelta(days=1)


def _rate(orders: int, units: int) -> float | None:
    return round(orders * 100 / units, 1) if units else None


# --- hotspots ----------------------------------------------------------------------------------------


def _project_rollup(actor: Any, filters: Filters, *, previous: bool = False) -> QuerySet[MonthlyProjectCategory]:
    qs = _scoped(MonthlyProjectCategory.objects.filter(**_months_filter(filters, previous=previous)),
                 project_scope(actor))
    if filters.project:
        qs = qs.filter(project_id=filters.project)
    codes = _codes(filters.category)
    if codes is not None:
        qs = qs.filter(category_code__in=codes)
    return qs


def handed_over_units(*, by: str, on: date, ids: Iterable[UUID] | None = None) -> dict[UUID, int]:
    """Units handed over on or before ``on``, per project (``by="project"``) or per building."""
    field = "building__project_id" if by == "project" else "building_id"
    qs = Unit.objects.filter(handover_date__isnull=False, handover_date__lte=on)
    if ids is not None:
        qs = qs.filter(**{f"{field}__in": list(ids)})
    return dict(qs.order_by().values(field).annotate(n=Count("id")).values_list(field, "n"))


def project_ranking(*, actor: Any, filters: Filters) -> list[dict[str, Any]]:
    """Projects by defects per 100 handed-over units in the period, with the previous period and the
    three top categories. Projects with orders or handed-over units in scope are listed."""
    current = dict(_project_rollup(actor, filters).order_by().values("project_id").annotate(n=Sum("orders"))
                   .values_list("project_id", "n"))
    previous = dict(_project_rollup(actor, filters, previous=True).order_by().values("project_id")
                    .annotate(n=Sum("orders")).values_list("project_id", "n"))
    tops: dict[UUID, list[tuple[str, int]]] = defaultdict(list)
    for project_id, code, n in _project_rollup(actor, filters).order_by().values("project_id", "category_code") \
            .annotate(n=Sum("orders")).values_list("project_id", "category_code", "n"):
        tops[project_id].append((code, n))
    scope = project_scope(actor)
    projects = _scoped(Project.objects.all(), scope, "id")
    if filters.project:
        projects = projects.filter(id=filters.project)
    units_now = handed_over_units(by="project", on=_period_end(filters))
    units_before = handed_over_units(by="project", on=_period_end(filters, previous=True))
    rows = []
    for project in projects.only("id", "name", "city"):
        orders, before = current.get(project.id, 0), previous.get(project.id, 0)
        units = units_now.get(project.id, 0)
        if not orders and not units:
            continue
        rate, prev_rate = _rate(orders, units), _rate(before, units_before.get(project.id, 0))
        top = sorted(tops.get(project.id, []), key=lambda item: (-item[1], item[0]))[:3]
        rows.append({"project_id": project.id, "name": project.name, "city": project.city, "orders": orders,
                     "units": units, "rate": rate, "previous_orders": before, "previous_rate": prev_rate,
                     "change": None if rate is None or prev_rate is None else round(rate - prev_rate, 1),
                     "top": [{"code": c, "name": category_name(c), "orders": n} for c, n in top]})
    rows.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0), -r["orders"], r["name"]))
    return rows


def monthly_trend(*, actor: Any, filters: Filters) -> list[dict[str, Any]]:
    """Counted orders per month of the period and of the previous one (the trend line)."""
    now = dict(_project_rollup(actor, filters).order_by().values("month").annotate(n=Sum("orders"))
               .values_list("month", "n"))
    before = dict(_project_rollup(actor, filters, previous=True).order_by().values("month")
                  .annotate(n=Sum("orders")).values_list("month", "n"))
    months = filters.month_list()
    shift = len(months)
    return [{"month": m.strftime("%Y-%m"), "orders": now.get(m, 0), "previous": before.get(add_months(m, -shift), 0)}
            for m in months]


def pareto(*, actor: Any, filters: Filters, parent: str = "") -> dict[str, Any]:
    """The categories one level below ``parent`` (the top level without it), each with its subtree's
    orders, largest first, and the cumulative share."""
    definitions = active_definitions()
    if parent:
        if parent not in definitions.category_codes:
            raise ValidationFailed(details={"errors": [{"field": "parent", "reason": _("Unknown category.")}]})
        children = list(definitions.category(parent).children)
    else:
        children = list(definitions.categories_doc.categories)
    by_code = dict(_project_rollup(actor, filters.with_(category=parent)).order_by().values("category_code")
                   .annotate(n=Sum("orders")).values_list("category_code", "n"))
    bars = []
    for child in children:
        n = sum(by_code.get(code, 0) for code in definitions.codes_within(child.code))
        if parent and child.code == parent:
            continue
        bars.append({"code": child.code, "name": category_name(child.code), "orders": n,
                     "has_children": bool(child.children)})
    if parent and by_code.get(parent):  # orders filed on the parent itself
        bars.append({"code": parent, "name": category_name(parent) + " · " + _("other"), "orders": by_code[parent],
                     "has_children": False})
    bars = [b for b in bars if b["orders"]]
    bars.sort(key=lambda b: (-b["orders"], b["code"]))
    total = sum(b["orders"] for b in bars)
    running = 0
    for bar in bars:
        running += bar["orders"]
        bar["cumulative"] = round(running * 100 / total, 1) if total else 0.0
    path = [(c, category_name(c)) for c in definitions.category_path(parent)] if parent else []
    return {"bars": bars, "total": total, "parent": parent, "path": path}


def buildings_ranking(*, actor: Any, project: Project, filters: Filters) -> list[dict[str, Any]]:
    qs = MonthlyUnitCategory.objects.filter(project_id=project.id, **_months_filter(filters))
    codes = _codes(filters.category)
    if codes is not None:
        qs = qs.filter(category_code__in=codes)
    orders = dict(qs.order_by().values("building_id").annotate(n=Sum("orders")).values_list("building_id", "n"))
    buildings = list(Building.objects.filter(project=project).order_by("code"))
    units = handed_over_units(by="building", on=_period_end(filters), ids=[b.id for b in buildings])
    rows = [{"building_id": b.id, "name": b.name, "floors": b.floors, "orders": orders.get(b.id, 0),
             "units": units.get(b.id, 0), "rate": _rate(orders.get(b.id, 0), units.get(b.id, 0))} for b in buildings]
    rows.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0), -r["orders"], r["name"]))
    return rows


@dataclass(frozen=True)
class Heatmap:
    building: Building
    floors: list[int]  # top floor first
    positions: list[int]
    cells: list[dict[str, Any]]  # one per unit
    max_orders: int
    by_position: dict[int, int]
    by_floor: dict[int, int]


def building_heatmap(*, actor: Any, building: Building, filters: Filters) -> Heatmap:
    """Floors as rows, unit positions as columns; each unit's counted orders in the period, with its
    categories. Units with no order are cells with 0."""
    from backend.analytics.facts import unit_position

    qs = MonthlyUnitCategory.objects.filter(building_id=building.id, **_months_filter(filters))
    codes = _codes(filters.category)
    if codes is not None:
        qs = qs.filter(category_code__in=codes)
    per_unit: dict[UUID, dict[str, int]] = defaultdict(dict)
    for unit_id, code, n in qs.order_by().values("unit_id", "category_code").annotate(n=Sum("orders")) \
            .values_list("unit_id", "category_code", "n"):
        per_unit[unit_id][code] = n
    cells: list[dict[str, Any]] = []
    by_position: dict[int, int] = defaultdict(int)
    by_floor: dict[int, int] = defaultdict(int)
    for unit in Unit.objects.filter(building=building).order_by("floor", "number").values(
            "id", "number", "floor", "layout", "handover_date"):
        categories = per_unit.get(unit["id"], {})
        total = sum(categories.values())
        position = unit_position(unit["number"], unit["floor"])
        by_position[position] += total
        by_floor[unit["floor"]] += total
        cells.append({"unit_id": unit["id"], "number": unit["number"], "floor": unit["floor"], "position": position,
                      "layout": unit["layout"], "orders": total,
                      "categories": [{"name": category_name(c), "orders": n}
                                     for c, n in sorted(categories.items(), key=lambda i: (-i[1], i[0]))]})
    floors = sorted({c["floor"] for c in cells} | set(range(1, building.floors + 1)), reverse=True)
    positions = sorted({c["position"] for c in cells})
    return Heatmap(building=building, floors=floors, positions=positions, cells=cells,
                   max_orders=max((c["orders"] for c in cells), default=0), by_position=dict(by_position),
                   by_floor=dict(by_floor))


# --- facts: breakdowns and the drill-down list -------------------------------------------------------


def facts_for(*, actor: Any, filters: Filters) -> QuerySet[OrderFact]:
    """The counted orders behind every number of the pages, under the filters."""
    qs = _scoped(OrderFact.objects.filter(counted=True, **_months_filter(filters)), project_scope(actor))
    for name in ("project", "building", "unit", "team"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{f"{name}_id": value})
    codes = _codes(filters.category)
    if codes is not None:
        qs = qs.filter(category_code__in=codes)
    if filters.layout:
        qs = qs.filter(layout=filters.layout)
    if filters.floor:
        qs = qs.filter(floor=int(filters.floor))
    if filters.position:
        qs = qs.filter(position=int(filters.position))
    if filters.cohort == "lt1":
        qs = qs.filter(months_since_handover__lt=12)
    elif filters.cohort == "1to2":
        qs = qs.filter(months_since_handover__gte=12, months_since_handover__lt=24)
    elif filters.cohort == "gt2":
        qs = qs.filter(months_since_handover__gte=24)
    return qs


def breakdowns(*, actor: Any, filters: Filters) -> dict[str, Any]:
    facts = facts_for(actor=actor, filters=filters)
    layouts = [{"layout": row["layout"] or _("(none)"), "key": row["layout"], "orders": row["n"]}
               for row in facts.order_by().values("layout").annotate(n=Count("order_id")).order_by("-n", "layout")]
    curve: dict[int, int] = defaultdict(int)
    cohorts = {"lt1": 0, "1to2": 0, "gt2": 0}
    for raw_months, n in facts.filter(months_since_handover__isnull=False).order_by().values("months_since_handover") \
            .annotate(n=Count("order_id")).values_list("months_since_handover", "n"):
        months = max(0, int(raw_months or 0))
        curve[min(months, 60)] += n
        cohorts["lt1" if months < 12 else "1to2" if months < 24 else "gt2"] += n
    cost = facts.aggregate(
        developer=Sum("actual_cost_yuan", filter=Q(warranty="in"), default=Decimal("0")),
        owner=Sum("actual_cost_yuan", filter=Q(warranty="out"), default=Decimal("0")),
        unknown=Sum("actual_cost_yuan", filter=Q(warranty="unknown"), default=Decimal("0")),
    )
    return {"layouts": layouts, "curve": [{"months": m, "orders": curve.get(m, 0)} for m in range(0, 61)],
            "cohorts": cohorts, "cost": cost}


def _encode(created_at: datetime, order_id: UUID) -> str:
    return f"{created_at.isoformat()}|{order_id}"


def _decode(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, order_id = cursor.split("|", 1)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError(cursor)
        return parsed, UUID(order_id)
    except ValueError:
        raise ValidationFailed(details={"errors": [{"field": "cursor", "reason": _("Not a valid page cursor.")}]}) \
            from None


@dataclass(frozen=True)
class OrderPage:
    rows: list[dict[str, Any]]
    total: int
    next_cursor: str | None


def drilldown_page(*, actor: Any, filters: Filters, cursor: str = "", size: int = PAGE_SIZE,
                   with_total: bool = True) -> OrderPage:
    """The orders behind a number, newest first, a keyset page at a time (``created_at, order_id``)."""
    qs = facts_for(actor=actor, filters=filters)
    total = qs.count() if with_total else -1
    page = qs.order_by("-created_at", "-order_id")
    if cursor:
        at, order_id = _decode(cursor)
        # (created_at, order_id) < (at, order_id), with the bound on created_at alone first, so the
        # (project_id, created_at, order_id) index gives a range scan and not a filter over the slice.
        page = page.filter(Q(created_at__lte=at) & (Q(created_at__lt=at) | Q(order_id__lt=order_id)))
    facts: list[dict[str, Any]] = [dict(r) for r in page.values(
        "order_id", "number", "created_at", "state", "category_code", "project_id", "building_id", "unit_id", "floor",
        "layout", "warranty", "actual_cost_yuan", "reopen_count", "first_time_fix", "team_id", "technician_id",
        project_name=F("project__name"), building_name=F("building__name"), unit_number=F("unit__number"),
    )[:size + 1]]
    more = len(facts) > size
    facts = facts[:size]
    states = dict(State.choices)
    for fact in facts:
        fact["project"] = fact.pop("project_name") or ""
        fact["building"] = fact.pop("building_name") or ""
        fact["unit"] = fact.pop("unit_number") or ""
        fact["category"] = category_name(fact["category_code"])
        fact["state_label"] = states.get(fact["state"], fact["state"])
    next_cursor = _encode(facts[-1]["created_at"], facts[-1]["order_id"]) if more and facts else None
    return OrderPage(rows=facts, total=total, next_cursor=next_cursor)


# --- service KPIs -----------------------------------------------------------------------------------


def percentile(values: list[int], fraction: float) -> int | None:
    """Nearest-rank percentile: the smallest value with at least ``fraction`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _share(part: int | None, whole: int | None) -> float | None:
    return round((part or 0) * 100 / whole, 1) if whole else None


KPI_AGGREGATES = {
    "orders": Count("order_id"),
    "n_completed": Count("order_id", filter=Q(completed=True)),
    "ftf": Count("order_id", filter=Q(first_time_fix=True)),
    "reopened": Count("order_id", filter=Q(completed=True, reopen_count__gt=0)),
    "response_met": Count("order_id", filter=Q(response_on_time=True)),
    "response_known": Count("order_id", filter=Q(response_on_time__isnull=False)),
    "arrival_met": Count("order_id", filter=Q(arrival_on_time=True)),
    "arrival_known": Count("order_id", filter=Q(arrival_on_time__isnull=False)),
    "resolution_met": Count("order_id", filter=Q(resolution_on_time=True)),
    "resolution_known": Count("order_id", filter=Q(resolution_on_time__isnull=False)),
    "mean_resolution": Avg("resolution_business_seconds"),
    "rating": Avg("rating_quality"),
    "offered": Count("order_id", filter=Q(grab_offered=True)),
    "taken": Count("order_id", filter=Q(grab_taken=True)),
}


def _kpis(row: dict[str, Any], durations: list[int]) -> dict[str, Any]:
    return {
        "orders": row["orders"], "completed": row["n_completed"],
        "first_time_fix": _share(row["ftf"], row["n_completed"]),
        "reopen_rate": _share(row["reopened"], row["n_completed"]),
        "response": _share(row["response_met"], row["response_known"]),
        "arrival": _share(row["arrival_met"], row["arrival_known"]),
        "resolution": _share(row["resolution_met"], row["resolution_known"]),
        "mean_hours": round(row["mean_resolution"] / 3600, 1) if row["mean_resolution"] is not None else None,
        "p90_hours": round(p / 3600, 1) if (p := percentile(durations, 0.9)) is not None else None,
        "rating": round(row["rating"], 2) if row["rating"] is not None else None,
        "grab_take_up": _share(row["taken"], row["offered"]),
    }


def _grouped_kpis(facts: QuerySet[OrderFact], key: str) -> dict[Any, dict[str, Any]]:
    durations: dict[Any, list[int]] = defaultdict(list)
    for value, seconds in facts.filter(resolution_business_seconds__isnull=False).values_list(
            key, "resolution_business_seconds"):
        durations[value].append(seconds)
    return {row[key]: _kpis(row, durations.get(row[key], []))
            for row in facts.order_by().values(key).annotate(**KPI_AGGREGATES)}


def service_kpis(*, actor: Any, filters: Filters, now: datetime) -> dict[str, Any]:
    facts = facts_for(actor=actor, filters=filters)
    overall_row = facts.aggregate(**KPI_AGGREGATES)
    overall = _kpis(overall_row, [int(v or 0) for v in facts.filter(resolution_business_seconds__isnull=False)
                                  .values_list("resolution_business_seconds", flat=True)])
    teams = dict(Team.objects.values_list("id", "name"))
    by_team = [{"team_id": k, "name": teams.get(k, _("(no team)")) if k else _("(no team)"), **v}
               for k, v in _grouped_kpis(facts, "team_id").items()]
    by_team.sort(key=lambda r: (-r["orders"], r["name"]))
    by_category = [{"code": k, "name": category_name(k), **v} for k, v in _grouped_kpis(facts, "top_category").items()]
    by_category.sort(key=lambda r: -r["orders"])
    tech_rows = _grouped_kpis(facts.filter(technician_id__isnull=False), "technician_id")
    names = {u.id: (u.get_full_name() or u.username) for u in User.objects.filter(id__in=list(tech_rows))}
    technicians = sorted(({"technician_id": k, "name": names.get(k, ""), **v} for k, v in tech_rows.items()),
                         key=lambda r: (-r["orders"], r["name"]))
    monthly = {row["month"]: dict(row) for row in facts.order_by().values("month").annotate(**KPI_AGGREGATES)}
    by_month = [{"month": m.strftime("%Y-%m"), **_kpis(monthly[m], [])} if m in monthly else
                {"month": m.strftime("%Y-%m"), "response": None, "arrival": None, "resolution": None, "orders": 0}
                for m in filters.month_list()]
    return {"overall": overall, "teams": by_team, "categories": by_category, "technicians": technicians,
            "months": by_month, "backlog": backlog(actor=actor, filters=filters, now=now)}


AGE_BUCKETS = ((1, "< 1 d"), (3, "1–3 d"), (7, "3–7 d"), (30, "7–30 d"), (None, "> 30 d"))


def backlog(*, actor: Any, filters: Filters, now: datetime) -> list[dict[str, Any]]:
    """Open orders now (whatever the period) by age."""
    qs = _scoped(OrderFact.objects.filter(state__in=OPEN_STATES), project_scope(actor))
    if filters.project:
        qs = qs.filter(project_id=filters.project)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    codes = _codes(filters.category)
    if codes is not None:
        qs = qs.filter(category_code__in=codes)
    rows, lower = [], None
    for days, label in AGE_BUCKETS:
        bucket = qs
        if lower is not None:
            bucket = bucket.filter(created_at__lte=now - timedelta(days=lower))
        if days is not None:
            bucket = bucket.filter(created_at__gt=now - timedelta(days=days))
        rows.append({"label": label, "orders": bucket.count()})
        lower = days
    return rows


# --- cost and satisfaction --------------------------------------------------------------------------

COST_AGGREGATES = {
    "orders": Count("order_id"),
    "estimate": Sum("estimate_yuan", default=Decimal("0")),
    "actual": Sum("actual_cost_yuan", default=Decimal("0")),
    "in_warranty": Sum("actual_cost_yuan", filter=Q(warranty="in"), default=Decimal("0")),
    "out_warranty": Sum("actual_cost_yuan", filter=Q(warranty="out"), default=Decimal("0")),
    "income": Sum("paid_income_yuan", default=Decimal("0")),
    "timeliness": Avg("rating_timeliness"),
    "attitude": Avg("rating_attitude"),
    "quality": Avg("rating_quality"),
    "rated": Count("order_id", filter=Q(rating_quality__isnull=False)),
}


def _round(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}


def cost_satisfaction(*, actor: Any, filters: Filters) -> dict[str, Any]:
    facts = facts_for(actor=actor, filters=filters)
    overall = _round(facts.aggregate(**COST_AGGREGATES))
    categories = sorted(({"code": r["top_category"], "name": category_name(r["top_category"]), **_round(dict(r))}
                         for r in facts.order_by().values("top_category").annotate(**COST_AGGREGATES)),
                        key=lambda r: (-r["actual"], r["code"]))
    names = dict(Project.objects.values_list("id", "name"))
    projects = sorted(({"project_id": r["project_id"], "name": names.get(r["project_id"], ""), **_round(dict(r))}
                       for r in facts.order_by().values("project_id").annotate(**COST_AGGREGATES)),
                      key=lambda r: (-r["actual"], r["name"]))
    comments = list(facts.exclude(rating_comment="").order_by("-created_at", "-order_id")
                    .values("order_id", "number", "rating_quality", "rating_timeliness", "rating_attitude",
                            "rating_comment", "created_at")[:20])
    return {"overall": overall, "categories": categories, "projects": projects, "comments": comments}


# --- the check: incremental equals rebuilt ----------------------------------------------------------

FACT_FIELDS = ("project_id", "building_id", "unit_id", "floor", "position", "category_code", "state", "month",
               "counted", "completed", "reopen_count", "visit_count", "first_time_fix",
               "resolution_business_seconds", "response_on_time", "arrival_on_time", "resolution_on_time",
               "actual_cost_yuan", "warranty", "months_since_handover")


def rollups_differences(*, now: datetime, sample: int | None = None) -> list[str]:
    """What differs between the stored facts and roll-ups and the same computed from scratch now
    (empty: the incremental refresh equals a rebuild)."""
    from backend.workorders.models import WorkOrder

    problems: list[str] = []
    ids = list(WorkOrder.objects.order_by("id").values_list("id", flat=True)[:sample] if sample else
               WorkOrder.objects.values_list("id", flat=True))
    stored = {f.order_id: f for f in OrderFact.objects.filter(order_id__in=ids)} if sample else \
        {f.order_id: f for f in OrderFact.objects.all()}
    fresh = {f.order_id: f for f in facts_compute(ids, now=now)}
    for order_id in set(stored) | set(fresh):
        a, b = stored.get(order_id), fresh.get(order_id)
        if a is None or b is None:
            problems.append(f"fact {order_id}: {'missing' if a is None else 'stale'}")
            continue
        for name in FACT_FIELDS:
            if getattr(a, name) != getattr(b, name):
                problems.append(f"fact {order_id}.{name}: stored {getattr(a, name)!r}, now {getattr(b, name)!r}")
    if sample is None:
        def key(row: Any, fields: tuple[str, ...]) -> tuple[Any, ...]:
            return tuple(getattr(row, f) for f in fields)

        p_fields = ("month", "project_id", "category_code", "orders", "reopened", "actual_cost_yuan")
        u_fields = ("month", "unit_id", "category_code", "project_id", "building_id", "floor", "position", "orders")
        for label, stored_rows, computed, fields in (
            ("project roll-up", MonthlyProjectCategory.objects.all(), project_rollup_rows(OrderFact.objects.all()),
             p_fields),
            ("unit roll-up", MonthlyUnitCategory.objects.all(), unit_rollup_rows(OrderFact.objects.all()), u_fields),
        ):
            left = {key(r, fields) for r in stored_rows}
            right = {key(r, fields) for r in computed}
            problems += [f"{label}: stored only {row}" for row in sorted(left - right, key=str)[:20]]
            problems += [f"{label}: missing {row}" for row in sorted(right - left, key=str)[:20]]
    return problems
