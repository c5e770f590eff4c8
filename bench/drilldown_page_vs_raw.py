"""``drilldown_page_vs_raw``: the 1st and the 100th page (50 rows) of a drill-down list — the orders of
the hottest project in the year, newest first — through the analytics selector (scope, filters, the
count on the first page, names of project, building and unit, category labels), against hand-written
keyset SQL over the same facts with the same joins, returning the same rows (checked). Target <= 2x.

Run: ``DATABASE_URL=postgres://…/db .venv/bin/python bench/drilldown_page_vs_raw.py --orders 1000000 --reuse``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.history import prepare  # noqa: E402
from bench.pg import drop_bench_database  # noqa: E402

PAGE = """SELECT f.order_id, f.number, f.created_at, f.state, f.category_code, p.name, b.name, u.number
FROM analytics_orderfact f
JOIN properties_project p ON p.id = f.project_id
LEFT JOIN properties_building b ON b.id = f.building_id
LEFT JOIN properties_unit u ON u.id = f.unit_id
WHERE f.counted AND f.project_id = %s AND f.month >= %s AND f.month <= %s {after}
ORDER BY f.created_at DESC, f.order_id DESC LIMIT 51"""
COUNT = "SELECT count(*) FROM analytics_orderfact f WHERE f.counted AND f.project_id = %s AND f.month >= %s AND f.month <= %s"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url, created = prepare(orders=args.orders, reuse=args.reuse, name="anxin_bench_analytics")
    from django.db import connection
    from django.http import QueryDict

    from backend.accounts.models import User
    from backend.accounts.roles import Role
    from backend.analytics import selectors
    from backend.analytics.filters import Filters
    from tests.factories import user_with_roles

    try:
        director = User.objects.filter(role_rows__role=Role.ENGINEERING_DIRECTOR).first() or \
            user_with_roles(Role.ENGINEERING_DIRECTOR)
        now = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        base = Filters.from_query(QueryDict("period=year&month=2026-11"), now=now)
        project = selectors.project_ranking(actor=director, filters=base)[0]["project_id"]
        filters = base.with_(project=str(project))
        first, last = filters.months()
        cursor, pages = "", 0
        while pages < 99:  # the cursor of page 100 (not timed)
            cursor = selectors.drilldown_page(actor=director, filters=filters, cursor=cursor, with_total=False).next_cursor
            pages += 1
            assert cursor, f"the list has only {pages} pages"
        at, after_id = cursor.split("|")

        def ours(page_cursor: str) -> list:
            page = selectors.drilldown_page(actor=director, filters=filters, cursor=page_cursor,
                                            with_total=not page_cursor)
            return [r["order_id"] for r in page.rows]

        def raw(page_cursor: str) -> list:
            with connection.cursor() as c:
                if page_cursor:
                    c.execute(PAGE.format(after="AND (f.created_at, f.order_id) < (%s, %s)"),
                              (project, first, last, datetime.fromisoformat(at), after_id))
                    rows = c.fetchall()
                else:
                    c.execute(COUNT, (project, first, last))
                    c.fetchone()
                    c.execute(PAGE.format(after=""), (project, first, last))
                    rows = c.fetchall()
            return [r[0] for r in rows[:50]]

        assert ours("") == raw("") and ours(cursor) == raw(cursor), "different rows"

        def timed(fn, arg) -> float:
            samples = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                fn(arg)
                samples.append(time.perf_counter() - started)
            return statistics.median(samples)

        for fn in (ours, raw):
            timed(fn, ""), timed(fn, cursor)
        p1, r1 = timed(ours, ""), timed(raw, "")
        p100, r100 = timed(ours, cursor), timed(raw, cursor)
        print(f"page 1: selector {p1 * 1000:.1f} ms, raw {r1 * 1000:.1f} ms; page 100: selector {p100 * 1000:.1f} ms, "
              f"raw {r100 * 1000:.1f} ms ({args.orders} orders, medians of {args.rounds})")
        print(f"drilldown_page_vs_raw {max(p1 / r1, p100 / r100):.2f}x (page 1 {p1 / r1:.2f}x, page 100 "
              f"{p100 / r100:.2f}x; target <= 2x)")
    finally:
        if created:
            drop_bench_database("anxin_bench_analytics")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
