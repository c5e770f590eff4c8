"""The roll-ups, kept current incrementally while histories happen, always equal a plain GROUP BY over
the core's raw tables, and equal a rebuild from scratch."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backend.analytics.models import MonthlyContractorCategory, MonthlyProjectCategory, MonthlyUnitCategory
from backend.analytics.selectors import rollups_differences
from backend.analytics.services import refresh_changed, rollups_rebuild
from backend.properties.models import BuildingComponentContractor
from backend.workorders.definitions import active_definitions
from backend.workorders.models import TimelineEvent, WorkOrder
from backend.workorders.states import State
from tests.analytics.world import FIX, make_world, report, step, walk
from workflows.warranty import CATEGORY_COMPONENTS

S = State
SHANGHAI = ZoneInfo("Asia/Shanghai")
PATHS = {
    "open": [],
    "accepted": [S.ACCEPTED],
    "cancelled": [S.CANCELLED],
    "rejected": [S.REJECTED],
    "assigned_then_cancelled": ["assign", S.CANCELLED],
    "fixed": FIX,
    "closed": [*FIX, S.CLOSED],
    "held": ["assign", S.ON_SITE, S.IN_PROGRESS, "wait", S.IN_PROGRESS, S.COMPLETED],
    "reassigned": ["assign", "reassign", S.ON_SITE, S.IN_PROGRESS, S.COMPLETED],
    "reopened": [*FIX, S.REOPENED],
    "reopened_fixed_again": [*FIX, S.REOPENED, "assign", S.ON_SITE, S.IN_PROGRESS, S.COMPLETED, S.CLOSED],
}
CATEGORIES = ["drainage", "water-supply", "bathroom-leak", "roof-leak", "wall-crack", "tiles"]

history = st.lists(
    st.tuples(
        st.integers(0, 11),  # unit
        st.sampled_from(CATEGORIES),
        st.integers(0, 400),  # days before the base instant (months and month edges in Shanghai)
        st.integers(0, 23),  # hour (UTC): 16:00 UTC and later is the next Shanghai day
        st.sampled_from(sorted(PATHS)),
        st.booleans(),  # device steps synced late
        st.booleans(),  # refresh after this order (incremental, interleaved with the histories)
    ),
    min_size=1, max_size=8,
)

BASE = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


def raw_project_rows() -> set[tuple]:
    reopened = TimelineEvent.objects.filter(order=OuterRef("pk"), kind="state", to_state=S.REOPENED)
    rows = (WorkOrder.objects.exclude(state__in=[S.CANCELLED, S.REJECTED]).annotate(
        m=TruncMonth("created_at", tzinfo=SHANGHAI), was_reopened=Exists(reopened))
        .values("m", "project_id", "category_code")
        .annotate(n=Count("id"), r=Count("id", filter=Q(was_reopened=True))))
    return {(_day(row["m"]), row["project_id"], row["category_code"], row["n"], row["r"]) for row in rows}


def raw_unit_rows() -> set[tuple]:
    rows = (WorkOrder.objects.exclude(state__in=[S.CANCELLED, S.REJECTED]).filter(unit__isnull=False)
            .annotate(m=TruncMonth("created_at", tzinfo=SHANGHAI))
            .values("m", "unit_id", "unit__building_id", "unit__floor", "category_code").annotate(n=Count("id")))
    return {(_day(row["m"]), row["unit_id"], row["unit__building_id"], row["unit__floor"], row["category_code"],
             row["n"]) for row in rows}


def raw_contractor_rows() -> set[tuple]:
    """Counted orders per month × project × category × contractor, by hand over the raw orders and the
    registry: the contractor of the order's building for its top category's component."""
    named = {(b, c): k for b, c, k in BuildingComponentContractor.objects.values_list(
        "building_id", "component", "contractor_id")}
    counts: Counter = Counter()
    for row in (WorkOrder.objects.exclude(state__in=[S.CANCELLED, S.REJECTED])
                .annotate(m=TruncMonth("created_at", tzinfo=SHANGHAI))
                .values("m", "project_id", "category_code", "unit__building_id")):
        top = active_definitions().category_path(row["category_code"])[0]
        contractor = named.get((row["unit__building_id"], CATEGORY_COMPONENTS.get(top)))
        counts[(_day(row["m"]), row["project_id"], row["category_code"], contractor)] += 1
    return {(*key, n) for key, n in counts.items()}


def stored_contractor_rows() -> set[tuple]:
    return {(r.month, r.project_id, r.category_code, r.contractor_id, r.orders)
            for r in MonthlyContractorCategory.objects.all()}


def _day(value):
    return value.date() if isinstance(value, datetime) else value


def stored_project_rows() -> set[tuple]:
    return {(r.month, r.project_id, r.category_code, r.orders, r.reopened) for r in MonthlyProjectCategory.objects.all()}


def stored_unit_rows() -> set[tuple]:
    return {(r.month, r.unit_id, r.building_id, r.floor, r.category_code, r.orders)
            for r in MonthlyUnitCategory.objects.all()}


def run_path(world, order, path, start, late):
    at = start
    for action in path:
        at += timedelta(hours=1)
        if action == "reassign":
            step(world, order, "assign", at, technician=world.technicians[1])
        else:
            walk(world, order, [action], at - timedelta(hours=1), device_late=late)


class TestRollUpsAgainstRawOrders(HypothesisTestCase):
    """Each generated history runs in a transaction of its own (rolled back after the example)."""

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(history=history)
    def test_incremental_roll_ups_equal_a_group_by_over_the_raw_orders(self, history):
        check_history(history)


def check_history(history):
    # Buildings accepted and contractors named for two components (waterproofing and pipes; the
    # structure and fit-out categories have none): each order's contractor, and whether it owes its
    # cost back, vary. Accepted 2025-01-01, every order here is within every period (a completion out
    # of warranty would need a quote); the period ending before the owner's: test_contractors.py.
    world = make_world(acceptance=date(2025, 1, 1),
                       contractors={"wet_room_waterproofing": "防水公司", "plumbing_pipes": "管道公司"})
    for unit_index, category, days, hour, path, late, refresh in history:
        start = BASE - timedelta(days=days) + timedelta(hours=hour)
        order = report(world, unit=world.units[unit_index], at=start, category=category)
        run_path(world, order, PATHS[path], start, late)
        if refresh:
            refresh_changed(now=start)
    refresh_changed(now=BASE)
    mine = {p.id for p in world.projects}
    assert {r for r in stored_project_rows() if r[1] in mine} == {r for r in raw_project_rows() if r[1] in mine}
    units = {u.id for u in world.units}
    assert {r for r in stored_unit_rows() if r[1] in units} == {r for r in raw_unit_rows() if r[1] in units}
    assert {r for r in stored_contractor_rows() if r[1] in mine} == \
        {r for r in raw_contractor_rows() if r[1] in mine}
    assert rollups_differences(now=BASE) == []


@pytest.mark.django_db
def test_refreshing_twice_changes_nothing_and_a_rebuild_gives_the_same_tables():
    world = make_world()
    for index, path in enumerate(["fixed", "reopened", "cancelled", "closed"]):
        start = BASE - timedelta(days=40 * index)
        order = report(world, unit=world.units[index], at=start)
        run_path(world, order, PATHS[path], start, False)
    refresh_changed(now=BASE)
    first = (stored_project_rows(), stored_unit_rows())
    # Nothing changed since. SQLite's cursor is past every write (nothing is read again); PostgreSQL's
    # is the snapshot's xmin, so rows of a transaction still open (this test's own) are read again.
    assert refresh_changed(now=BASE) <= len(world.orders)
    assert (stored_project_rows(), stored_unit_rows()) == first
    rollups_rebuild(now=BASE)
    assert (stored_project_rows(), stored_unit_rows()) == first
    assert first[0] == raw_project_rows()


@pytest.mark.django_db
def test_a_step_taken_after_a_refresh_is_picked_up_by_the_next():
    world = make_world()
    order = report(world, unit=world.units[0], at=BASE)
    refresh_changed(now=BASE)
    assert stored_project_rows() == raw_project_rows()
    walk(world, order, [S.CANCELLED], BASE)
    refresh_changed(now=BASE + timedelta(hours=2))
    assert stored_project_rows() == raw_project_rows() == set()
