"""What one work order is to the analyses, computed from the core's rows (read only).

``facts_compute`` reads a batch of orders with a fixed number of queries (orders with their unit,
state events, SLA deadlines, grab offers and takes, accepted paid-service quotes) and returns
unsaved ``OrderFact`` rows. Every KPI the pages show is defined here, once:

- **counted** (a defect in the hotspot pages): every order but the cancelled and the rejected;
- **completed**: reached ``completed`` at least once;
- **reopen_count**: state events into ``reopened``;
- **visit_count**: state events into ``on_site`` (each arrival is a visit);
- **first-time fix**: completed, never reopened, and at most one visit (``None`` until completed);
- **resolution_business_seconds**: from the report to the first completion, in the business time of
  the order's SLA policy calendar (working hours, public holidays and make-up days), less the time it
  waited (for the owner, parts or an approval) where that policy pauses its clocks for that reason —
  the SLA's own pauses, read from its clock events;
- **<target>_on_time**: every cycle of that SLA target met in time (``False`` when any cycle was met
  late or breached, ``None`` while none has finished);
- **months_since_handover**: whole months from the unit's handover to the report;
- **contractor_id**: the contractor the registry names for the order's building and the warranty
  component of its top category (``workflows.warranty.CATEGORY_COMPONENTS``,
  ``BuildingComponentContractor``); none when the category maps to no component or none is named;
- **contractor_owes**: the cost is the contractor's to pay back — in warranty, a contractor named, and
  reported on or before the end of the contractor's own period (``workflows.warranty.decide`` from the
  building's completion acceptance date); an in-warranty cost otherwise is the developer's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast
from uuid import UUID

from django.db.models import Count, Min, Q, Sum

from backend.analytics.models import OrderFact
from backend.core.dates import business_date
from backend.properties.models import Building, BuildingComponentContractor
from backend.workorders.definitions import active_definitions
from backend.workorders.models import (
    Assignment,
    GrabOffer,
    OwnerQuote,
    SlaClockEvent,
    SlaDeadline,
    TimelineEvent,
    WorkOrder,
)
from workflows import warranty as warranty_rules
from workflows.sla import policy_for
from workflows.values import Priority

NOT_COUNTED = frozenset({"cancelled", "rejected"})
TARGETS = ("response", "arrival", "resolution")
_TRAILING_DIGITS = re.compile(r"(\d{1,2})$")


def unit_position(number: str, floor: int | None) -> int:
    """The unit's door on its floor (户): ``1203`` on floor 12 is 3, ``3-0702`` is 2; 0 when unknown."""
    text = number.strip()
    if floor is not None and text.startswith(str(floor)) and text[len(str(floor)):].isdigit() \
            and text[len(str(floor)):]:
        return int(text[len(str(floor)):]) % 1000
    match = _TRAILING_DIGITS.search(text)
    return int(match.group(1)) if match else 0


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return months


@lru_cache(maxsize=512)
def _top_category(code: str) -> str:
    try:
        path = active_definitions().category_path(code)
    except Exception:  # noqa: BLE001 - an order keeps a code a later rule set removed: its own top
        return code
    return path[0] if path else code


def _on_time(statuses: list[tuple[str, Any]]) -> bool | None:
    if any(status in {"met_late", "breached"} or breached_at is not None for status, breached_at in statuses):
        return False
    if any(status == "met" for status, _b in statuses):
        return True
    return None


@lru_cache(maxsize=512)
def _policy(category_code: str, priority: str) -> tuple[str, frozenset[str]]:
    """(calendar code, pause reasons) of the SLA policy in force for this category and priority."""
    definitions = active_definitions()
    try:
        policy = policy_for(definitions, category_code, cast(Priority, priority))
    except Exception:  # noqa: BLE001 - an unknown code: the default policy
        policy = definitions.sla.default
    return policy.calendar, frozenset(policy.pause_on)


