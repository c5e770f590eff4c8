"""Orders per second through the intake service against bare INSERTs of the same rows, on PostgreSQL.

The intake path is the real one: validate, number, create, timeline, SLA clocks (engine schedule,
deadlines, alert rungs), routing on live data (candidate snapshot, strategy, assignment through the
state machine). Every measured order is assigned: the orders are electrical faults, which the shipped
rules give to the plumbing-and-electrical team's best-skilled technician with no load cap (drain
orders stop being assigned once both plumbers hold 8 open orders, which would measure the queue
path instead). The baseline inserts the same order rows with psycopg, one committed INSERT per
order, in the same run and on the same database. The ratio (intake rate / insert rate) is the
figure ``intake_vs_insert`` in BENCHMARKS.md (target >= 0.3).

Run: ``.venv/bin/python bench/intake.py [--orders 300]``. It uses ``$DATABASE_URL`` when it names a
PostgreSQL database, otherwise it creates ``anxin_bench`` on the local server (dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench.pg import bench_database, drop_bench_database  # noqa: E402

CATEGORY = "electrical"  # 强电线路与开关插座, default priority P3


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    url, created = bench_database("anxin_bench")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # the channel layer stays in memory: this measures the database path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from backend.accounts.models import User
    from backend.core.ids import new_sync_id
    from backend.properties.models import Unit
    from backend.workorders.models import WorkOrder
    from backend.workorders.services import order_intake
    from backend.workorders.transitions import Actor

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--scale", "1", "--no-orders", verbosity=0)
    agent = User.objects.get(username="cs")
    units = list(Unit.objects.order_by("id").values_list("id", flat=True)[: args.orders])
    actor = Actor(user=agent)

    def intake_one(unit_id: object) -> WorkOrder:
        return order_intake(actor=actor, channel="phone", category_code=CATEGORY, description="卧室插座没电，开关跳闸",
                            contact_name="张女士", contact_phone="13800138000", now=timezone.now(),
                            unit_id=unit_id).order

    def intake_round() -> float:
        started = time.perf_counter()
        orders = [intake_one(unit_id) for unit_id in units]
        rate = len(units) / (time.perf_counter() - started)
        unassigned = sum(1 for order in orders if order.state != "assigned")
        assert not unassigned, f"{unassigned} intakes were not assigned: this would measure the queue path"
        return rate

    def statements_per_intake() -> int:
        statements = []
        with connection.execute_wrapper(lambda execute, sql, *rest: statements.append(sql) or execute(sql, *rest)):
            intake_one(units[0])
        return len(statements) + 2  # and the transaction's BEGIN and COMMIT, which the wrapper does not see

    def insert_round() -> float:
        order = WorkOrder.objects.order_by("created_at").first()
        assert order is not None, "the warm-up round creates the sample order"
        cols = ["id", "number", "project_id", "building_id", "unit_id", "contact_name", "contact_phone", "channel",
                "category_code", "priority", "description", "location_detail", "preferred_slots",
                "warranty_verdict", "warranty_reason", "state", "waiting_reason", "definitions_version",
                "routing_explanation", "rating_comment", "created_at", "updated_at", "revision", "sync_id",
                "sync_stamp"]
        sql = (f"INSERT INTO workorders_workorder ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})")
        dsn = connection.get_connection_params()
        with psycopg.connect(**{k: v for k, v in dsn.items() if k in {"dbname", "user", "host", "port", "password"}},
                             autocommit=True) as raw:
            started = time.perf_counter()
            for unit_id in units:
                now = timezone.now()
                raw.execute(sql, (uuid.uuid4(), f"B{uuid.uuid4().hex[:18]}", order.project_id,
                                  order.building_id, unit_id, "张女士", "+8613800138000", "phone", CATEGORY, "P3",
                                  "卧室插座没电，开关跳闸", "", "[]", "unknown", "", "submitted", "",
                                  order.definitions_version, "{}", "", now, now, 1, new_sync_id(), 0))
            return len(units) / (time.perf_counter() - started)

    intake_round()  # warm-up: caches, the definition set, first-day counter row
    statements = statements_per_intake()
    intake_rates, insert_rates = [], []
    for _ in range(args.rounds):
        intake_rates.append(intake_round())
        insert_rates.append(insert_round())
    intake_rate, insert_rate = statistics.median(intake_rates), statistics.median(insert_rates)
    ratio = intake_rate / insert_rate
    print(f"intake: {intake_rate:.1f} orders/s (median of {args.rounds} rounds of {len(units)})")
    print(f"bare INSERT: {insert_rate:.1f} rows/s")
    print(f"statements per intake: {statements} (the INSERT baseline: 1)")
    print(f"intake_vs_insert {ratio:.3f}")
    print(f"| intake_vs_insert | {ratio:.2f} | >= 0.3 | {datetime.now(UTC).date().isoformat()} | .venv/bin/python bench/intake.py |")
    connection.close()
    if created:
        drop_bench_database("anxin_bench")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
