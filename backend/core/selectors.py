"""Reads about the system itself: the health report."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from celery import current_app
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

from backend.core.models import Heartbeat
from backend.core.services import BEAT


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 — the report shows the failure instead of raising
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "up", "vendor": connection.vendor}


CHANNEL_ROUNDTRIP_SECONDS = 5


async def _channel_roundtrip() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    channel = await layer.new_channel("health.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.ping", "token": token})
    # Bounded: a layer that does not deliver is "down" within seconds, not a probe hanging on a read.
    message = await asyncio.wait_for(layer.receive(channel), timeout=CHANNEL_ROUNDTRIP_SECONDS)
    return bool(message.get("token") == token)


def _check_channel_layer() -> dict[str, Any]:
    backend = str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).rsplit(".", 1)[-1]
    try:
        ok = async_to_sync(_channel_roundtrip)()
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "backend": backend, "error": exc.__class__.__name__}
    return {"status": "up" if ok else "down", "backend": backend}


def _check_broker() -> dict[str, Any]:
    app = current_app  # the project's Celery app (backend.config.celery), set as current when it loads

    url = str(settings.CELERY_BROKER_URL)
    transport = url.split("://", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "transport": transport, "error": exc.__class__.__name__}
    return {"status": "up", "transport": transport}


def _check_beat(now: datetime) -> dict[str, Any]:
    beat = Heartbeat.objects.filter(name=BEAT).first()
    if beat is None:
        return {"status": "down", "last_seen_at": None, "reason": "no heartbeat recorded yet"}
    age = (now - beat.last_seen_at).total_seconds()
    status = "up" if age <= settings.BEAT_HEARTBEAT_MAX_AGE_SECONDS else "down"
    return {"status": status, "last_seen_at": beat.last_seen_at.isoformat(), "age_seconds": round(age, 1)}


def health_report(*, now: datetime) -> dict[str, Any]:
    components = {
        "database": _check_database(),
        "channel_layer": _check_channel_layer(),
        "broker": _check_broker(),
    }
    components["beat"] = _check_beat(now) if components["database"]["status"] == "up" else {"status": "unknown"}
    warnings: list[dict[str, Any]] = []
    for provider in HEALTH_WARNING_PROVIDERS:
        warnings.extend(provider(now))
    ok = all(c["status"] == "up" for c in components.values())
    return {"status": "ok" if ok else "degraded", "components": components, "warnings": warnings,
            "checked_at": now.isoformat()}


# Other contexts append callables (now -> list of warnings) here, e.g. calendars missing official holiday data.
HEALTH_WARNING_PROVIDERS: list[Any] = []


def beat_health(*, now: datetime) -> dict[str, Any]:
    """Beat's heartbeat alone (the beat container's health check, ``manage.py beat_health``)."""
    return _check_beat(now)
