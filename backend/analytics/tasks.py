"""Celery tasks of the analytics context: thin and idempotent."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.analytics import services


@shared_task(name="analytics.refresh_changed")
def refresh_changed() -> int:
    """Beat, every minute: the facts and roll-ups of the orders changed since the last run. Running it
    twice (or two at once: they queue on the refresh row) gives the same tables."""
    return services.refresh_changed(now=timezone.now())
