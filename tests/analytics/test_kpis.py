"""Each KPI against a small case computed by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import RequestFactory

from backend.analytics.filters import Filters
from backend.analytics.models import OrderFact
from backend.analytics.selectors import percentile, service_kpis
from backend.analytics.services import refresh_changed
from backend.workorders.states import State
from tests.analytics.world import FIX, make_world, report, walk

S = State
SH = ZoneInfo("Asia/Shanghai")


def filters(**query: str) -> Filters:
    return Filters.from_query(RequestFactory().get("/", {"period": "year", "month": "2026-12", **query}).GET,
                              now=datetime(2026, 12, 2, tzinfo=SH))


def test_p90_is_the_nearest_rank():
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile([5], 0.9) == 5
    assert percentile([30, 10, 20], 0.9) == 30  # ceil(2.7) = 3rd of 3
    assert percentile([], 0.9) is None


@pytest.mark.django_db
def test_resolution_counts_business_hours_of_the_policy_calendar_only():
    """drainage P3 is on the office calendar (08:30-12:00, 13:30-17:30, Mon-Fri). Reported Monday 16:30,
    completed Tuesday 10:00: 1 h on Monday + 1.5 h on Tuesday = 2.5 business hours."""
    world = make_world()
    start = datetime(2026, 11, 30, 16, 30, tzinfo=SH)
    order = report(world, unit=world.units[0], at=start)
    steps = ["assign", S.EN_ROUTE, S.ON_SITE, S.IN_PROGRESS]
    at = walk(world, order, steps, start, gap=timedelta(minutes=5))
    assert at < datetime(2026, 11, 30, 17, 30, tzinfo=SH)
    walk(world, order, [S.COMPLETED], datetime(2026, 12, 1, 9, 0, tzinfo=SH))  # the step at 10:00
    refresh_changed(now=datetime(2026, 12, 1, 12, 0, tzinfo=SH))
    fact = OrderFact.objects.get(order_id=order.id)
    assert fact.resolution_business_seconds == 9000
    assert fact.completed and fact.first_time_fix is True and fact.visit_count == 1


@pytest.mark.django_db
def test_first_time_fix_reopen_rate_mean_and_p90_of_a_hand_computed_case():
    """Four orders on Wednesday 2026-11-25, 09:00 Shanghai (office calendar):
    A fixed in one visit (3 business hours); B fixed, reopened, fixed again (first completion after
    1 business hour; two visits); C fixed in one visit (2 business hours); D cancelled (not counted).
    Completed 3, first-time fix 2/3 = 66.7 %, reopen 1/3 = 33.3 %, mean (3+1+2)/3 = 2.0 h, P90 3.0 h."""
    world = make_world()
    start = datetime(2026, 11, 25, 9, 0, tzinfo=SH)
    a, b, c, d = (report(world, unit=world.units[i], at=start) for i in range(4))
    walk(world, a, FIX, start, gap=timedelta(minutes=36))  # completed at 12:00 (the morning: 3 h)
    walk(world, b, FIX, start, gap=timedelta(minutes=12))  # completed at 10:00 (1 h)
    walk(world, b, [S.REOPENED, "assign", S.ON_SITE, S.IN_PROGRESS, S.COMPLETED], datetime(2026, 11, 26, 9, 0,
                                                                                          tzinfo=SH))
    walk(world, c, FIX, start, gap=timedelta(minutes=24))  # completed at 11:00 (2 h)
    walk(world, d, [S.CANCELLED], start)
    refresh_changed(now=datetime(2026, 11, 27, tzinfo=SH))
    overall = service_kpis(actor=world.director, filters=filters(), now=datetime(2026, 11, 27, tzinfo=SH))["overall"]
    assert overall["orders"] == 3 and overall["completed"] == 3
    assert overall["first_time_fix"] == 66.7
    assert overall["reopen_rate"] == 33.3
    assert overall["mean_hours"] == 2.0
    assert overall["p90_hours"] == 3.0
    facts = {f.order_id: f for f in OrderFact.objects.all()}
    assert (facts[b.id].reopen_count, facts[b.id].visit_count, facts[b.id].first_time_fix) == (1, 2, False)
    assert facts[d.id].counted is False


@pytest.mark.django_db
def test_an_order_reported_at_00_30_shanghai_counts_in_that_shanghai_month():
    """2026-12-01 00:30 in Shanghai is 2026-11-30 16:30 UTC: the order belongs to December."""
    world = make_world()
    order = report(world, unit=world.units[0], at=datetime(2026, 12, 1, 0, 30, tzinfo=SH))
    refresh_changed(now=datetime(2026, 12, 1, 1, 0, tzinfo=SH))
    fact = OrderFact.objects.get(order_id=order.id)
    assert str(fact.month) == "2026-12-01"
    assert fact.months_since_handover == 21  # handed over 2025-03-01
