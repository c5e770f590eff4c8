from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.core import services
from backend.core.tasks import beat_heartbeat

pytestmark = pytest.mark.django_db


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


def test_health_warns_about_years_without_official_holidays_and_missing_teams():
    beat_heartbeat.run()
    body = Client().get("/api/v1/health").json()
    codes = {w["code"] for w in body["warnings"]}
    # chinese-calendar 1.11 knows no 2027 调休, and routing names teams this empty database lacks.
    assert any(w.get("year") == 2027 for w in body["warnings"]), body["warnings"]
    assert "definitions.teams_missing" in codes
    assert body["status"] == "ok"  # warnings do not make a component down