def waiting_intervals(events: list[tuple[str, datetime, str]]) -> list[tuple[datetime, datetime | None, str]]:
    """(start, end or None while open, reason) of each pause in an order's SLA clock events (kind,
    at, reason), in order: a pause ends at the next ``resumed`` or ``resolved``."""
    out: list[tuple[datetime, datetime | None, str]] = []
    open_pause: tuple[datetime, str] | None = None
    for kind, at, reason in events:
        if kind == "paused" and open_pause is None:
            open_pause = (at, reason)
        elif kind in {"resumed", "resolved"} and open_pause is not None:
            out.append((open_pause[0], at, open_pause[1]))
            open_pause = None
    if open_pause is not None:
        out.append((open_pause[0], None, open_pause[1]))
    return out


def resolution_business_seconds(*, category_code: str, priority: str, start: datetime, end: datetime,
                                waits: Sequence[tuple[datetime, datetime | None, str]] = ()) -> int:
    """Business time from ``start`` to ``end`` on the policy's calendar, less the waits the policy
    pauses on (clipped to the span)."""
    calendar_code, pause_on = _policy(category_code, priority)
    pauses = [(max(a, start), min(b or end, end)) for a, b, reason in waits
              if reason in pause_on and a < end and (b is None or b > start)]
    pauses = [(a, b) for a, b in pauses if b > a]
    return int(active_definitions().calendar(calendar_code).between(start, end, pauses).total_seconds())


def contractor_terms(building_ids: Iterable[UUID]) -> dict[tuple[UUID, str], tuple[UUID, date | None]]:
    """(building, component) → (contractor, end of the contractor's period or None when the building has
    no acceptance date) for every component a contractor is named for, in two queries."""
    named = list(BuildingComponentContractor.objects.filter(building_id__in=list(building_ids)).order_by()
                 .values_list("building_id", "component", "contractor_id"))
    if not named:
        return {}
    buildings = {b["id"]: b for b in Building.objects.filter(id__in={n[0] for n in named}).order_by().values(
        "id", "completion_acceptance_date", "design_life_years", "project__warranty_region")}
    out: dict[tuple[UUID, str], tuple[UUID, date | None]] = {}
    for building_id, component, contractor_id in named:
        b = buildings[building_id]
        ends = warranty_rules.decide(component=component, residential=True, handover=None,
                                     acceptance=b["completion_acceptance_date"],
                                     region=b["project__warranty_region"] or "default",
                                     design_life_years=b["design_life_years"])
        out[(building_id, component)] = (contractor_id, ends.contractor_end)
    return out


ORDER_FIELDS = (
    "id", "number", "project_id", "building_id", "unit_id", "unit__floor", "unit__number", "unit__layout",
    "unit__handover_date", "unit__building_id", "public_area__building_id", "category_code", "priority",
    "team_id", "technician_id", "state", "created_at", "warranty_verdict", "estimate_yuan", "actual_cost_yuan",
    "rating_timeliness", "rating_attitude", "rating_quality", "rating_comment",
)


def facts_compute(order_ids: Iterable[UUID] | None = None, *, now: datetime,
                  id_range: tuple[UUID, UUID] | None = None) -> list[OrderFact]:
    """The facts of ``order_ids`` or of every order whose id is within ``id_range`` (both ends
    included; the rebuild reads the table in id ranges rather than long ``IN`` lists)."""
    if id_range is not None:
        low, high = id_range
        orders_filter, related_filter = Q(id__gte=low, id__lte=high), Q(order_id__gte=low, order_id__lte=high)
    else:
        ids = list(order_ids or [])
        if not ids:
            return []
        orders_filter, related_filter = Q(id__in=ids), Q(order_id__in=ids)
    rows = list(WorkOrder.objects.filter(orders_filter).order_by().values(*ORDER_FIELDS))
    if not rows:
        return []
    steps: dict[Any, dict[str, Any]] = {
        row["order_id"]: dict(row)
        for row in TimelineEvent.objects.filter(related_filter, kind=TimelineEvent.Kind.STATE).order_by()
        .values("order_id").annotate(
            reopens=Count("id", filter=Q(to_state="reopened")),
            visits=Count("id", filter=Q(to_state="on_site")),
            first_completed_at=Min("created_at", filter=Q(to_state="completed")),
        )
    }
    deadlines: dict[tuple[UUID, str], list[tuple[str, Any]]] = defaultdict(list)
    for order_id, target, status, breached_at in SlaDeadline.objects.filter(related_filter).order_by() \
            .values_list("order_id", "target", "status", "breached_at"):
        deadlines[(order_id, target)].append((status, breached_at))
    offered = set(GrabOffer.objects.filter(related_filter).values_list("order_id", flat=True))
    taken = set(Assignment.objects.filter(related_filter, method=Assignment.Method.GRAB)
                .values_list("order_id", flat=True))
    clock: dict[Any, list[tuple[str, datetime, str]]] = defaultdict(list)
    for order_id, kind, at, reason in SlaClockEvent.objects.filter(
            related_filter, kind__in=("paused", "resumed", "resolved")).order_by("at", "id") \
            .values_list("order_id", "kind", "at", "reason"):
        clock[order_id].append((kind, at, reason))
    terms = contractor_terms({b for r in rows if (b := r["unit__building_id"] or r["building_id"]
                                                   or r["public_area__building_id"])})
    income = dict(OwnerQuote.objects.filter(related_filter, status=OwnerQuote.Status.ACCEPTED).order_by()
                  .values("order_id").annotate(total=Sum("amount_yuan")).values_list("order_id", "total"))
    return [_fact(row, steps.get(row["id"], {}), deadlines, row["id"] in offered, row["id"] in taken,
                  income.get(row["id"]) or Decimal("0"), waiting_intervals(clock.get(row["id"], [])), terms, now)
            for row in rows]


