"""``console_queue_vs_raw``: the console queue's first page (50 rows, a filter applied, 10 000 open orders
on PostgreSQL) rendered through the view — session, scope, filters, urgency sort, SLA rungs, the count,
the filter options and the template — against one hand-written SQL query returning the same rows and
columns (place, category, priority, state, assignee, next due deadline with its 50 % / 75 % rungs,
waiting reason, channel, verdict), in the same run. Target <= 3x.

Run: ``.venv/bin/python bench/console_queue_vs_raw.py [--orders 10000] [--rounds 15]``. Uses
``$DATABASE_URL`` when it names a PostgreSQL database, otherwise creates ``anxin_bench_console`` on the
local server (dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import bench_database, drop_bench_database  # noqa: E402

RAW = """
WITH next AS (
  SELECT DISTINCT ON (d.order_id) d.order_id, d.cycle, d.target, d.deadline_at
  FROM workorders_sladeadline d
  WHERE d.met_at IS NULL AND d.deadline_at IS NOT NULL
  ORDER BY d.order_id, d.deadline_at
)
SELECT o.id, o.number, p.name, b.name, u.number, a.name, o.category_code, o.priority, o.state,
       t.username, o.waiting_reason, o.channel, o.warranty_verdict, o.revision,
       COALESCE(n.deadline_at, '9999-01-01'::timestamptz) AS urgency, n.target,
       (SELECT s.due_at FROM workorders_slaalert s WHERE s.order_id = o.id AND s.cycle = n.cycle
          AND s.target = n.target AND s.level = 'warning') AS warn_at,
       (SELECT s.due_at FROM workorders_slaalert s WHERE s.order_id = o.id AND s.cycle = n.cycle
          AND s.target = n.target AND s.level = 'urgent') AS urgent_at
FROM workorders_workorder o
JOIN properties_project p ON p.id = o.project_id
LEFT JOIN properties_building b ON b.id = o.building_id
LEFT JOIN properties_unit u ON u.id = o.unit_id
LEFT JOIN properties_publicarea a ON a.id = o.public_area_id
LEFT JOIN accounts_user t ON t.id = o.technician_id
LEFT JOIN next n ON n.order_id = o.id
WHERE o.state IN ('submitted', 'accepted', 'assigned', 'en_route', 'on_site', 'in_progress', 'waiting', 'reopened')
  AND o.project_id = ANY(%s) AND o.priority = %s
ORDER BY urgency, o.id
LIMIT 51
"""


def main() -> int:  # noqa: PLR0915 — a linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    url, created = bench_database("anxin_bench_console")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from backend.accounts.models import User
    from backend.properties.models import Unit
    from backend.workorders.intake.numbering import format_number
    from backend.workorders.models import SlaAlert, SlaDeadline, WorkOrder

    try:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--scale", "10", "--no-orders", verbosity=0)
        dispatcher = User.objects.get(username="dispatcher")
        techs = list(User.objects.filter(username__startswith="tech").order_by("username")[:10])
        units = list(Unit.objects.select_related("building__project").order_by("id")[: args.orders])
        now = timezone.now()
        states = ["submitted", "accepted", "assigned", "en_route", "on_site", "in_progress", "waiting"]
        orders = []
        for n in range(args.orders):
            unit = units[n % len(units)]
            state = states[n % len(states)]
            orders.append(WorkOrder(
                number=format_number((now - timedelta(days=30)).date(), n + 1), unit=unit, building=unit.building,
                project=unit.building.project, contact_name="张女士", contact_phone="+8613800138000", channel="phone",
                category_code="drainage", priority=["P1", "P2", "P3", "P4"][n % 4], description="厨房下水道堵塞",
                state=state, waiting_reason="parts" if state == "waiting" else "",
                technician=techs[n % len(techs)] if state not in {"submitted", "accepted"} else None,
                created_at=now - timedelta(minutes=n), updated_at=now))
        WorkOrder.objects.bulk_create(orders, batch_size=2000)
        deadlines, alerts = [], []
        for n, o in enumerate(WorkOrder.objects.only("id")):
            for k, target in enumerate(("response", "arrival", "resolution")):
                due = now + timedelta(minutes=(n * 7) % 2000 - 300 + k * 240)
                deadlines.append(SlaDeadline(order_id=o.id, cycle=1, target=target, policy_code="p",
                                             duration_seconds=14400, deadline_at=due, status="running",
                                             met_at=now if k == 0 and n % 3 == 0 else None))
                for level, back in (("warning", 7200), ("urgent", 3600), ("breach", 0)):
                    alerts.append(SlaAlert(order_id=o.id, key=f"c1:{target}:{level}", cycle=1, target=target,
                                           level=level, notify="supervisor", due_at=due - timedelta(seconds=back)))
        SlaDeadline.objects.bulk_create(deadlines, batch_size=5000)
        SlaAlert.objects.bulk_create(alerts, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        from backend.workorders.access import project_ids_of

        scope = [str(p) for p in project_ids_of(dispatcher)]  # the dispatcher's projects, resolved beforehand
        query = {"priority": "P2"}
        client = Client()
        client.force_login(dispatcher)

        import re

        def view() -> list[str]:
            response = client.get("/console/queue", query)
            assert response.status_code == 200, response.status_code
            return re.findall(r'id="row-([0-9a-f-]{36})"', response.content.decode())

        def raw() -> list[str]:
            with connection.cursor() as cursor:
                cursor.execute(RAW, [scope, "P2"])
                return [str(row[0]) for row in cursor.fetchall()[:50]]

        same = view()
        assert len(same) == 50 and same == raw(), "the view and the raw query return different rows"
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            view()
        for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:5]:
            print(f"  {float(q['time']) * 1000:6.1f} ms  {q['sql'][:110]}")
        print(f"  queries per page: {len(ctx.captured_queries)}")
        view_times, raw_times = [], []
        for _ in range(args.rounds):
            t = time.perf_counter()
            view()
            view_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            raw()
            raw_times.append(time.perf_counter() - t)
        v, r = statistics.median(view_times), statistics.median(raw_times)
        in_scope = WorkOrder.objects.filter(project_id__in=scope, priority="P2").count()
        print(f"open orders: {args.orders}; in the dispatcher's scope with the filter (P2): {in_scope}; "
              f"rounds: {args.rounds}")
        print(f"view (median): {v * 1000:.1f} ms; raw SQL (median): {r * 1000:.1f} ms")
        ratio = v / r
        print(f"console_queue_vs_raw: {ratio:.2f}x (target <= 3x)")
        return 0 if ratio <= 3 else 1
    finally:
        connection.close()
        if created:
            drop_bench_database("anxin_bench_console")


if __name__ == "__main__":
    raise SystemExit(main())
