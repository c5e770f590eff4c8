"""A realistic order history at scale, written in bulk (PostgreSQL COPY), for the analytics benchmarks.

    DATABASE_URL=postgres://…/db .venv/bin/python -m bench.history --orders 1000000

Projects (one per ~20 000 orders) with 6 buildings each on real floor × door grids (18–33 floors,
4 doors), units handed over in the months after each project's delivery (2019–2024), orders over the
five years since, more in the rainy months (June–August) and more in a unit's first two years;
categories weighted as the field reports them; states mostly closed, with cancellations, rejections,
open orders and ~8 % reopened; state timeline events (arrival, completion, reopen) as the facts need.
Planted hotspots: in the first project's building 1 the 02 riser's bathrooms leak on every floor, and
the top floors of every first building take the roof leaks.

Written straight into the core's tables (bypassing the services, which would take hours at this
scale): it is a benchmark fixture, never run against a real database.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CATEGORIES = (("drainage", 14), ("water-supply", 10), ("electrical", 9), ("bathroom-leak", 9), ("wall-crack", 7),
              ("window-hardware", 8), ("tiles", 9), ("wall-paint", 8), ("entrance-door", 6), ("roof-leak", 4),
              ("wall-leak", 4), ("window-leak", 4), ("wood-flooring", 4), ("cabinets", 3), ("settlement", 2))
LAYOUTS = ("两室两厅", "三室两厅", "三室两厅", "四室两厅")
STATES = (("closed", 78), ("completed", 7), ("cancelled", 5), ("rejected", 2), ("assigned", 2), ("in_progress", 2),
          ("submitted", 2), ("waiting", 1), ("reopened", 1))
RAINY = {6: 1.7, 7: 1.8, 8: 1.5, 5: 1.2, 9: 1.1}


def _weighted(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


CATS, CAT_WEIGHTS = _weighted(CATEGORIES)
STATE_NAMES, STATE_WEIGHTS = _weighted(STATES)


def _one_order(rng: random.Random, n: int, now: datetime, units: list, riser: list, tops: list,  # type: ignore[type-arg]
               events: list, new_sync_id: object) -> tuple[object, ...]:  # type: ignore[type-arg]
    """One order's row (and its state events appended to ``events``)."""
    roll = rng.random()
    if roll < 0.02:
        unit, category = rng.choice(riser), "bathroom-leak"
    elif roll < 0.03:
        unit, category = rng.choice(tops), "roof-leak"
    else:
        unit = units[int(rng.random() ** 1.15 * len(units))]  # a few projects worse than others
        category = rng.choices(CATS, CAT_WEIGHTS)[0]
    start = datetime.combine(unit.handover_date, datetime.min.time(), tzinfo=UTC)
    span = max(1, int((now - start).total_seconds()))
    while True:  # more in a unit's first two years, and in the rainy months
        created = start + timedelta(seconds=int(span * rng.random() ** 1.6))
        if rng.random() * 1.8 <= RAINY.get(created.month, 1.0):
            break
    state = rng.choices(STATE_NAMES, STATE_WEIGHTS)[0]
    done = state in {"closed", "completed", "reopened"}
    completed = created + timedelta(hours=rng.randint(2, 120)) if done else None
    order_id = uuid.uuid4()
    rated = state == "closed"
    sync_id = new_sync_id  # the core's own id maker
    if completed is not None:
        on_site = created + (completed - created) / 3
        for at, to in ((on_site, "on_site"), (completed, "completed")):
            events.append(("state", "", "", to, "", "{}", False, at, order_id, sync_id(), 1))  # type: ignore[operator]
        if state == "reopened" or rng.random() < 0.07:
            events.append(("state", "", "completed", "reopened", "", "{}", True, completed + timedelta(days=2),
                           order_id, sync_id(), 1))  # type: ignore[operator]
    return (order_id, f"WB{n:010d}", "业主", "+8613800138000", "phone", category, "P3", "基准工单", "", "[]",
            "in" if rng.random() < 0.8 else "out", "", state, "parts" if state == "waiting" else "", "", "{}",
            Decimal(rng.choice((0, 35, 120, 260, 800))) if done else None, rng.randint(3, 5) if rated else None,
            rng.randint(3, 5) if rated else None, rng.randint(2, 5) if rated else None, "", created,
            completed or created, completed, 1, unit.building_id, unit.building.project_id, unit.id,
            sync_id(), 1, "", "")  # type: ignore[operator]


