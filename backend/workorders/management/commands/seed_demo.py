from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from backend.properties.demo import DEMO_LOGINS, seed_demo
from backend.workorders.demo import seed_history, seed_orders, seed_pending_approvals


class Command(BaseCommand):
    help = ("Loads deterministic demo data (projects, units, owners, teams, technicians, one login per role, "
            "work orders in every state). Idempotent.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1,
                            help="About 1 000 units per step (default 1; 120 gives more than 100 000).")
        parser.add_argument("--no-orders", action="store_true", help="Registry and people only.")

    def handle(self, *args: Any, scale: int, no_orders: bool, **options: Any) -> None:
        if scale < 1:
            raise CommandError("--scale must be at least 1")
        started = time.monotonic()
        verbose = options["verbosity"] >= 2
        now = timezone.now()
        summary = seed_demo(scale=scale, now=now,
                            progress=(lambda line: self.stdout.write(f"  {line}")) if verbose else None)
        orders = seed_orders(now=now) if not no_orders else None
        waiting = seed_pending_approvals(now=now) if not no_orders else 0
        history = seed_history(now=now) if not no_orders else 0
        elapsed = time.monotonic() - started
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"demo data (scale {scale}) in {elapsed:.1f} s: {summary.projects} projects, {summary.buildings} "
                f"buildings, {summary.units} units, {summary.public_areas} public areas, {summary.owners} owners, "
                f"{summary.ownerships} ownerships, {summary.technicians} technicians"
                + (f", {orders.created} new work orders" if orders is not None else "")
                + (f", {waiting} estimates awaiting approval" if waiting else "")
                + (f", {history} finished orders of the past year" if history else "")
            )
        if verbose:
            for login in DEMO_LOGINS:
                self.stdout.write(f"  {login.username:<12} {login.role:<22} {login.password}")
