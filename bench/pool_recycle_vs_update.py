"""``pool_recycle_vs_update``: the continuous recycling sweep (``crm.services.recycle_due``: due rows claimed
in batches with SKIP LOCKED, cleared, with one hold-log row and one timeline event per customer) over
``--customers`` held customers of which 10 % are due, against one hand-written
``UPDATE … WHERE recycle_due_at <= now`` of the same rows (no rows written beside it), on PostgreSQL in the
same run. Target <= 3x.

Run: ``.venv/bin/python bench/pool_recycle_vs_update.py [--customers 200000] [--rounds 3] [--batch 20000]``.
Uses ``$DATABASE_URL`` when it names PostgreSQL, else a scratch ``anxin_bench_crm`` (dropped afterwards).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import bench_database, drop_bench_database  # noqa: E402

RAW = """UPDATE crm_customer SET holder_id = NULL, held_since = NULL, protected_until = NULL,
  recycle_due_at = NULL, warn_at = NULL, warned_at = NULL
  WHERE holder_id IS NOT NULL AND recycle_due_at <= %s AND merged_into_id IS NULL"""
RESET = """UPDATE crm_customer SET holder_id = s.holder, held_since = s.held_since, recycle_due_at = s.due
  FROM bench_snapshot s WHERE s.id = crm_customer.id"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=20000)
    args = parser.parse_args()
    url, created = bench_database("anxin_bench_crm")
    try:
        from bench.crm_data import customers, office, setup_django

        setup_django(url)
        from django.db import connection, transaction
        from django.utils import timezone

        from backend.crm.models import CustomerEvent, HoldLog
        from backend.crm.services import recycle_due

        now = timezone.now()
        project, people = office(now)
        started = time.perf_counter()
        customers(project=project, consultants=people, n=args.customers, now=now, due_share=0.10)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_snapshot AS SELECT id, holder_id AS holder, held_since, "
                           "recycle_due_at AS due FROM crm_customer WHERE recycle_due_at <= %s", [now])
            cursor.execute("ANALYZE")
            cursor.execute("SELECT count(*) FROM bench_snapshot")
            due = cursor.fetchone()[0]
        print(f"  {args.customers} customers, {due} due, loaded in {time.perf_counter() - started:.0f} s")

        def reset() -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(RESET)
                HoldLog.objects.all().delete()
                CustomerEvent.objects.filter(kind="recycled").delete()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE crm_customer")

        sweep_times, raw_times = [], []
        for _ in range(args.rounds):
            reset()
            t = time.perf_counter()
            moved = recycle_due(now=now, batch=args.batch)
            sweep_times.append(time.perf_counter() - t)
            assert moved == due, (moved, due)
            assert CustomerEvent.objects.filter(kind="recycled").count() == due
            reset()
            t = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(RAW, [now])
                assert cursor.rowcount == due
            raw_times.append(time.perf_counter() - t)
        sweep, raw = statistics.median(sweep_times), statistics.median(raw_times)
        ratio = sweep / raw
        print(f"  sweep {sweep * 1000:.0f} ms (with {due} hold-log and {due} event rows), "
              f"raw UPDATE {raw * 1000:.0f} ms")
        print(f"pool_recycle_vs_update: {ratio:.2f}x (target <= 3x)")
        return 0 if ratio <= 3 else 1
    finally:
        if created:
            from django.db import connections

            connections.close_all()
            drop_bench_database("anxin_bench_crm")


if __name__ == "__main__":
    sys.exit(main())
