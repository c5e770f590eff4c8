"""The service and cost pages read the month × project × category × team roll-up for whole months and
the facts for the days at a custom period's edges; whatever the history and the day range, every
number equals the same KPI computed by hand over the plain facts of that range."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from backend.analytics import selectors
from backend.analytics.filters import Filters
from backend.analytics.models import OrderFact
from backend.analytics.services import refresh_changed
from tests.analytics.test_rollups_equal_group_by import BASE, CATEGORIES, PATHS, run_path
from tests.analytics.world import make_world, report, set_cost

history = st.lists(
    st.tuples(st.integers(0, 11), st.sampled_from(CATEGORIES), st.integers(0, 120), st.integers(0, 23),
              st.sampled_from(sorted(PATHS)), st.sampled_from(["", "120.50", "80"])),
    min_size=1, max_size=7,
)
day_range = st.tuples(st.integers(0, 130), st.integers(0, 130))


def by_hand(facts: list[OrderFact]) -> dict:
    completed = [f for f in facts if f.completed]
    timed = sorted(f.resolution_business_seconds for f in facts if f.resolution_business_seconds is not None)
    share = lambda part, whole: round(part * 100 / whole, 1) if whole else None  # noqa: E731
    p90 = timed[max(0, math.ceil(0.9 * len(timed)) - 1)] if timed else None
    rated = [f.rating_quality for f in facts if f.rating_quality is not None]
    return {
        "orders": len(facts), "completed": len(completed),
        "first_time_fix": share(sum(1 for f in facts if f.first_time_fix), len(completed)),
        "reopen_rate": share(sum(1 for f in completed if f.reopen_count), len(completed)),
        "mean_hours": round(sum(timed) / len(timed) / 3600, 1) if timed else None,
        "p90_hours": round(p90 / 3600, 1) if p90 is not None else None,
        "rating": round(sum(rated) / len(rated), 2) if rated else None,
        "actual": sum((f.actual_cost_yuan or Decimal(0) for f in facts), Decimal(0)),
    }


class TestServiceRollupAgainstFacts(HypothesisTestCase):
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(history=history, days=day_range)
    def test_service_and_cost_numbers_equal_the_facts_of_any_day_range(self, history, days):
        world = make_world()
        for unit_index, category, days_before, hour, path, cost in history:
            start = BASE - timedelta(days=days_before) + timedelta(hours=hour)
            order = report(world, unit=world.units[unit_index], at=start, category=category)
            run_path(world, order, PATHS[path], start, False)
            if cost:
                set_cost(order, cost)
        refresh_changed(now=BASE)
        today = date(2026, 11, 30)
        first, last = sorted(today - timedelta(days=d) for d in days)
        filters = Filters.from_query(QueryDict(f"period=custom&start={first}&end={last}"), now=BASE)
        mine = {p.id for p in world.projects}
        facts = [f for f in OrderFact.objects.filter(counted=True, created_date__gte=first, created_date__lte=last)
                 if f.project_id in mine]
        expected = by_hand(facts)
        service = selectors.service_kpis(actor=world.director, filters=filters, now=BASE)
        cost = selectors.cost_satisfaction(actor=world.director, filters=filters)
        got = service["overall"]
        for name in ("orders", "completed", "first_time_fix", "reopen_rate", "mean_hours", "p90_hours", "rating"):
            assert got[name] == expected[name], name
        assert cost["overall"]["actual"] == expected["actual"]
        for row in service["categories"]:
            assert row == {**row, **{k: v for k, v in by_hand([f for f in facts if f.top_category == row["code"]])
                                     .items() if k != "actual"}}
        for row in cost["projects"]:
            assert row["actual"] == by_hand([f for f in facts if f.project_id == row["project_id"]])["actual"]
