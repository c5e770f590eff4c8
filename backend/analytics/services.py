"""Everything that writes the analytics tables (and nothing else: the core's tables are only read).

- ``facts_refresh(order_ids=...)``: recompute the facts of these orders from the core's rows and the
  roll-up slices (month × project, month × building) they were or are now in. Idempotent: running it
  twice, or for an order that did not change, leaves the same rows.
- ``refresh_changed()``: the incremental refresh beat runs every minute: the orders written, or given a
  timeline event, since the last run (by the sync stamp the database stamps on every write; the cursor
  is taken as in ``backend.core.cursors``, so a transaction that commits late is read by the next run).
- ``rollups_rebuild()``: everything from scratch (the management command ``analytics_rebuild``).

Every writer holds the ``RefreshState`` row locked, so refreshes never interleave.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from backend.analytics.facts import facts_compute
from backend.analytics.models import (
    MonthlyContractorCategory,
    MonthlyProjectCategory,
    MonthlyServiceRollup,
    MonthlyUnitCategory,
    OrderFact,
    RefreshState,
)
from backend.core.cursors import safe_cursor
from backend.workorders.models import TimelineEvent, WorkOrder

BATCH = 2000


def _bulk_write(model: Any, rows: list[Any]) -> None:
    """Insert unsaved rows: PostgreSQL's COPY (psycopg's public ``copy``) for the rebuild's millions of
    rows, ``bulk_create`` elsewhere. Values go as they are (UUID, Decimal, date, bool, int, str)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows, batch_size=1000)
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.get_internal_type() == "BigAutoField")]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as wrapper, wrapper.cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(getattr(row, f.attname) for f in fields))


def _lock() -> RefreshState:
    RefreshState.objects.get_or_create(id=1)
    return RefreshState.objects.select_for_update().get(id=1)


def facts_refresh(*, order_ids: Iterable[UUID], now: datetime) -> int:
    """Recompute the facts of ``order_ids`` and the roll-up slices they touch. Returns how many facts."""
    ids = list(dict.fromkeys(order_ids))
    with transaction.atomic():
        _lock()
        return _refresh(ids, now)


def _refresh(ids: list[UUID], now: datetime) -> int:
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        project_slices: set[tuple[date, UUID]] = set()
        building_slices: set[tuple[date, UUID]] = set()
        for month, project_id, building_id in OrderFact.objects.filter(order_id__in=chunk) \
                .values_list("month", "project_id", "building_id"):
            project_slices.add((month, project_id))
            if building_id:
                building_slices.add((month, building_id))
        facts = facts_compute(chunk, now=now)
        OrderFact.objects.filter(order_id__in=chunk).delete()
        _bulk_write(OrderFact, facts)
        for fact in facts:
            project_slices.add((fact.month, fact.project_id))
            if fact.building_id:
                building_slices.add((fact.month, fact.building_id))
        _rollup_projects(project_slices)
        _rollup_buildings(building_slices)
        written += len(facts)
    return written


def _by_month(slices: set[tuple[date, UUID]]) -> dict[date, list[UUID]]:
    grouped: dict[date, list[UUID]] = defaultdict(list)
    for month, key in slices:
        grouped[month].append(key)
    return grouped


def project_rollup_rows(facts: Any) -> list[MonthlyProjectCategory]:
    """The month × project × category rows of these facts (a plain GROUP BY over them)."""
    return [MonthlyProjectCategory(**row) for row in
            facts.filter(counted=True).order_by().values("month", "project_id", "category_code")
            .annotate(orders=Count("order_id"), reopened=Count("order_id", filter=Q(reopen_count__gt=0)),
                      actual_cost_yuan=Sum("actual_cost_yuan", default=0))]


def unit_rollup_rows(facts: Any) -> list[MonthlyUnitCategory]:
    """The month × unit × category rows of these facts (orders on a unit only)."""
    return [MonthlyUnitCategory(**row) for row in
            facts.filter(counted=True, unit_id__isnull=False).order_by()
            .values("month", "unit_id", "category_code", "project_id", "building_id", "floor", "position")
            .annotate(orders=Count("order_id"))]


ZERO = Decimal("0")
# The sums the service and cost pages are made of, over any set of counted facts. A roll-up row holds
# them for its key; a page adds rows up (``Sum`` of each column) or, where no roll-up serves its
# filters, takes them straight from the facts — the same numbers either way.
SERVICE_SUMS: dict[str, Any] = {
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
    "resolution_n": Count("resolution_business_seconds"),
    "resolution_seconds": Sum("resolution_business_seconds", default=0),
    "offered": Count("order_id", filter=Q(grab_offered=True)),
    "taken": Count("order_id", filter=Q(grab_taken=True)),
    "estimate": Sum("estimate_yuan", default=ZERO),
    "actual": Sum("actual_cost_yuan", default=ZERO),
    "in_warranty": Sum("actual_cost_yuan", filter=Q(warranty="in"), default=ZERO),
    # In warranty, split: what the contractors owe back; the rest (in_warranty - contractor_owed) the
    # developer bears.
    "contractor_owed": Sum("actual_cost_yuan", filter=Q(warranty="in", contractor_owes=True), default=ZERO),
    "out_warranty": Sum("actual_cost_yuan", filter=Q(warranty="out"), default=ZERO),
    "income": Sum("paid_income_yuan", default=ZERO),
    "timeliness_sum": Sum("rating_timeliness", default=0),
    "timeliness_n": Count("rating_timeliness"),
    "attitude_sum": Sum("rating_attitude", default=0),
    "attitude_n": Count("rating_attitude"),
    "quality_sum": Sum("rating_quality", default=0),
    "quality_n": Count("rating_quality"),
}
SERVICE_KEY = ("month", "project_id", "category_code", "top_category", "team_id", "technician_id")


