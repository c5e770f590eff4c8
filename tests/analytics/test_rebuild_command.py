"""``manage.py analytics_rebuild``: rebuilds, refreshes incrementally, and --check fails on any
difference between the stored tables and a computation from scratch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from backend.analytics.models import MonthlyUnitCategory, OrderFact
from tests.analytics.world import FIX, make_world, report, walk

BASE = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_check_passes_after_a_rebuild_and_fails_when_a_roll_up_row_is_wrong():
    world = make_world()
    for i in range(3):
        order = report(world, unit=world.units[i], at=BASE - timedelta(days=30 * i))
        walk(world, order, FIX, BASE - timedelta(days=30 * i))
    call_command("analytics_rebuild", stdout=StringIO())
    assert OrderFact.objects.count() == 3
    out = StringIO()
    call_command("analytics_rebuild", "--check", stdout=out)
    assert "equal" in out.getvalue()
    MonthlyUnitCategory.objects.filter(unit_id=world.units[0].id).update(orders=7)
    with pytest.raises(CommandError):
        call_command("analytics_rebuild", "--check", stdout=StringIO())
    call_command("analytics_rebuild", stdout=StringIO())
    call_command("analytics_rebuild", "--check", stdout=StringIO())


@pytest.mark.django_db
def test_incremental_picks_up_a_new_order():
    world = make_world()
    call_command("analytics_rebuild", stdout=StringIO())
    report(world, unit=world.units[0], at=BASE)
    call_command("analytics_rebuild", "--incremental", stdout=StringIO())
    assert OrderFact.objects.count() == 1
    call_command("analytics_rebuild", "--check", stdout=StringIO())
