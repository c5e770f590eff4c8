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

from django.db import connections, router
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from backend.accounts.access import ensure_role, has_role
from backend.accounts.models import Team, User
from backend.accounts.roles import Role
from backend.analytics.facts import facts_compute
from backend.analytics.filters import NO_CONTRACTOR, Filters, add_months
from backend.analytics.models import (
    MonthlyContractorCategory,
    MonthlyProjectCategory,
    MonthlyServiceRollup,
    MonthlyUnitCategory,
    OrderFact,
)
from backend.analytics.services import (
    CONTRACTOR_KEY,
    CONTRACTOR_SUMS,
    SERVICE_SUMS,
    contractor_rollup_rows,
    project_rollup_rows,
    service_rollup_rows,
    unit_rollup_rows,
)
from backend.console.access import ANALYTICS_ROLES
from backend.core.errors import NotFound, ValidationFailed
from backend.properties.models import Building, Contractor, Project, Unit
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


def _days_filter(first: date, last: date) -> Q:
    """Facts reported on these business dates (the month bounds let the month indexes serve it)."""
    q = Q(month__gte=first.replace(day=1), month__lte=last.replace(day=1))
    if first.day != 1:
        q &= Q(created_date__gte=first)
    if last != add_months(last.replace(day=1), 1) - timedelta(days=1):
        q &= Q(created_date__lte=last)
    return q


def _facts_in_period(filters: Filters, *, previous: bool = False) -> Q:
    return _days_filter(*filters.days(previous=previous))


