"""The Celery application. Broker: Redis in production, a filesystem transport in embedded mode."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")

app = Celery("anxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
