"""Celery tasks of the resumable uploads: thin and idempotent."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from mobile_sync.uploads import services


@shared_task(name="mobile_sync.uploads_expire")
def uploads_expire() -> int:
    """Run by beat: expires uploads opened more than 24 h ago and deletes stale partial files.
    Safe to run twice or concurrently: each upload is claimed by a conditional update."""
    return services.uploads_expire(now=timezone.now())
