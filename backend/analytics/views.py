"""Analytics pages under the staff layout. Each view parses the filters from the address, calls the
selectors and renders; a bad filter is a 422 in the reader's language; another project's building is
a 404; roles other than the engineering director and managers get 403."""

from __future__ import annotations

import uuid
from functools import wraps
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backend.analytics import exports, selectors
from backend.analytics.filters import Filters, contractor_label
from backend.analytics.models import RefreshState
from backend.analytics.routers import analytics_reads
from backend.analytics.selectors import ANALYTICS_ROLES
from backend.console.views import StaffRequest, console_view
from backend.core.dates import business_timezone
from backend.core.errors import NotFound
from backend.properties.models import Building, Project


def view(function: Any) -> Any:
    """Director and managers only (others 403); every read made while the page is built goes to the
    analytics replica when one is configured (``routers.analytics_reads``)."""
    checked = console_view(ANALYTICS_ROLES)(function)

    @wraps(function)
    def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> Any:
        with analytics_reads():
            return checked(request, *args, **kwargs)
    return wrapped


def _context(request: StaffRequest, filters: Filters, page: str, **extra: Any) -> dict[str, Any]:
    scope = selectors.project_scope(request.user)
    projects = Project.objects.order_by("name") if scope is None else Project.objects.filter(id__in=scope).order_by("name")
    state = RefreshState.objects.filter(id=1).first()
    return {"filters": filters, "page": "analytics", "tab": page, "qs": filters.query_string(),
            "projects": list(projects.values("id", "name")), "categories": selectors.category_options(),
            "refreshed_at": state.refreshed_at if state else None, **extra}


@require_GET
@view
def hotspots(request: StaffRequest) -> HttpResponse:
    filters = Filters.from_query(request.GET, now=timezone.now())
    parent = (request.GET.get("parent") or "").strip()[:50]
    ranking = selectors.project_ranking(actor=request.user, filters=filters)
    pareto = selectors.pareto(actor=request.user, filters=filters, parent=parent)
    qs = filters.query_string()
    ranking_chart = [{"name": r["name"], "value": r["rate"] or 0,
                      "href": reverse("analytics:project", args=[r["project_id"]]) + f"?{qs}"} for r in ranking[:15]]
    breakdowns = selectors.breakdowns(actor=request.user, filters=filters)
    orders_url = reverse("analytics:orders")
    contractors_chart = [{"name": r["name"], "value": r["orders"],
                          "href": f"{orders_url}?{filters.query_string(contractor=r['key'])}"}
                         for r in breakdowns["contractors"][:15]]
    context = _context(
        request, filters, "hotspots", ranking=ranking, ranking_chart=ranking_chart,
        trend=selectors.monthly_trend(actor=request.user, filters=filters), pareto=pareto,
        pareto_chart=_pareto_chart(pareto, filters, here=reverse("analytics:hotspots")),
        breakdowns=breakdowns, contractors_chart=contractors_chart, parent=parent)
    return render(request, "analytics/hotspots.html", context)


def _pareto_chart(pareto: dict[str, Any], filters: Filters, *, here: str) -> list[dict[str, Any]]:
    """A bar with children goes one level down the tree; a leaf opens its orders."""
    qs = filters.query_string()
    orders = reverse("analytics:orders")
    return [{"name": b["name"], "orders": b["orders"], "cumulative": b["cumulative"],
             "href": f"{here}?{qs}&parent={b['code']}" if b["has_children"] else
             f"{orders}?{filters.query_string(category=b['code'])}"} for b in pareto["bars"]]


@require_GET
@view
def project(request: StaffRequest, project_id: uuid.UUID) -> HttpResponse:
    target = selectors.access_project(request.user, project_id)
    asked = Filters.from_query(request.GET, now=timezone.now())
    filters = asked.with_(project=str(target.id))
    buildings = selectors.buildings_ranking(actor=request.user, project=target, filters=filters)
    pareto = selectors.pareto(actor=request.user, filters=filters)
    qs = filters.query_string()
    buildings_chart = [{"name": b["name"], "value": b["rate"] or 0,
                        "href": reverse("analytics:building", args=[b["building_id"]]) + f"?{qs}"} for b in buildings]
    context = _context(request, filters, "hotspots", project=target, buildings=buildings,
                       buildings_chart=buildings_chart, pareto=pareto, qs_up=asked.with_(project="").query_string(),
                       pareto_chart=_pareto_chart(pareto, filters, here=reverse("analytics:hotspots")),
                       breakdowns=selectors.breakdowns(actor=request.user, filters=filters))
    return render(request, "analytics/project.html", context)


