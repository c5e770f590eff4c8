"""Celery tasks of outbound notifications: thin, idempotent, each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.notifications import services


@shared_task(name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: str) -> str:
    """One attempt at one delivery. Safe to run twice: the claim lets one run send, the other skips."""
    return services.delivery_attempt(delivery_id=delivery_id, now=timezone.now())


@shared_task(name="notifications.deliveries_due", ignore_result=True)
def deliveries_due() -> int:
    """Run by beat every 30 s: queues retries that are due and deliveries whose message was lost."""
    ids = services.deliveries_due(now=timezone.now())
    for delivery_id in ids:
        deliver.delay(str(delivery_id))
    return len(ids)
