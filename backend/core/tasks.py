from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.core import services


@shared_task(name="backend.core.tasks.beat_heartbeat")
def beat_heartbeat() -> str:
    """Scheduled by beat, run by a worker: its row proves both processes and the broker work."""
    beat = services.heartbeat_record(name=services.BEAT, now=timezone.now())
    return beat.last_seen_at.isoformat()
