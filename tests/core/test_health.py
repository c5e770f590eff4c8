from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from backend.core import services
from backend.core.tasks import beat_heartbeat

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_health_is_degraded_until_beat_has_run():
    response = Client().get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["components"]["database"]["status"] == "up"
    assert body["components"]["channel_layer"]["status"] == "up"
    assert body["components"]["broker"]["status"] == "up"
    assert body["components"]["beat"] == {"status": "down", "last_seen_at": None, "reason": "no heartbeat recorded yet"}


def test_health_is_ok_when_the_heartbeat_task_ran():
    beat_heartbeat.run()
    body = Client().get("/api/v1/health").json()
    assert body["status"] == "ok", body
    assert body["components"]["beat"]["status"] == "up"


@time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_a_stale_heartbeat_is_reported_down():
    services.heartbeat_record(name=services.BEAT, now=timezone.now() - timedelta(hours=1))
    body = Client().get("/api/v1/health").json()
    assert body["components"]["beat"]["status"] == "down"
    assert body["components"]["beat"]["age_seconds"] >= 3600


def test_broker_down_is_reported(settings):
    from backend.config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        body = Client().get("/api/v1/health").json()
    finally:
        app.conf.broker_url = original
    assert body["components"]["broker"]["status"] == "down"
    assert body["status"] == "degraded"


# The health view reads the clock itself: the date is frozen, not whatever today is. chinese-calendar
# 1.11 knows the official holidays up to 2026; the warning looks 90 days ahead.
@time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_health_warns_about_years_without_official_holidays_and_missing_teams():
    beat_heartbeat.run()
    body = Client().get("/api/v1/health").json()
    codes = {w["code"] for w in body["warnings"]}
    # No 2027 调休 yet and 2027 starts within 90 days; routing names teams this empty database lacks.
    assert any(w.get("year") == 2027 for w in body["warnings"]), body["warnings"]
    assert "definitions.teams_missing" in codes
    assert body["status"] == "ok"  # warnings do not make a component down


@time_machine.travel(datetime(2026, 5, 13, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_no_holiday_warning_while_next_year_is_more_than_90_days_away():
    beat_heartbeat.run()
    body = Client().get("/api/v1/health").json()
    assert not [w for w in body["warnings"] if w.get("year")], body["warnings"]


@time_machine.travel(datetime(2026, 10, 3, 0, 30, tzinfo=SHANGHAI), tick=False)
def test_the_lookahead_counts_from_the_shanghai_date():
    # 00:30 on 3 October in Shanghai is still 2 October in UTC: 90 days from the business date reach
    # 1 January 2027, 90 days from the UTC date do not.
    beat_heartbeat.run()
    body = Client().get("/api/v1/health").json()
    assert any(w.get("year") == 2027 for w in body["warnings"]), body["warnings"]
