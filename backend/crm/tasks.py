"""Beat tasks: thin and idempotent (each service claims its rows with a conditional update)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.crm import services


@shared_task(name="crm.pool_sweep")
def pool_sweep() -> dict[str, int]:
    """Every minute: warnings, alerts, recycling, ended grab countdowns, expired reservations, overdue lines."""
    now = timezone.now()
    return {
        "grab_fallbacks": services.grab_fallback_due(now=now),
        "warned": services.warn_due(now=now),
        "recycled": services.recycle_due(now=now),
        "alerts": services.alerts_due(now=now),
        "reservations_expired": services.reservations_expire(now=now),
        "overdue_reminders": services.overdue_reminders_due(now=now),
    }


@shared_task(name="crm.grab_sweep")
def grab_sweep() -> int:
    return services.grab_fallback_due(now=timezone.now())