@require_GET
@view
def building(request: StaffRequest, building_id: uuid.UUID) -> HttpResponse:
    target = selectors.access_building(request.user, building_id)
    asked = Filters.from_query(request.GET, now=timezone.now())
    filters = asked.with_(project=str(target.project_id), building=str(target.id))
    heatmap = selectors.building_heatmap(actor=request.user, building=target, filters=filters)
    chart = {"floors": [str(f) for f in heatmap.floors], "positions": [f"{p:02d}" for p in heatmap.positions],
             "cells": [[heatmap.positions.index(c["position"]), heatmap.floors.index(c["floor"]), c["orders"],
                        c["number"], str(c["unit_id"]), [f'{x["name"]} {x["orders"]}' for x in c["categories"]]]
                       for c in heatmap.cells], "max": heatmap.max_orders}
    hottest = max(heatmap.cells, key=lambda c: (c["orders"], c["number"]), default=None)
    context = _context(request, filters, "hotspots", building=target, heatmap=heatmap, chart=chart,
                       hottest=hottest if hottest and hottest["orders"] else None,
                       qs_up=asked.with_(project="", building="").query_string(),
                       qs_project=asked.with_(building="").query_string(),
                       by_position=sorted(heatmap.by_position.items()),
                       by_floor=sorted(heatmap.by_floor.items(), reverse=True))
    return render(request, "analytics/building.html", context)


@require_GET
@view
def orders(request: StaffRequest) -> HttpResponse:
    filters = Filters.from_query(request.GET, now=timezone.now())
    cursor = (request.GET.get("cursor") or "")[:120]
    page = selectors.drilldown_page(actor=request.user, filters=filters, cursor=cursor, with_total=not cursor)
    context = _context(request, filters, "orders", page_data=page, labels=_labels(filters))
    if request.htmx and cursor:
        return render(request, "analytics/_order_rows.html", context)
    return render(request, "analytics/orders.html", context)


def _labels(filters: Filters) -> list[str]:
    """What the list is of, in words (the chips above it)."""
    out = []
    if filters.project:
        out.append(Project.objects.filter(id=filters.project).values_list("name", flat=True).first() or "")
    if filters.building:
        out.append(Building.objects.filter(id=filters.building).values_list("name", flat=True).first() or "")
    if filters.unit:
        from backend.properties.models import Unit

        out.append(Unit.objects.filter(id=filters.unit).values_list("number", flat=True).first() or "")
    if filters.category:
        out.append(selectors.category_name(filters.category))
    if filters.layout:
        out.append(filters.layout)
    if filters.floor:
        out.append(_("floor %(n)s") % {"n": filters.floor})
    if filters.position:
        out.append(_("position %(n)s") % {"n": filters.position})
    if filters.contractor:
        out.append(contractor_label(filters.contractor))
    return [x for x in out if x]


@require_GET
@view
def service(request: StaffRequest) -> HttpResponse:
    filters = Filters.from_query(request.GET, now=timezone.now())
    data = selectors.service_kpis(actor=request.user, filters=filters, now=timezone.now())
    return render(request, "analytics/service.html", _context(request, filters, "service", data=data))


@require_GET
@view
def cost(request: StaffRequest) -> HttpResponse:
    filters = Filters.from_query(request.GET, now=timezone.now())
    data = selectors.cost_satisfaction(actor=request.user, filters=filters)
    tables = [(_("By category"), data["categories"], "category", "cost-categories"),
              (_("By project"), data["projects"], "project", "cost-projects")]
    return render(request, "analytics/cost.html", _context(request, filters, "cost", data=data, tables=tables))


# --- exports -------------------------------------------------------------------------------------------


