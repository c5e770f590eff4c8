"""Exit 0 when beat's heartbeat is recent, 1 otherwise: the beat container's health check."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backend.core.selectors import beat_health


class Command(BaseCommand):
    help = "Exit non-zero when beat has not written its heartbeat recently."

    def handle(self, *args: Any, **options: Any) -> None:
        report = beat_health(now=timezone.now())
        if report["status"] != "up":
            raise CommandError(f"beat is {report['status']}: {report}")
        self.stdout.write(f"beat is up ({report.get('age_seconds')} s since its heartbeat)")
