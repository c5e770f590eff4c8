"""``rules_simulation_rate``: orders per second a draft's simulation replays over 30 days of history
(10 000 orders on PostgreSQL: routing, SLA schedule from each order's clock events, approval graph of
its estimates, and the diff against what is stored) — against routing + SLA scheduling of the same
orders by the engine alone, with the facts and clock events already in memory, in the same run.
ratio = simulation rate / engine rate; target >= 0.5 (the simulation's reads and diffs cost at most as
much as the engine).

Run: ``.venv/bin/python bench/rules_simulation.py [--orders 10000] [--rounds 3]``. Uses
``$DATABASE_URL`` when it names a PostgreSQL database, otherwise creates ``anxin_bench_rules`` on the
local server (dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import bench_database, drop_bench_database  # noqa: E402


def main() -> int:  # noqa: PLR0915 — a linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url, created = bench_database("anxin_bench_rules")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from backend.accounts.models import User
    from backend.properties.models import Unit
    from backend.rules.simulation import simulate
    from backend.workorders.dispatch.routing import order_facts
    from backend.workorders.intake.numbering import format_number
    from backend.workorders.models import ApprovalInstance, SlaClockEvent, SlaDeadline, WorkOrder
    from backend.workorders.sla.clocks import engine_events
    from tests.rulesets.helpers import lowered_finance_threshold
    from workflows.loader import load_default_definitions, load_definitions
    from workflows.routing import match_rule
    from workflows.sla import compute_schedule

    try:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--scale", "10", "--no-orders", verbosity=0)
        shipped = load_default_definitions()
        draft = load_definitions(lowered_finance_threshold(3000))
        leaves = sorted(c for c in shipped.category_codes if not shipped.category(c).children)
        requester = User.objects.filter(username__startswith="tech").order_by("username").first()
        units = list(Unit.objects.select_related("building__project").order_by("id")[:2000])
        now = timezone.now()
        span = timedelta(days=30)
        orders = []
        for n in range(args.orders):
            unit = units[n % len(units)]
            created_at = now - span + (span - timedelta(hours=4)) * (n + 0.5) / args.orders  # events end before now
            orders.append(WorkOrder(
                number=format_number((now - span).date(), n + 1), unit=unit, building=unit.building,
                project=unit.building.project, contact_name="张女士", contact_phone="+8613800138000", channel="phone",
                category_code=leaves[n % len(leaves)], priority=["P1", "P2", "P3", "P4"][n % 4],
                description=["厨房下水道堵塞", "地下室渗水", "门锁坏了", "墙面开裂"][n % 4], state="in_progress",
                definitions_version=shipped.version, created_at=created_at, updated_at=created_at,
                routing_explanation={"rule": "x", "team": "plumbing-team", "strategy": "least_loaded"}))
        WorkOrder.objects.bulk_create(orders, batch_size=2000)
        events, deadlines, estimates = [], [], []
        for n, o in enumerate(WorkOrder.objects.order_by("created_at").only("id", "created_at", "category_code",
                                                                           "priority")):
            events.append(SlaClockEvent(order_id=o.id, kind="started", at=o.created_at,
                                        category_code=o.category_code, priority=o.priority))
            events.append(SlaClockEvent(order_id=o.id, kind="responded", at=o.created_at + timedelta(minutes=20)))
            if n % 3 == 0:
                events.append(SlaClockEvent(order_id=o.id, kind="arrived", at=o.created_at + timedelta(hours=3)))
            for target in ("response", "arrival", "resolution"):
                deadlines.append(SlaDeadline(order_id=o.id, cycle=1, target=target, policy_code="p",
                                             duration_seconds=3600, deadline_at=o.created_at + timedelta(hours=8),
                                             status="running"))
            if n % 10 == 0:
                estimates.append(ApprovalInstance(order_id=o.id, requester=requester,
                                                  amount_yuan=Decimal(500 + (n * 37) % 6000), graph_code="manager",
                                                  status="approved", state={"definitions_version": shipped.version},
                                                  opened_at=o.created_at + timedelta(hours=4)))
        SlaClockEvent.objects.bulk_create(events, batch_size=5000)
        SlaDeadline.objects.bulk_create(deadlines, batch_size=5000)
        ApprovalInstance.objects.bulk_create(estimates, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        # The engine alone: the same orders' facts and clock events already in memory.
        rows = list(WorkOrder.objects.select_related("project", "building").order_by("created_at"))
        by_order: dict = {}
        for event in SlaClockEvent.objects.order_by("order_id", "at", "id"):
            by_order.setdefault(event.order_id, []).append(event)
        memory = [(order_facts(o), o.created_at, engine_events(by_order[o.id])) for o in rows]

        def engine() -> int:
            for facts, at, history in memory:
                match_rule(draft, facts, at)
                compute_schedule(draft, history, now)
            return len(memory)

        def simulation() -> int:
            result = simulate(definitions=draft, days=30, now=now)
            return int(result.totals["orders"])

        del orders, events, deadlines, by_order, rows
        import gc

        gc.collect()
        gc.freeze()  # the setup's objects out of the collector's way, for both sides alike
        assert simulation() == engine() == args.orders
        engine_times, sim_times = [], []
        for _ in range(args.rounds):
            t = time.perf_counter()
            engine()
            engine_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            simulation()
            sim_times.append(time.perf_counter() - t)
        e, s = statistics.median(engine_times), statistics.median(sim_times)
        engine_rate, sim_rate = args.orders / e, args.orders / s
        print(f"orders: {args.orders} over 30 days, {len(estimates)} estimates; rounds: {args.rounds}")
        print(f"engine alone (median): {e:.2f} s = {engine_rate:.0f} orders/s; "
              f"simulation (median): {s:.2f} s = {sim_rate:.0f} orders/s")
        ratio = sim_rate / engine_rate
        print(f"rules_simulation_rate: {ratio:.2f} (target >= 0.5)")
        return 0 if ratio >= 0.5 else 1
    finally:
        connection.close()
        if created:
            drop_bench_database("anxin_bench_rules")


if __name__ == "__main__":
    raise SystemExit(main())
