from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from backend.crm.demo import seed_codes, seed_crm


class Command(BaseCommand):
    help = "Loads the sales office's demo data (customers, pools, a funnel, the sales board). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_crm(now=timezone.now())
        seed_codes(now=timezone.now())
        if options["verbosity"] >= 1:
            self.stdout.write(f"crm demo: {created} new customers (logins sales, sales2, sales3, salesmgr)")