def service_rollup_rows(facts: Any) -> list[MonthlyServiceRollup]:
    """The month × project × category × team × technician rows of these facts (counted orders)."""
    return [MonthlyServiceRollup(**row) for row in
            facts.filter(counted=True).order_by().values(*SERVICE_KEY).annotate(**SERVICE_SUMS)]


CONTRACTOR_KEY = ("month", "project_id", "category_code", "contractor_id")
CONTRACTOR_SUMS: dict[str, Any] = {
    "orders": Count("order_id"), "actual": SERVICE_SUMS["actual"], "in_warranty": SERVICE_SUMS["in_warranty"],
    "contractor_owed": SERVICE_SUMS["contractor_owed"],
}


def contractor_rollup_rows(facts: Any) -> list[MonthlyContractorCategory]:
    """The month × project × category × contractor rows of these facts (counted orders)."""
    return [MonthlyContractorCategory(**row) for row in
            facts.filter(counted=True).order_by().values(*CONTRACTOR_KEY).annotate(**CONTRACTOR_SUMS)]


# The roll-ups kept per month × project slice: (model, its rows of a set of facts).
PROJECT_ROLLUPS: tuple[tuple[Any, Any], ...] = (
    (MonthlyProjectCategory, project_rollup_rows), (MonthlyServiceRollup, service_rollup_rows),
    (MonthlyContractorCategory, contractor_rollup_rows))


def _rollup_projects(slices: set[tuple[date, UUID]]) -> None:
    for month, projects in _by_month(slices).items():
        facts = OrderFact.objects.filter(month=month, project_id__in=projects)
        for model, rows in PROJECT_ROLLUPS:
            model.objects.filter(month=month, project_id__in=projects).delete()
            model.objects.bulk_create(rows(facts), batch_size=1000)


def _rollup_buildings(slices: set[tuple[date, UUID]]) -> None:
    for month, buildings in _by_month(slices).items():
        MonthlyUnitCategory.objects.filter(month=month, building_id__in=buildings).delete()
        MonthlyUnitCategory.objects.bulk_create(
            unit_rollup_rows(OrderFact.objects.filter(month=month, building_id__in=buildings)), batch_size=1000)


def refresh_changed(*, now: datetime) -> int:
    """The incremental refresh: the orders written or given a timeline event since the last run."""
    with transaction.atomic():
        state = _lock()
        cursor = safe_cursor()
        changed = set(WorkOrder.objects.filter(sync_stamp__gte=state.watermark).values_list("id", flat=True))
        changed |= set(TimelineEvent.objects.filter(sync_stamp__gte=state.watermark).order_by()
                       .values_list("order_id", flat=True).distinct())
        written = _refresh(sorted(changed), now)
        RefreshState.objects.filter(id=1).update(watermark=max(cursor, state.watermark), refreshed_at=now)
    return written


def rollups_rebuild(*, now: datetime, progress: Any = None) -> int:
    """Every fact and roll-up from scratch. Returns how many facts."""
    with transaction.atomic():
        _lock()
        cursor = safe_cursor()
        for model, _rows in PROJECT_ROLLUPS:
            model.objects.all().delete()
        MonthlyUnitCategory.objects.all().delete()
        OrderFact.objects.all().delete()
        written = 0
        ids = WorkOrder.objects.order_by("id").values_list("id", flat=True)
        batch: list[UUID] = []
        for order_id in ids.iterator(chunk_size=BATCH * 5):
            batch.append(order_id)
            if len(batch) == BATCH * 5:
                written += _insert_facts((batch[0], batch[-1]), now)
                batch = []
                if progress:
                    progress(written)
        if batch:
            written += _insert_facts((batch[0], batch[-1]), now)
        for model, rows in PROJECT_ROLLUPS:
            _bulk_write(model, rows(OrderFact.objects.all()))
        _bulk_write(MonthlyUnitCategory, unit_rollup_rows(OrderFact.objects.all()))
        RefreshState.objects.filter(id=1).update(watermark=cursor, refreshed_at=now, rebuilt_at=now)
    return written


def _insert_facts(id_range: tuple[UUID, UUID], now: datetime) -> int:
    facts = facts_compute(now=now, id_range=id_range)
    _bulk_write(OrderFact, facts)
    return len(facts)
