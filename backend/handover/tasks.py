"""Handover's Celery tasks: thin and idempotent (each appointment's reminder is claimed once)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.handover import services


@shared_task(name="handover.reminders_send")
def reminders_send() -> int:
    return services.reminders_send(now=timezone.now())
