from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from backend.handover.demo import seed_handover


class Command(BaseCommand):
    help = ("Loads the handover officer's demo batch (units from the CRM's ready list, slots, appointments, an "
            "inspection with defects, a unit handed over). Idempotent; run after seed_demo and seed_crm_demo.")

    def handle(self, *args: Any, **options: Any) -> None:
        units = seed_handover(now=timezone.now())
        if options["verbosity"] >= 1:
            self.stdout.write(f"handover demo: {units} units in a new batch (login handover)" if units
                              else "handover demo: the demo batch exists already (or no project on sale)")
