"""The dispatch board shows a day: the visits planned on it (today also the backlog), in time order; a
technician's new position reaches the board's map live, and only viewers who see the whole board."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import override_settings

from backend.console.selectors import board
from backend.workorders.live.broadcast import group_for_team
from backend.workorders.models import WorkOrder
from backend.workorders.services import technician_status_update
from tests.workorders.factories import WorkOrderFactory
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


def _planned(side, start: datetime) -> WorkOrder:
    return WorkOrderFactory(unit=side.unit, team=side.team, created_at=NOW - timedelta(days=3),
                            preferred_slots=[{"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}])


def _cards(data) -> list[str]:
    return [c["number"] for lane in data["lanes"] for c in lane["cards"]] + [c["number"] for c in data["side"]]


def test_a_day_shows_its_planned_visits_and_today_also_the_backlog_in_time_order():
    a, _b = two_sides()
    # Planned at 23:30 Shanghai on the 26th: still the 26th in Shanghai (the 26th 15:30 UTC).
    tomorrow_late = _planned(a, datetime(2026, 11, 26, 23, 30, tzinfo=SHANGHAI))
    tomorrow_early = _planned(a, datetime(2026, 11, 26, 0, 30, tzinfo=SHANGHAI))  # the 25th 16:30 UTC
    today_visit = _planned(a, datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI))
    overdue_visit = _planned(a, datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI))
    today = _cards(board(actor=a.dispatcher, team_id=a.team.id, day=NOW.date(), now=NOW))
    assert today_visit.number in today and overdue_visit.number in today and a.order.number in today
    assert tomorrow_late.number not in today and tomorrow_early.number not in today
    tomorrow = _cards(board(actor=a.dispatcher, team_id=a.team.id, day=NOW.date() + timedelta(days=1), now=NOW))
    assert tomorrow == [tomorrow_early.number, tomorrow_late.number]
    assert _cards(board(actor=a.dispatcher, team_id=a.team.id, day=NOW.date() + timedelta(days=2), now=NOW)) == []


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}})
def test_a_position_report_is_sent_to_the_technicians_team_board_after_commit(django_capture_on_commit_callbacks):
    a, _b = two_sides()
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_for_team(a.team.id), channel)
    with django_capture_on_commit_callbacks(execute=True):
        technician_status_update(actor=a.technician, on_duty=True, latitude=Decimal("30.2801"),
                                 longitude=Decimal("120.1602"), now=NOW)
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "technician.moved" and message["technician_id"] == str(a.technician.id)
    assert message["value"] == [120.1602, 30.2801]
