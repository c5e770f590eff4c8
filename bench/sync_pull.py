"""Offline-sync figures on PostgreSQL: a technician scope of 10 000 orders with their related rows.

- ``sync_pull_vs_raw``: the first pull through ``mobile_sync.selectors.sync_pull`` (scope, stamps,
  device records, row encoding) against a raw ``SELECT`` of the same rows encoded with orjson, in the
  same run. Target <= 2x. The no-change pull time and the first pull's peak memory are printed too.
- ``sync_replay_ratio``: a push of 1 000 changes (events, comments, parts), then the same batch again:
  second time / first time. Target <= 0.2, with zero new rows.

Run: ``.venv/bin/python bench/sync_pull.py [--orders 10000]``. Uses ``$DATABASE_URL`` when it names a
PostgreSQL database, otherwise creates ``anxin_bench_sync`` on the local server (dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson  # noqa: E402

from bench.pg import bench_database, drop_bench_database  # noqa: E402


def main() -> int:  # noqa: PLR0915 — a linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    url, created = bench_database("anxin_bench_sync")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from backend.accounts import services as account_services
    from backend.accounts.models import User
    from backend.properties.models import Unit
    from backend.workorders.models import Comment, TimelineEvent, WorkOrder
    from backend.workorders.numbering import format_number
    from mobile_sync.models import DeviceTable
    from mobile_sync.selectors import sync_pull
    from mobile_sync.services import sync_push
    from mobile_sync.tables import SCOPE_STATES

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--scale", "10", "--no-orders", verbosity=0)
    tech = User.objects.get(username="tech1")
    units = list(Unit.objects.select_related("building__project").order_by("id")[: args.orders])
    now = timezone.now()
    orders = []
    for n in range(args.orders):
        unit = units[n % len(units)]
        orders.append(WorkOrder(number=format_number((now - timedelta(days=400)).date(), n + 1), unit=unit,
                                building=unit.building, project=unit.building.project, contact_name="张女士",
                                contact_phone="+8613800138000", channel="phone", category_code="drainage",
                                priority="P3", description="厨房下水道堵塞", state="assigned", technician=tech,
                                created_at=now, updated_at=now))
    WorkOrder.objects.bulk_create(orders, batch_size=2000)
    events = [TimelineEvent(order=o, kind="state", from_state="submitted", to_state="assigned", created_at=now)
              for o in WorkOrder.objects.filter(technician=tech)]
    TimelineEvent.objects.bulk_create(events, batch_size=2000)
    token, _raw = account_services.device_token_issue(user=tech, name="bench-phone", now=now)

    # --- first pull vs raw SELECT + orjson ---------------------------------------------------------------
    tracemalloc.start()
    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    first = sync_pull(user=tech, device=token, last_pulled_at=None, schema_version=1, now=timezone.now())
    if os.environ.get("BENCH_PROFILE"):
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    body = orjson.dumps(first)
    pull_seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows = sum(len(t["created"]) for t in first["changes"].values())

    states = tuple(SCOPE_STATES)
    raw_sql = [
        ("SELECT o.sync_id, o.number, p.sync_id, u.sync_id, o.category_code, o.priority, o.description, "
         "o.location_detail, o.contact_name, o.contact_phone, o.state, o.waiting_reason, o.preferred_slots, "
         "o.warranty_verdict, o.estimate_yuan, o.created_at, o.updated_at, o.revision "
         "FROM workorders_workorder o JOIN properties_project p ON p.id = o.project_id "
         "LEFT JOIN properties_unit u ON u.id = o.unit_id WHERE o.technician_id = %s AND o.state = ANY(%s)"),
        ("SELECT e.sync_id, o.sync_id, e.from_state, e.to_state, e.device_at, e.note, e.created_at "
         "FROM workorders_timelineevent e JOIN workorders_workorder o ON o.id = e.order_id "
         "WHERE o.technician_id = %s AND o.state = ANY(%s) AND e.kind = 'state'"),
        ("SELECT u.sync_id, p.sync_id, b.name, u.number, u.floor, u.layout FROM properties_unit u "
         "JOIN properties_building b ON b.id = u.building_id JOIN properties_project p ON p.id = b.project_id "
         "WHERE u.id IN (SELECT unit_id FROM workorders_workorder WHERE technician_id = %s AND state = ANY(%s))"),
    ]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        payload = []
        for sql in raw_sql:
            cursor.execute(sql, [tech.id, list(states)])
            payload.append(cursor.fetchall())
    raw_body = orjson.dumps(payload, default=str)
    raw_seconds = time.perf_counter() - started
    pull_ratio = pull_seconds / raw_seconds

    started = time.perf_counter()
    quiet = sync_pull(user=tech, device=token, last_pulled_at=first["timestamp"], schema_version=1, now=timezone.now())
    quiet_seconds = time.perf_counter() - started
    assert not any(t["created"] or t["updated"] for t in quiet["changes"].values())

    # --- push replay ---------------------------------------------------------------------------------------
    order_ids = list(WorkOrder.objects.filter(technician=tech).values_list("sync_id", flat=True)[:500])
    from tests.mobile_sync.helpers import client_id

    changes = {
        "work_order_events": {"created": [{"id": client_id(), "work_order_id": oid, "from_state": "assigned",
                                           "to_state": "en_route", "device_at": int(time.time() * 1000) - 60_000,
                                           "note": ""} for oid in order_ids], "updated": [], "deleted": []},
        "comments": {"created": [{"id": client_id(), "work_order_id": oid, "body": "已到楼下",
                                  "owner_visible": False} for oid in order_ids], "updated": [], "deleted": []},
    }
    cursor_value = quiet["timestamp"]
    started = time.perf_counter()
    sync_push(user=tech, device=token, changes=changes, last_pulled_at=cursor_value, now=datetime.now(UTC))
    push_first = time.perf_counter() - started
    counts = (TimelineEvent.objects.count(), Comment.objects.count(), DeviceTable.objects.count())
    started = time.perf_counter()
    again = sync_push(user=tech, device=token, changes=changes, last_pulled_at=cursor_value, now=datetime.now(UTC))
    push_second = time.perf_counter() - started
    assert again["replayed"] and counts == (TimelineEvent.objects.count(), Comment.objects.count(),
                                            DeviceTable.objects.count()), "the replay created rows"
    replay_ratio = push_second / push_first

    today = datetime.now(UTC).date().isoformat()
    print(f"scope: {args.orders} orders, {rows} rows, {len(body) / 1e6:.1f} MB of JSON (raw: {len(raw_body) / 1e6:.1f} MB)")
    print(f"first pull {pull_seconds:.2f} s, raw SELECT + orjson {raw_seconds:.2f} s, "
          f"no-change pull {quiet_seconds:.2f} s, peak memory {peak / 1e6:.0f} MB")
    print(f"push of 1 000 changes {push_first:.2f} s, same batch again {push_second * 1000:.1f} ms (0 new rows)")
    print(f"| sync_pull_vs_raw | {pull_ratio:.2f}x | <= 2x | {today} | .venv/bin/python bench/sync_pull.py |")
    print(f"| sync_replay_ratio | {replay_ratio:.3f} | <= 0.2 | {today} | .venv/bin/python bench/sync_pull.py |")
    connection.close()
    if created:
        drop_bench_database("anxin_bench_sync")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