def _table(request: StaffRequest, table: str, filters: Filters) -> tuple[str, list[str], Any]:
    actor = request.user
    if table == "projects":
        rows = selectors.project_ranking(actor=actor, filters=filters)
        return _("Project ranking"), [_("Project"), _("City"), _("Orders"), _("Handed-over units"),
                                      _("Per 100 units"), _("Previous orders"), _("Previous per 100 units"),
                                      _("Top categories")], (
            [r["name"], r["city"], r["orders"], r["units"], r["rate"], r["previous_orders"], r["previous_rate"],
             "、".join(f'{t["name"]} {t["orders"]}' for t in r["top"])] for r in rows)
    if table == "pareto":
        data = selectors.pareto(actor=actor, filters=filters, parent=(request.GET.get("parent") or "")[:50])
        return _("Categories"), [_("Category"), _("Orders"), _("Cumulative %")], (
            [b["name"], b["orders"], b["cumulative"]] for b in data["bars"])
    if table == "buildings":
        target = selectors.access_project(actor, filters.project or uuid.uuid4())
        rows = selectors.buildings_ranking(actor=actor, project=target, filters=filters)
        return _("Buildings"), [_("Building"), _("Floors"), _("Orders"), _("Handed-over units"), _("Per 100 units")], (
            [r["name"], r["floors"], r["orders"], r["units"], r["rate"]] for r in rows)
    if table == "heatmap":
        place = selectors.access_building(actor, filters.building or uuid.uuid4())
        heatmap = selectors.building_heatmap(actor=actor, building=place, filters=filters)
        return _("Units"), [_("Unit"), _("Floor"), _("Position"), _("Layout"), _("Orders"), _("Categories")], (
            [c["number"], c["floor"], c["position"], c["layout"], c["orders"],
             "、".join(f'{x["name"]} {x["orders"]}' for x in c["categories"])] for c in heatmap.cells)
    if table == "orders":
        return _("Orders"), [_("Number"), _("Reported at"), _("State"), _("Category"), _("Project"), _("Building"),
                             _("Unit"), _("Layout"), _("Contractor"), _("Warranty"), _("Actual cost (¥)"),
                             _("Contractor owes back"), _("Reopened"), _("First-time fix")], _order_rows(actor, filters)
    if table in {"teams", "technicians", "service-categories"}:
        data = selectors.service_kpis(actor=actor, filters=filters, now=timezone.now())
        key = {"teams": "teams", "technicians": "technicians", "service-categories": "categories"}[table]
        return _("Service"), [_("Name"), _("Orders"), _("Completed"), _("Response on time %"), _("Arrival on time %"),
                              _("Resolution on time %"), _("First-time fix %"), _("Reopen %"),
                              _("Mean resolution (business h)"), _("P90 resolution (business h)"), _("Rating")], (
            [r["name"], r["orders"], r["completed"], r["response"], r["arrival"], r["resolution"],
             r["first_time_fix"], r["reopen_rate"], r["mean_hours"], r["p90_hours"], r["rating"]] for r in data[key])
    if table == "contractors":
        rows = selectors.contractor_breakdown(actor=actor, filters=filters)
        return _("Contractors"), [_("Contractor"), _("Orders"), _("In warranty (¥)"), _("Contractors owe back (¥)"),
                                  _("Developer bears (¥)")], (
            [r["name"], r["orders"], r["in_warranty"], r["contractor_owed"], r["developer_bears"]] for r in rows)
    if table in {"cost-categories", "cost-projects"}:
        data = selectors.cost_satisfaction(actor=actor, filters=filters)
        key = "categories" if table == "cost-categories" else "projects"
        return _("Cost"), [_("Name"), _("Orders"), _("Estimates (¥)"), _("Actuals (¥)"), _("In warranty (¥)"),
                           _("Contractors owe back (¥)"), _("Developer bears (¥)"), _("Out of warranty (¥)"),
                           _("Paid-service income (¥)"), _("Timeliness"), _("Attitude"), _("Quality")], (
            [r["name"], r["orders"], r["estimate"], r["actual"], r["in_warranty"], r["contractor_owed"],
             r["developer_bears"], r["out_warranty"], r["income"], r["timeliness"], r["attitude"], r["quality"]]
            for r in data[key])
    raise NotFound(details={"object": "table"})


def _order_rows(actor: Any, filters: Filters) -> Any:
    """Every order of the drill-down, a keyset page at a time (never all in memory)."""
    cursor = ""
    tz = business_timezone()
    yes_no = {True: _("yes"), False: _("no"), None: ""}
    while True:
        page = selectors.drilldown_page(actor=actor, filters=filters, cursor=cursor, size=2000, with_total=False)
        for r in page.rows:
            yield [r["number"], r["created_at"].astimezone(tz), r["state_label"], r["category"], r["project"],
                   r["building"], r["unit"], r["layout"], r["contractor"], r["warranty"], r["actual_cost_yuan"],
                   yes_no[r["contractor_owes"]], r["reopen_count"], yes_no[r["first_time_fix"]]]
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


@require_GET
@view
def export(request: StaffRequest, table: str) -> HttpResponse | StreamingHttpResponse:
    now = timezone.now()
    filters = Filters.from_query(request.GET, now=now)
    title, headers, rows = _table(request, table, filters)
    handle = exports.workbook_file(title=title, headers=headers, rows=rows, filters=filters,
                                   generated_at=now.astimezone(business_timezone()))
    response = StreamingHttpResponse(
        exports.chunks(handle), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="anxin-{table}-{now:%Y%m%d}.xlsx"'
    return response