def _fact(row: dict[str, Any], step: dict[str, Any], deadlines: dict[tuple[UUID, str], list[tuple[str, Any]]],
          offered: bool, taken: bool, income: Decimal, waits: list[tuple[datetime, datetime | None, str]],
          terms: dict[tuple[UUID, str], tuple[UUID, date | None]], now: datetime) -> OrderFact:
    created_date = business_date(row["created_at"])
    building_id = row["unit__building_id"] or row["building_id"] or row["public_area__building_id"]
    top = _top_category(row["category_code"])
    component = warranty_rules.CATEGORY_COMPONENTS.get(top)
    contractor_id, contractor_end = terms.get((building_id, component), (None, None)) if component else (None, None)
    owes = bool(contractor_id and row["warranty_verdict"] == "in" and contractor_end is not None
                and created_date <= contractor_end)
    reopens, visits = int(step.get("reopens") or 0), int(step.get("visits") or 0)
    first_completed_at = step.get("first_completed_at")
    completed = first_completed_at is not None
    handover = row["unit__handover_date"]
    floor = row["unit__floor"]
    return OrderFact(
        order_id=row["id"], number=row["number"], project_id=row["project_id"],
        building_id=building_id,
        unit_id=row["unit_id"], floor=floor,
        position=unit_position(row["unit__number"], floor) if row["unit_id"] else None,
        layout=row["unit__layout"] or "", category_code=row["category_code"],
        top_category=top, priority=row["priority"], team_id=row["team_id"],
        technician_id=row["technician_id"], state=row["state"], created_at=row["created_at"],
        created_date=created_date, month=month_start(created_date), counted=row["state"] not in NOT_COUNTED,
        completed=completed, reopen_count=reopens, visit_count=visits,
        first_time_fix=(reopens == 0 and visits <= 1) if completed else None,
        resolution_business_seconds=resolution_business_seconds(
            category_code=row["category_code"], priority=row["priority"], start=row["created_at"],
            end=cast(datetime, first_completed_at), waits=waits) if completed else None,
        response_on_time=_on_time(deadlines.get((row["id"], "response"), [])),
        arrival_on_time=_on_time(deadlines.get((row["id"], "arrival"), [])),
        resolution_on_time=_on_time(deadlines.get((row["id"], "resolution"), [])),
        grab_offered=offered, grab_taken=taken, warranty=row["warranty_verdict"],
        estimate_yuan=row["estimate_yuan"], actual_cost_yuan=row["actual_cost_yuan"], paid_income_yuan=income,
        rating_timeliness=row["rating_timeliness"], rating_attitude=row["rating_attitude"],
        rating_quality=row["rating_quality"], rating_comment=row["rating_comment"] or "",
        months_since_handover=months_between(handover, created_date) if handover else None,
        contractor_id=contractor_id, contractor_owes=owes, refreshed_at=now,
    )
