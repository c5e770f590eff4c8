from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from owner_portal.demo import demo_owner_entry, seed_articles


class Command(BaseCommand):
    help = "Loads the portal's demo self-help articles (idempotent) and prints the demo homeowner's QR link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=None, help="Print the link for this local port.")

    def handle(self, *args: Any, port: int | None, **options: Any) -> None:
        created = seed_articles()
        if options["verbosity"] >= 2:
            self.stdout.write(f"{created} self-help articles added")
        entry = demo_owner_entry(now=timezone.now())
        if entry is None or port is None:
            return
        url = entry.url
        if "://127.0.0.1:" in url or "://localhost:" in url:
            url = f"http://127.0.0.1:{port}" + url[url.index("/q/"):]
        self.stdout.write("\n".join([
            "",
            "Homeowner portal (what a scanned QR code opens, best on a phone-sized window):",
            f"  {entry.place}: {url}",
            f"  owner's phone {entry.phone}; the SMS code is written to var/log/worker.log",
            f"  self-help articles: http://127.0.0.1:{port}/portal/kb",
            "",
        ]))
