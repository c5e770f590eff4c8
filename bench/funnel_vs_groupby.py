"""``funnel_vs_groupby``: the CRM dashboard's funnel and weighted forecast (``crm.selectors.funnel`` as the
project's sales manager: scope, role, four ORM GROUP BY queries and the derived numbers) over
``--customers`` customers, against hand-written GROUP BY SQL producing the same numbers (asserted equal),
on PostgreSQL in the same run. Target <= 2x.

Run: ``.venv/bin/python bench/funnel_vs_groupby.py [--customers 200000] [--rounds 15]``. Uses
``$DATABASE_URL`` when it names PostgreSQL, else a scratch ``anxin_bench_funnel`` (dropped afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import bench_database, drop_bench_database  # noqa: E402

PER_STAGE = """SELECT stage, count(*) FROM crm_customer WHERE project_id = %s AND merged_into_id IS NULL
GROUP BY stage"""
LOST_FROM = """SELECT e.from_stage, count(*) FROM crm_customer c
JOIN crm_customerevent e ON e.customer_id = c.id AND e.kind = 'stage' AND e.to_stage = 'lost'
WHERE c.project_id = %s AND c.merged_into_id IS NULL AND c.stage = 'lost' GROUP BY e.from_stage"""
CYCLE = """SELECT avg(extract(epoch FROM stage_changed_at - created_at)) FROM crm_customer
WHERE project_id = %s AND merged_into_id IS NULL AND stage = 'signed'"""
FORECAST = """SELECT date_trunc('month', expected_close_date)::date, stage, sum(expected_amount_fen)
FROM crm_customer WHERE project_id = %s AND merged_into_id IS NULL AND stage NOT IN ('lost', 'signed')
  AND expected_close_date IS NOT NULL GROUP BY 1, 2 ORDER BY 1"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    url, created = bench_database("anxin_bench_funnel")
    try:
        from bench.crm_data import customers, office, setup_django

        setup_django(url)
        from django.db import connection
        from django.utils import timezone

        from backend.crm.models import Seat
        from backend.crm.selectors import funnel, funnel_from_counts

        now = timezone.now()
        project, people = office(now)
        manager = people[0]
        Seat.objects.filter(user=manager, project=project).update(is_manager=True)
        started = time.perf_counter()
        customers(project=project, consultants=people, n=args.customers, now=now, due_share=0)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"  {args.customers} customers loaded in {time.perf_counter() - started:.0f} s")

        def orm() -> dict:
            return funnel(actor=manager, project_id=project.id, now=now)

        def raw() -> dict:
            with connection.cursor() as cursor:
                cursor.execute(PER_STAGE, [project.id])
                per_stage = dict(cursor.fetchall())
                cursor.execute(LOST_FROM, [project.id])
                lost_from = dict(cursor.fetchall())
                cursor.execute(CYCLE, [project.id])
                cycle = cursor.fetchone()[0]
                cursor.execute(FORECAST, [project.id])
                rows = cursor.fetchall()
            return funnel_from_counts(per_stage=per_stage, lost_from=lost_from,
                                      cycle_seconds=float(cycle) if cycle is not None else None, forecast_rows=rows)

        first = orm()
        assert first == raw(), "the dashboard and the hand-written SQL disagree"
        orm_times, raw_times = [], []
        for _ in range(args.rounds):
            t = time.perf_counter()
            orm()
            orm_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            raw()
            raw_times.append(time.perf_counter() - t)
        a, b = statistics.median(orm_times), statistics.median(raw_times)
        ratio = a / b
        print(f"  dashboard funnel {a * 1000:.0f} ms, hand-written GROUP BY {b * 1000:.0f} ms (median of {args.rounds})")
        print(f"funnel_vs_groupby: {ratio:.2f}x (target <= 2x)")
        return 0 if ratio <= 2 else 1
    finally:
        if created:
            from django.db import connections

            connections.close_all()
            drop_bench_database("anxin_bench_funnel")


if __name__ == "__main__":
    sys.exit(main())