def split_period(first: date, last: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months within ``first``..``last`` (first and last month, or None) and the days outside
    them: the monthly roll-ups answer the months, the facts the days at either edge."""
    whole_first = first if first.day == 1 else add_months(first.replace(day=1), 1)
    after_last = add_months(last.replace(day=1), 1)
    whole_end = after_last if last == after_last - timedelta(days=1) else last.replace(day=1)  # exclusive
    if whole_first >= whole_end:
        return None, [(first, last)]
    edges = []
    if first < whole_first:
        edges.append((first, whole_first - timedelta(days=1)))
    if last >= whole_end:
        edges.append((whole_end, last))
    return (whole_first, add_months(whole_end, -1)), edges


def _summed(rollups: QuerySet[Any], facts: QuerySet[OrderFact], filters: Filters, *, by: tuple[str, ...],
            rollup_sums: dict[str, Any], fact_sums: dict[str, Any], previous: bool = False) -> dict[Any, dict[str, Any]]:
    """Sums per ``by`` over the period: the roll-up rows of its whole months plus the facts of the days
    at its edges (every roll-up column is a sum of the facts, so the two add up exactly)."""
    whole, edges = split_period(*filters.days(previous=previous))
    parts: list[QuerySet[Any]] = []
    if whole is not None:
        parts.append(rollups.filter(month__gte=whole[0], month__lte=whole[1]).order_by().values(*by)
                     .annotate(**rollup_sums) if by else rollups.filter(month__gte=whole[0], month__lte=whole[1]))
    out: dict[Any, dict[str, Any]] = {}

    def add(key: Any, row: dict[str, Any]) -> None:
        into = out.setdefault(key, {name: 0 for name in rollup_sums})
        for name in rollup_sums:
            into[name] = into[name] + (row[name] or 0)

    for qs in parts:
        if by:
            for row in qs:
                add(tuple(row[b] for b in by), row)
        else:
            add((), qs.aggregate(**rollup_sums))
    for first, last in edges:
        edge = facts.filter(_days_filter(first, last))
        if by:
            for row in edge.order_by().values(*by).annotate(**fact_sums):
                add(tuple(row[b] for b in by), row)
        else:
            add((), edge.aggregate(**fact_sums))
    return out


def _period_end(filters: Filters, *, previous: bool = False) -> date:
    return filters.days(previous=previous)[1]


def _rate(orders: int, units: int) -> float | None:
    return round(orders * 100 / units, 1) if units else None


# --- hotspots ----------------------------------------------------------------------------------------


def _project_counts(actor: Any, filters: Filters, *, by: tuple[str, ...], previous: bool = False) -> dict[Any, int]:
    """Counted orders per ``by`` (columns of the month × project × category roll-up) in the period."""
    scope = project_scope(actor)
    rollups = _scoped(MonthlyProjectCategory.objects.all(), scope)
    facts = _scoped(OrderFact.objects.filter(counted=True), scope)
    if filters.contractor:  # the contractor roll-up has the same key and the contractor
        rollups = _contractor_filtered(_scoped(MonthlyContractorCategory.objects.all(), scope), filters.contractor)
        facts = _contractor_filtered(facts, filters.contractor)
    if filters.project:
        rollups, facts = rollups.filter(project_id=filters.project), facts.filter(project_id=filters.project)
    codes = _codes(filters.category)
    if codes is not None:
        rollups, facts = rollups.filter(category_code__in=codes), facts.filter(category_code__in=codes)
    sums = _summed(rollups, facts, filters, by=by, rollup_sums={"n": Sum("orders")},
                   fact_sums={"n": Count("order_id")}, previous=previous)
    return {(key[0] if len(by) == 1 else key): row["n"] for key, row in sums.items() if row["n"]}


def _contractor_filtered(qs: QuerySet[Any], contractor: str) -> QuerySet[Any]:
    return qs.filter(contractor_id__isnull=True) if contractor == NO_CONTRACTOR else qs.filter(contractor_id=contractor)


def _unit_counts(filters: Filters, *, by: tuple[str, ...], **where: Any) -> dict[Any, int]:
    """Counted orders on units per ``by`` (columns of the month × unit × category roll-up; under a
    contractor filter, which that roll-up does not hold, the facts of the building or project)."""
    rollups = MonthlyUnitCategory.objects.filter(**where)
    facts = OrderFact.objects.filter(counted=True, unit_id__isnull=False, **where)
    codes = _codes(filters.category)
    if codes is not None:
        rollups, facts = rollups.filter(category_code__in=codes), facts.filter(category_code__in=codes)
    if filters.contractor:
        facts = _contractor_filtered(facts, filters.contractor).filter(_facts_in_period(filters))
        return {(tuple(r[b] for b in by) if len(by) > 1 else r[by[0]]): r["n"]
                for r in facts.order_by().values(*by).annotate(n=Count("order_id"))}
    sums = _summed(rollups, facts, filters, by=by, rollup_sums={"n": Sum("orders")},
                   fact_sums={"n": Count("order_id")})
    return {(key[0] if len(by) == 1 else key): row["n"] for key, row in sums.items() if row["n"]}


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
    current = _project_counts(actor, filters, by=("project_id",))
    previous = _project_counts(actor, filters, by=("project_id",), previous=True)
    tops: dict[UUID, list[tuple[str, int]]] = defaultdict(list)
    for (project_id, code), n in _project_counts(actor, filters, by=("project_id", "category_code")).items():
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
    now = _project_counts(actor, filters, by=("month",))
    before = _project_counts(actor, filters, by=("month",), previous=True)
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
    by_code = _project_counts(actor, filters.with_(category=parent), by=("category_code",))
    bars: list[dict[str, Any]] = []
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
    orders = _unit_counts(filters, by=("building_id",), project_id=project.id)
    buildings = list(Building.objects.filter(project=project).order_by("code"))
    units = handed_over_units(by="building", on=_period_end(filters), ids=[b.id for b in buildings])
    rows: list[dict[str, Any]] = [{"building_id": b.id, "name": b.name, "floors": b.floors, "orders": orders.get(b.id, 0),
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

    per_unit: dict[UUID, dict[str, int]] = defaultdict(dict)
    for (unit_id, code), n in _unit_counts(filters, by=("unit_id", "category_code"), building_id=building.id).items():
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


def facts_for(*, actor: Any, filters: Filters, period: bool = True) -> QuerySet[OrderFact]:
    """The counted orders behind every number of the pages, under the filters (``period=False``: of
    any date, for a caller that bounds the dates itself)."""
    qs = _scoped(OrderFact.objects.filter(counted=True), project_scope(actor))
    if period:
        qs = qs.filter(_facts_in_period(filters))
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
    if filters.contractor:
        qs = _contractor_filtered(qs, filters.contractor)
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
        in_warranty=Sum("actual_cost_yuan", filter=Q(warranty="in"), default=Decimal("0")),
        contractors=Sum("actual_cost_yuan", filter=Q(warranty="in", contractor_owes=True), default=Decimal("0")),
        owner=Sum("actual_cost_yuan", filter=Q(warranty="out"), default=Decimal("0")),
        unknown=Sum("actual_cost_yuan", filter=Q(warranty="unknown"), default=Decimal("0")),
    )
    cost["developer"] = cost["in_warranty"] - cost["contractors"]
    return {"layouts": layouts, "curve": [{"months": m, "orders": curve.get(m, 0)} for m in range(0, 61)],
            "cohorts": cohorts, "cost": cost, "contractors": contractor_breakdown(actor=actor, filters=filters)}


def contractor_breakdown(*, actor: Any, filters: Filters) -> list[dict[str, Any]]:
    """Counted orders per contractor in the period (the one named for each order's building and
    component; the orders no contractor is named for as one row, key ``none``), with their in-warranty
    cost and what the contractor owes back of it. From the contractor roll-up; under a filter it
    does not hold (building, unit, layout, cohort, floor, position, team) from the facts."""
    sums: dict[Any, dict[str, Any]]
    if filters.team or any(getattr(filters, name) for name in FACT_ONLY_FILTERS if name != "contractor"):
        facts = facts_for(actor=actor, filters=filters)
        sums = {(r["contractor_id"],): dict(r) for r in facts.order_by().values("contractor_id").annotate(**CONTRACTOR_SUMS)}
    else:
        scope = project_scope(actor)
        rollups = _scoped(MonthlyContractorCategory.objects.all(), scope)
        facts = _scoped(OrderFact.objects.filter(counted=True), scope)
        if filters.contractor:
            rollups = _contractor_filtered(rollups, filters.contractor)
            facts = _contractor_filtered(facts, filters.contractor)
        if filters.project:
            rollups, facts = rollups.filter(project_id=filters.project), facts.filter(project_id=filters.project)
        codes = _codes(filters.category)
        if codes is not None:
            rollups, facts = rollups.filter(category_code__in=codes), facts.filter(category_code__in=codes)
        sums = _summed(rollups, facts, filters, by=("contractor_id",),
                       rollup_sums={name: Sum(name) for name in CONTRACTOR_SUMS}, fact_sums=CONTRACTOR_SUMS)
    names = dict(Contractor.objects.filter(id__in=[k[0] for k in sums if k[0]]).values_list("id", "name"))
    rows = [{"contractor_id": key[0], "key": str(key[0]) if key[0] else NO_CONTRACTOR,
             "name": names.get(key[0], "") if key[0] else _("(no contractor named)"), "orders": row["orders"],
             "in_warranty": row["in_warranty"], "contractor_owed": row["contractor_owed"],
             "developer_bears": row["in_warranty"] - row["contractor_owed"]}
            for key, row in sums.items() if row["orders"]]
    rows.sort(key=lambda r: (r["contractor_id"] is None, -r["orders"], r["name"]))
    return rows


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
        "contractor_id", "contractor_owes",
        project_name=F("project__name"), building_name=F("building__name"), unit_number=F("unit__number"),
    )[:size + 1]]
    more = len(facts) > size
    facts = facts[:size]
    states = dict(State.choices)
    contractors = dict(Contractor.objects.filter(id__in={f["contractor_id"] for f in facts if f["contractor_id"]})
                       .values_list("id", "name")) if facts else {}
    for fact in facts:
        fact["contractor"] = contractors.get(fact["contractor_id"], "")
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


def _mean(total: Any, n: int | None, *, scale: float = 1, digits: int = 2) -> float | None:
    return round(float(total) / n / scale, digits) if n else None


class PercentileDisc(Aggregate):
    """PostgreSQL's ``percentile_disc``: the first value whose cumulative share reaches the fraction —
    the nearest rank the pages define (``percentile_cont`` would interpolate between two orders and
    give a duration no order had)."""

    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, *, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction))


# The roll-up's columns added up: the same keys as ``SERVICE_SUMS`` over the facts.
ROLLUP_SUMS = {name: Sum(name) for name in SERVICE_SUMS}
# Filters the service roll-up answers; any other filter reads the facts.
ROLLUP_FILTERS = frozenset({"project", "category", "team"})
FACT_ONLY_FILTERS = ("building", "unit", "layout", "cohort", "floor", "position", "contractor")


def _service_sums(*, actor: Any, filters: Filters, by: tuple[str, ...]) -> dict[Any, dict[str, Any]]:
    """``SERVICE_SUMS`` per ``by`` in the period: from the service roll-up when it serves the filters,
    else from the facts."""
    facts = facts_for(actor=actor, filters=filters)
    if any(getattr(filters, name) for name in FACT_ONLY_FILTERS):
        if not by:
            return {(): facts.aggregate(**SERVICE_SUMS)}
        return {tuple(row[b] for b in by): row for row in facts.order_by().values(*by).annotate(**SERVICE_SUMS)}
    rollups = _scoped(MonthlyServiceRollup.objects.all(), project_scope(actor))
    if filters.project:
        rollups = rollups.filter(project_id=filters.project)
    if filters.team:
        rollups = rollups.filter(team_id=filters.team)
    codes = _codes(filters.category)
    if codes is not None:
        rollups = rollups.filter(category_code__in=codes)
    # The facts of the edge days: facts_for without its period (``_summed`` bounds them by day).
    edge_facts = facts_for(actor=actor, filters=filters, period=False)
    return _summed(rollups, edge_facts, filters, by=by, rollup_sums=ROLLUP_SUMS, fact_sums=SERVICE_SUMS)


def p90_seconds(facts: QuerySet[OrderFact], key: str | None) -> dict[Any, int]:
    """Nearest-rank P90 of the resolution time per ``key`` (None: overall, under the key None), in SQL
    on PostgreSQL, in Python elsewhere."""
    timed = facts.filter(resolution_business_seconds__isnull=False).order_by()
    if connections[router.db_for_read(OrderFact)].vendor == "postgresql":
        if key is None:
            value = timed.aggregate(p=PercentileDisc("resolution_business_seconds", fraction=0.9))["p"]
            return {} if value is None else {None: int(value)}
        return {row[key]: int(row["p"]) for row in timed.values(key).annotate(
            p=PercentileDisc("resolution_business_seconds", fraction=0.9))}
    durations: dict[Any, list[int]] = defaultdict(list)
    if key is None:
        for seconds in timed.values_list("resolution_business_seconds", flat=True):
            durations[None].append(int(seconds or 0))
    else:
        for value, seconds in timed.values_list(key, "resolution_business_seconds"):
            durations[value].append(seconds)
    return {k: v for k, values in durations.items() if (v := percentile(values, 0.9)) is not None}


def _kpis(row: dict[str, Any], p90: int | None) -> dict[str, Any]:
    return {
        "orders": row["orders"], "completed": row["n_completed"],
        "first_time_fix": _share(row["ftf"], row["n_completed"]),
        "reopen_rate": _share(row["reopened"], row["n_completed"]),
        "response": _share(row["response_met"], row["response_known"]),
        "arrival": _share(row["arrival_met"], row["arrival_known"]),
        "resolution": _share(row["resolution_met"], row["resolution_known"]),
        "mean_hours": _mean(row["resolution_seconds"], row["resolution_n"], scale=3600, digits=1),
        "p90_hours": round(p90 / 3600, 1) if p90 is not None else None,
        "rating": _mean(row["quality_sum"], row["quality_n"]),
        "grab_take_up": _share(row["taken"], row["offered"]),
    }


def _grouped_kpis(*, actor: Any, filters: Filters, key: str, p90: bool = True) -> dict[Any, dict[str, Any]]:
    sums = _service_sums(actor=actor, filters=filters, by=(key,))
    p90s = p90_seconds(facts_for(actor=actor, filters=filters), key) if p90 else {}
    return {k[0]: _kpis(row, p90s.get(k[0])) for k, row in sums.items() if row["orders"]}


def service_kpis(*, actor: Any, filters: Filters, now: datetime) -> dict[str, Any]:
    overall_row = _service_sums(actor=actor, filters=filters, by=()).get(()) or {n: 0 for n in SERVICE_SUMS}
    overall = _kpis(overall_row, p90_seconds(facts_for(actor=actor, filters=filters), None).get(None))
    teams = dict(Team.objects.values_list("id", "name"))
    by_team = [{"team_id": k, "name": teams.get(k, _("(no team)")) if k else _("(no team)"), **v}
               for k, v in _grouped_kpis(actor=actor, filters=filters, key="team_id").items()]
    by_team.sort(key=lambda r: (-r["orders"], r["name"]))
    by_category = [{"code": k, "name": category_name(k), **v}
                   for k, v in _grouped_kpis(actor=actor, filters=filters, key="top_category").items()]
    by_category.sort(key=lambda r: (-r["orders"], r["code"]))
    tech_rows = {k: v for k, v in _grouped_kpis(actor=actor, filters=filters, key="technician_id").items()
                 if k is not None}
    names = {u.id: (u.get_full_name() or u.username) for u in User.objects.filter(id__in=list(tech_rows))}
    technicians = sorted(({"technician_id": k, "name": names.get(k, ""), **v} for k, v in tech_rows.items()),
                         key=lambda r: (-r["orders"], r["name"]))
    monthly = _grouped_kpis(actor=actor, filters=filters, key="month", p90=False)
    by_month = [{"month": m.strftime("%Y-%m"), **monthly[m]} if m in monthly else
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
    if filters.contractor:
        qs = _contractor_filtered(qs, filters.contractor)
    buckets, lower = {}, None
    for index, (days, _label) in enumerate(AGE_BUCKETS):
        within = Q()
        if lower is not None:
            within &= Q(created_at__lte=now - timedelta(days=lower))
        if days is not None:
            within &= Q(created_at__gt=now - timedelta(days=days))
        buckets[f"b{index}"] = Count("order_id", filter=within)
        lower = days
    counts = qs.aggregate(**buckets)  # one pass over the open orders (a partial index)
    return [{"label": label, "orders": counts[f"b{i}"]} for i, (_days, label) in enumerate(AGE_BUCKETS)]


# --- cost and satisfaction --------------------------------------------------------------------------

def _cost_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"orders": row["orders"], "estimate": row["estimate"], "actual": row["actual"],
            "in_warranty": row["in_warranty"], "contractor_owed": row["contractor_owed"],
            "developer_bears": row["in_warranty"] - row["contractor_owed"],
            "out_warranty": row["out_warranty"], "income": row["income"],
            "timeliness": _mean(row["timeliness_sum"], row["timeliness_n"]),
            "attitude": _mean(row["attitude_sum"], row["attitude_n"]),
            "quality": _mean(row["quality_sum"], row["quality_n"]), "rated": row["quality_n"]}


def cost_satisfaction(*, actor: Any, filters: Filters) -> dict[str, Any]:
    facts = facts_for(actor=actor, filters=filters)
    overall_row = _service_sums(actor=actor, filters=filters, by=()).get(()) or {n: 0 for n in SERVICE_SUMS}
    overall = _cost_row(overall_row)
    categories = sorted(({"code": k[0], "name": category_name(k[0]), **_cost_row(r)} for k, r in
                         _service_sums(actor=actor, filters=filters, by=("top_category",)).items() if r["orders"]),
                        key=lambda r: (-r["actual"], r["code"]))
    names = dict(Project.objects.values_list("id", "name"))
    projects = sorted(({"project_id": k[0], "name": names.get(k[0], ""), **_cost_row(r)} for k, r in
                       _service_sums(actor=actor, filters=filters, by=("project_id",)).items() if r["orders"]),
                      key=lambda r: (-r["actual"], r["name"]))
    comments = list(facts.exclude(rating_comment="").order_by("-created_at", "-order_id")
                    .values("order_id", "number", "rating_quality", "rating_timeliness", "rating_attitude",
                            "rating_comment", "created_at")[:20])
    return {"overall": overall, "categories": categories, "projects": projects, "comments": comments,
            "contractors": contractor_breakdown(actor=actor, filters=filters)}


# --- the check: incremental equals rebuilt ----------------------------------------------------------

FACT_FIELDS = ("project_id", "building_id", "unit_id", "floor", "position", "category_code", "state", "month",
               "counted", "completed", "reopen_count", "visit_count", "first_time_fix",
               "resolution_business_seconds", "response_on_time", "arrival_on_time", "resolution_on_time",
               "actual_cost_yuan", "warranty", "months_since_handover", "contractor_id", "contractor_owes")


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
            ("service roll-up", MonthlyServiceRollup.objects.all(), service_rollup_rows(OrderFact.objects.all()),
             ("month", "project_id", "category_code", "top_category", "team_id", "technician_id", *SERVICE_SUMS)),
            ("contractor roll-up", MonthlyContractorCategory.objects.all(),
             contractor_rollup_rows(OrderFact.objects.all()), (*CONTRACTOR_KEY, *CONTRACTOR_SUMS)),
        ):
            left = {key(r, fields) for r in stored_rows}
            right = {key(r, fields) for r in computed}
            problems += [f"{label}: stored only {row}" for row in sorted(left - right, key=str)[:20]]
            problems += [f"{label}: missing {row}" for row in sorted(right - left, key=str)[:20]]
    return problems
