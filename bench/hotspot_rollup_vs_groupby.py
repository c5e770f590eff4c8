"""``hotspot_rollup_vs_groupby``: the hotspot page's queries — the project ranking (this year and the
previous, top categories), the hottest building's elevation heatmap and the category Pareto — through
the analytics selectors (monthly roll-ups), against hand-written GROUP BY queries over the raw orders
that give the same numbers (checked for equality before timing). Target >= 10x.

Run: ``DATABASE_URL=postgres://…/db .venv/bin/python bench/hotspot_rollup_vs_groupby.py --orders 1000000``
(``--reuse`` keeps a database a previous run generated). Without ``$DATABASE_URL`` a scratch database
``anxin_bench_analytics`` is created and dropped.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.history import prepare  # noqa: E402
from bench.pg import drop_bench_database  # noqa: E402

COUNTED = "o.state NOT IN ('cancelled', 'rejected')"
RANKING = f"""SELECT o.project_id, o.category_code, count(*) FROM workorders_workorder o
WHERE {COUNTED} AND o.created_at >= %s AND o.created_at < %s GROUP BY o.project_id, o.category_code"""
HEATMAP = f"""SELECT o.unit_id, o.category_code, count(*) FROM workorders_workorder o
WHERE {COUNTED} AND o.building_id = %s AND o.unit_id IS NOT NULL AND o.created_at >= %s AND o.created_at < %s
GROUP BY o.unit_id, o.category_code"""
PARETO = f"""SELECT o.category_code, count(*) FROM workorders_workorder o
WHERE {COUNTED} AND o.created_at >= %s AND o.created_at < %s GROUP BY o.category_code"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url, created = prepare(orders=args.orders, reuse=args.reuse, name="anxin_bench_analytics")
    from django.db import connection
    from django.http import QueryDict

    from backend.accounts.models import User
    from backend.accounts.roles import Role
    from backend.analytics import selectors
    from backend.analytics.filters import Filters, add_months
    from backend.properties.models import Building
    from tests.factories import user_with_roles

    try:
        director = User.objects.filter(role_rows__role=Role.ENGINEERING_DIRECTOR).first() or \
            user_with_roles(Role.ENGINEERING_DIRECTOR)
        now = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        filters = Filters.from_query(QueryDict("period=year&month=2026-11"), now=now)
        ranking0 = selectors.project_ranking(actor=director, filters=filters)
        hot_project = ranking0[0]["project_id"]
        hot_building = Building.objects.filter(project_id=hot_project).order_by("code").first()
        assert hot_building is not None
        tz = ZoneInfo("Asia/Shanghai")
        first, last = filters.months()
        p_first, p_last = filters.previous_months()
        instant = lambda d: datetime(d.year, d.month, 1, tzinfo=tz)  # noqa: E731
        period = (instant(first), instant(add_months(last, 1)))
        previous = (instant(p_first), instant(add_months(p_last, 1)))

        def through_rollups() -> tuple:
            ranking = selectors.project_ranking(actor=director, filters=filters)
            heat = selectors.building_heatmap(actor=director, building=hot_building, filters=filters)
            pareto = selectors.pareto(actor=director, filters=filters)
            return ranking, heat, pareto

        def raw() -> tuple:
            with connection.cursor() as cursor:
                cursor.execute(RANKING, period)
                now_rows = cursor.fetchall()
                cursor.execute(RANKING, previous)
                before_rows = cursor.fetchall()
                cursor.execute(HEATMAP, (hot_building.id, *period))
                heat_rows = cursor.fetchall()
                cursor.execute(PARETO, period)
                pareto_rows = cursor.fetchall()
            return now_rows, before_rows, heat_rows, pareto_rows

        # the same numbers
        ranking, heat, pareto = through_rollups()
        now_rows, before_rows, heat_rows, pareto_rows = raw()
        per_project: dict = defaultdict(int)
        for project_id, _code, n in now_rows:
            per_project[project_id] += n
        per_project_before: dict = defaultdict(int)
        for project_id, _code, n in before_rows:
            per_project_before[project_id] += n
        assert {r["project_id"]: r["orders"] for r in ranking if r["orders"]} == dict(per_project)
        assert {r["project_id"]: r["previous_orders"] for r in ranking if r["previous_orders"]} == \
            dict(per_project_before)
        cells = {(c["unit_id"], x): n for c in heat.cells for x, n in
                 ((cat["name"], cat["orders"]) for cat in c["categories"])}
        raw_cells = {(unit_id, selectors.category_name(code)): n for unit_id, code, n in heat_rows}
        assert cells == raw_cells
        from backend.workorders.definitions import active_definitions

        definitions = active_definitions()
        raw_top: dict = defaultdict(int)
        for code, n in pareto_rows:
            raw_top[definitions.category_path(code)[0]] += n
        assert {b["code"]: b["orders"] for b in pareto["bars"]} == {k: v for k, v in raw_top.items() if v}
        print(f"equal: {len(ranking)} projects, {len(heat.cells)} units in {hot_building}, {len(pareto['bars'])} bars; "
              f"{sum(per_project.values())} orders in the period", file=sys.stderr)

        def timed(fn) -> float:
            samples = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - started)
            return statistics.median(samples)

        timed(through_rollups), timed(raw)  # warm both
        fast, slow = timed(through_rollups), timed(raw)
        print(f"roll-ups {fast * 1000:.1f} ms, raw GROUP BY {slow * 1000:.1f} ms "
              f"({args.orders} orders, {args.rounds} rounds, medians)")
        print(f"hotspot_rollup_vs_groupby {slow / fast:.1f}x (target >= 10x)")
    finally:
        if created:
            drop_bench_database("anxin_bench_analytics")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