def generate(*, orders: int, seed: int = 18, progress: bool = True) -> dict[str, int]:
    from django.db import connection

    from backend.core.ids import new_sync_id
    from backend.properties.models import (
        Building,
        BuildingComponentContractor,
        Contractor,
        HandoverStatus,
        Project,
        Unit,
    )
    from workflows.warranty import CATEGORY_COMPONENTS

    rng = random.Random(seed)
    n_projects = max(3, orders // 20_000)
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    projects, buildings, units = [], [], []
    for p in range(n_projects):
        delivery = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365))
        project = Project(code=f"gen-{p:04d}", name=f"基准{p:04d}花园", city="杭州", address="杭州市西湖区",
                          latitude=Decimal("30.27"), longitude=Decimal("120.15"), delivery_date=delivery)
        projects.append(project)
        for b in range(6):
            building = Building(project=project, code=str(b + 1), name=f"{b + 1}栋", floors=rng.randint(18, 33),
                                completion_acceptance_date=delivery - timedelta(days=rng.randrange(30, 120)))
            buildings.append(building)
            for floor in range(1, building.floors + 1):
                for door in range(1, 5):
                    handover = delivery + timedelta(days=rng.randrange(0, 150))
                    units.append(Unit(building=building, number=f"{floor}{door:02d}", floor=floor,
                                      layout=LAYOUTS[door - 1], handover_status=HandoverStatus.DELIVERED,
                                      handover_date=handover))
    Project.objects.bulk_create(projects, batch_size=1000)
    Building.objects.bulk_create(buildings, batch_size=2000)
    Unit.objects.bulk_create(units, batch_size=5000)
    # Who built what: a few general contractors (structure) and specialists per component, each
    # building drawing its own (the first project's building 1 has the leaking riser's waterproofer).
    components = sorted(set(CATEGORY_COMPONENTS.values()))
    contractors = {c: [Contractor(name=f"基准{c}承包{k + 1}") for k in range(3)] for c in components}
    Contractor.objects.bulk_create([x for xs in contractors.values() for x in xs], batch_size=1000)
    BuildingComponentContractor.objects.bulk_create(
        [BuildingComponentContractor(building=b, component=c, contractor=rng.choice(contractors[c]))
         for b in buildings for c in components], batch_size=5000)
    by_project: dict[uuid.UUID, list[Unit]] = {}
    for unit in units:
        by_project.setdefault(unit.building.project_id, []).append(unit)
    riser = [u for u in by_project[projects[0].id] if u.building_id == buildings[0].id and u.number.endswith("02")]
    tops = [u for u in units if u.building.code == "1" and u.floor >= u.building.floors - 1]
    order_cols = ("id", "number", "contact_name", "contact_phone", "channel", "category_code", "priority",
                  "description", "location_detail", "preferred_slots", "warranty_verdict", "warranty_reason", "state",
                  "waiting_reason", "definitions_version", "routing_explanation", "actual_cost_yuan",
                  "rating_timeliness", "rating_attitude", "rating_quality", "rating_comment", "created_at",
                  "updated_at", "completed_at", "revision", "building_id", "project_id", "unit_id", "sync_id",
                  "sync_stamp", "contact_language", "paid_service_waiver_reason")
    event_cols = ("kind", "actor_label", "from_state", "to_state", "note", "data", "owner_visible", "created_at",
                  "order_id", "sync_id", "sync_stamp")
    started = time.monotonic()
    written_events = 0
    batch = 50_000
    with connection.cursor() as wrapper:
        raw = wrapper.cursor  # psycopg's cursor: COPY through its public API, one table at a time
        for first in range(0, orders, batch):
            events: list[tuple[object, ...]] = []
            with raw.copy(f"COPY workorders_workorder ({', '.join(order_cols)}) FROM STDIN") as orders_copy:
                for n in range(first, min(orders, first + batch)):
                    orders_copy.write_row(_one_order(rng, n, now, units, riser, tops, events, new_sync_id))
            with raw.copy(f"COPY workorders_timelineevent ({', '.join(event_cols)}) FROM STDIN") as events_copy:
                for row in events:
                    events_copy.write_row(row)
            written_events += len(events)
            if progress:
                print(f"  {min(orders, first + batch)} orders in {time.monotonic() - started:.0f} s", file=sys.stderr)
        wrapper.execute("ANALYZE")
    return {"projects": len(projects), "buildings": len(buildings), "units": len(units), "orders": orders,
            "events": written_events}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("DATABASE_URL must name a PostgreSQL database", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from backend.analytics.services import rollups_rebuild

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    counts = generate(orders=args.orders, seed=args.seed)
    generated = time.monotonic() - started
    rollups_rebuild(now=timezone.now(), progress=None)
    print(f"{counts} generated in {generated:.0f} s, roll-ups rebuilt in {time.monotonic() - started - generated:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def prepare(*, orders: int, reuse: bool, name: str) -> tuple[str, bool]:
    """Set up Django on a PostgreSQL database holding ``orders`` generated orders and rebuilt roll-ups
    (``$DATABASE_URL`` or a scratch database ``name``). ``reuse``: keep what a previous run generated
    when it has that many orders. Returns (url, created)."""
    from bench.pg import bench_database

    url, created = bench_database(name)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from backend.analytics.models import OrderFact
    from backend.analytics.services import rollups_rebuild
    from backend.workorders.models import WorkOrder

    call_command("migrate", verbosity=0)
    have = WorkOrder.objects.filter(number__startswith="WB").count()
    if not (reuse and have == orders and OrderFact.objects.count() >= orders):
        if have:
            raise SystemExit(f"the database already holds {have} generated orders: drop it, or --reuse with "
                             f"--orders {have}")
        started = time.monotonic()
        generate(orders=orders)
        print(f"generated {orders} orders in {time.monotonic() - started:.0f} s", file=sys.stderr)
        started = time.monotonic()
        rollups_rebuild(now=timezone.now())
        print(f"rebuilt the roll-ups in {time.monotonic() - started:.0f} s", file=sys.stderr)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return url, created
