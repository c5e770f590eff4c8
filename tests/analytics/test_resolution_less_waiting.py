"""Resolution time leaves out the time an order waited, where its SLA policy pauses the clocks for
that reason (the same pauses as the SLA's resolution clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.analytics.facts import _policy, resolution_business_seconds
from backend.analytics.models import OrderFact
from backend.analytics.services import refresh_changed
from backend.workorders.models import SlaClockEvent, TimelineEvent
from backend.workorders.states import State
from tests.analytics.world import make_world, report, walk

S = State
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday


@pytest.mark.django_db
def test_an_order_waiting_for_parts_resolves_in_its_business_time_less_the_wait():
    world = make_world()
    held = report(world, unit=world.units[1], at=START)
    walk(world, held, ["assign", S.ON_SITE, S.IN_PROGRESS, "wait", S.IN_PROGRESS, S.COMPLETED], START)
    refresh_changed(now=START + timedelta(days=1))
    paused = SlaClockEvent.objects.get(order=held, kind="paused")
    resumed = SlaClockEvent.objects.get(order=held, kind="resumed")
    assert paused.reason == "waiting_parts" and "waiting_parts" in _policy(held.category_code, held.priority)[1]
    completed_at = TimelineEvent.objects.get(order=held, to_state=S.COMPLETED).created_at
    report_at = OrderFact.objects.get(order_id=held.id).created_at
    whole = resolution_business_seconds(category_code=held.category_code, priority=held.priority,
                                        start=report_at, end=completed_at)
    # The wait counted in the same business time (it may straddle a lunch break).
    waited = resolution_business_seconds(category_code=held.category_code, priority=held.priority,
                                         start=paused.at, end=resumed.at)
    assert waited > 0
    assert OrderFact.objects.get(order_id=held.id).resolution_business_seconds == whole - waited


@pytest.mark.django_db
def test_only_the_waits_the_policy_pauses_on_are_left_out_and_they_are_clipped_to_the_span():
    end = START + timedelta(hours=6)
    full = resolution_business_seconds(category_code="drainage", priority="P3", start=START, end=end)
    _calendar, pause_on = _policy("drainage", "P3")
    reason = sorted(pause_on)[0]
    wait = [(START - timedelta(hours=1), START + timedelta(hours=2), reason)]  # starts before the report
    assert resolution_business_seconds(category_code="drainage", priority="P3", start=START, end=end,
                                       waits=wait) == full - 2 * 3600
    still_waiting = [(START + timedelta(hours=5), None, reason)]
    assert resolution_business_seconds(category_code="drainage", priority="P3", start=START, end=end,
                                       waits=still_waiting) == full - 3600
    assert resolution_business_seconds(category_code="drainage", priority="P3", start=START, end=end,
                                       waits=[(START, end, "not-a-pause-reason")]) == full
