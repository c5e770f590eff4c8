from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from owner_portal.demo import demo_owner_entry, seed_articles


class Command(BaseCommand):
    help = "Loads the portal's demo self-help articles (idempotent) and prints the demo homeowner's QR link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=None, help="Print the demo links (given by ./run once the server is up).")

    def handle(self, *args: Any, port: int | None, **options: Any) -> None:
        created = seed_articles()
        if options["verbosity"] >= 2:
            self.stdout.write(f"{created} self-help articles added")
        entry = demo_owner_entry(now=timezone.now())
        if entry is None or port is None:
            return
        # The same address as the QR labels and the text messages (PUBLIC_BASE_URL, which follows
        # $PORT in embedded mode), so that what is printed here is what an owner would scan.
        self.stdout.write("\n".join([
            "",
            "Homeowner portal (what a scanned QR code opens, best on a phone-sized window):",
            f"  {entry.place}: {entry.url}",
            f"  owner's phone {entry.phone}; the SMS code is written to var/log/worker.log",
            f"  self-help articles: {settings.PUBLIC_BASE_URL}/portal/kb",
            "",
        ]))
