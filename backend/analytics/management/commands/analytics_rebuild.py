from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from backend.analytics.selectors import rollups_differences
from backend.analytics.services import refresh_changed, rollups_rebuild


class Command(BaseCommand):
    help = ("Rebuilds the analytics facts and roll-ups from the work orders (--incremental: only what changed "
            "since the last refresh; --check: compare the stored tables with a computation from scratch).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incremental", action="store_true")
        parser.add_argument("--check", action="store_true")

    def handle(self, *args: Any, incremental: bool, check: bool, **options: Any) -> None:
        started = time.monotonic()
        now = timezone.now()
        if check:
            problems = rollups_differences(now=now)
            for line in problems[:50]:
                self.stdout.write(line)
            if problems:
                raise CommandError(f"{len(problems)} differences between the roll-ups and a rebuild")
            self.stdout.write("roll-ups equal a rebuild")
            return
        written = refresh_changed(now=now) if incremental else rollups_rebuild(now=now)
        if options["verbosity"] >= 1:
            self.stdout.write(f"analytics: {written} order facts in {time.monotonic() - started:.1f} s")
