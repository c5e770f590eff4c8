"""Orders per second through the intake service against bare INSERTs of the same rows, on PostgreSQL.

The intake path is the real one: validate, number, create, timeline, SLA clocks (engine schedule,
deadlines, alert rungs), routing on live data (candidate snapshot, strategy, assignment through the
state machine), the owner's text message and the webhook delivery row, the live updates after
commit. Every measured order is assigned: the orders are electrical faults, which the shipped rules
give to the plumbing-and-electrical team's best-skilled technician with no load cap (drain orders
stop being assigned once both plumbers hold 8 open orders, which would measure the queue path).

The baseline writes **the same rows** with psycopg: after the measured round the script reads back
every row the intakes stored (the order, its timeline events, assignment, SLA clock events,
deadlines and alert rungs, the notification deliveries; it checks that these are all the rows the
round added, in every table) and inserts a copy of each order's rows — new keys, same values — in
one transaction per order, as the intake commits once per order. It is measured two ways:

- ``per_row`` (the figure ``intake_vs_insert``): one bare ``INSERT ... VALUES`` per row;
- ``per_table``: one multi-row ``INSERT`` per table per order (fewer round trips than rows), printed
  as ``intake_vs_insert_per_table``.

Also printed, for comparison with earlier entries: against one autocommitted ``INSERT`` of a copy of
the order row alone (``intake_vs_order_row``), the baseline before 2026-12-01, which weighs an intake's 18 rows
against one of them. Each ratio is the median of the rounds' ratios, each round's intake rate over
the baseline measured right after it. The script exits 1 below the target.

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
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from bench.pg import bench_database, drop_bench_database  # noqa: E402

CATEGORY = "electrical"  # 强电线路与开关插座, default priority P3
# The tables an intake writes rows to, with the column that ties a row to its order.
ORDER_TABLES = (("workorders_workorder", "id"), ("workorders_timelineevent", "order_id"),
                ("workorders_assignment", "order_id"), ("workorders_slaclockevent", "order_id"),
                ("workorders_sladeadline", "order_id"), ("workorders_slaalert", "order_id"))
DELIVERIES = "notifications_delivery"  # tied to its order by the order id in its idempotency key


class RowCopies:
    """Each order's stored rows, ready to be inserted again under new keys."""

    def __init__(self, raw: psycopg.Connection[Any], order_ids: Sequence[uuid.UUID]) -> None:
        self.raw = raw
        self.columns: dict[str, list[tuple[str, str, bool]]] = {}
        self.rows: dict[uuid.UUID, list[tuple[str, dict[str, Any]]]] = {order_id: [] for order_id in order_ids}
        ids = list(order_ids)
        for table, key in (*ORDER_TABLES, (DELIVERIES, None)):
            self.columns[table] = [(name, data_type, identity == "YES") for name, data_type, identity in raw.execute(
                "SELECT column_name, data_type, is_identity FROM information_schema.columns "
                "WHERE table_name = %s ORDER BY ordinal_position", (table,))]
            names = [name for name, _, _ in self.columns[table]]
            if key is None:
                cursor = raw.execute(f"SELECT {', '.join(names)} FROM {table} WHERE idempotency_key LIKE ANY(%s)",
                                     ([f"%{order_id}%" for order_id in ids],))
            else:
                cursor = raw.execute(f"SELECT {', '.join(names)} FROM {table} WHERE {key} = ANY(%s) ORDER BY 1",
                                     (ids,))
            for values in cursor:
                row = dict(zip(names, values, strict=True))
                owner = row.get("order_id") or row.get("id") if key else \
                    next(order_id for order_id in ids if str(order_id) in row["idempotency_key"])
                self.rows[owner].append((table, row))

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def _copy(self, table: str, row: dict[str, Any], new_order_id: uuid.UUID) -> tuple[list[str], list[Any]]:
        from backend.core.ids import new_sync_id

        names, values = [], []
        for name, data_type, identity in self.columns[table]:
            if identity:
                continue  # a new serial id
            value = row[name]
            if name == "id":
                value = new_order_id if table == "workorders_workorder" else uuid.uuid4()
            elif name == "order_id":
                value = new_order_id
            elif name == "number":
                value = f"B{uuid.uuid4().hex[:18]}"
            elif name == "sync_id":
                value = new_sync_id()
            elif name == "idempotency_key":
                value = f"bench:{uuid.uuid4()}"
            elif data_type == "jsonb" and value is not None:
                value = Jsonb(value)
            names.append(name)
            values.append(value)
        return names, values

    def insert_per_row(self) -> None:
        for rows in self.rows.values():
            new_order_id = uuid.uuid4()
            with self.raw.transaction():
                for table, row in rows:
                    names, values = self._copy(table, row, new_order_id)
                    self.raw.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                                     f"({', '.join(['%s'] * len(names))})", values)

    def insert_order_rows(self) -> None:
        """The baseline of the entries before 2026-12-01: each order's own row alone, autocommitted."""
        for rows in self.rows.values():
            [(table, row)] = [(table, row) for table, row in rows if table == "workorders_workorder"]
            names, values = self._copy(table, row, uuid.uuid4())
            self.raw.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
                             values)

    def insert_per_table(self) -> None:
        for rows in self.rows.values():
            new_order_id = uuid.uuid4()
            tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
            for table, row in rows:
                names, values = self._copy(table, row, new_order_id)
                tables.setdefault(table, (names, []))[1].append(values)
            with self.raw.transaction():
                for table, (names, value_rows) in tables.items():
                    placeholders = ", ".join(f"({', '.join(['%s'] * len(names))})" for _ in value_rows)
                    self.raw.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES {placeholders}",
                                     [value for values in value_rows for value in values])


def table_rows(raw: psycopg.Connection[Any]) -> dict[str, int]:
    tables = [name for (name,) in raw.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
    return {table: raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}  # type: ignore[index]


def timed(work: Callable[[], None], count: int) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def main() -> int:  # noqa: PLR0915 — a linear script
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
    from backend.properties.models import Unit
    from backend.rulesets.selectors import definitions_scope
    from backend.workorders.actors import Actor
    from backend.workorders.models import WorkOrder
    from backend.workorders.services import order_intake

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--scale", "1", "--no-orders", verbosity=0)
    agent = User.objects.get(username="cs")
    units = list(Unit.objects.order_by("id").values_list("id", flat=True)[: args.orders])
    actor = Actor(user=agent)
    dsn = connection.get_connection_params()
    raw = psycopg.connect(**{k: v for k, v in dsn.items() if k in {"dbname", "user", "host", "port", "password"}},
                          autocommit=True)

    def intake_one(unit_id: object) -> WorkOrder:
        # As a request runs it: the rule version in force is read once for the intake (the middleware's scope).
        with definitions_scope():
            return order_intake(actor=actor, channel="phone", category_code=CATEGORY, description="卧室插座没电，开关跳闸",
                                contact_name="张女士", contact_phone="13800138000", now=timezone.now(),
                                unit_id=unit_id).order

    def intake_round() -> tuple[float, RowCopies]:
        before = table_rows(raw)
        started = time.perf_counter()
        orders = [intake_one(unit_id) for unit_id in units]
        rate = len(units) / (time.perf_counter() - started)
        unassigned = sum(1 for order in orders if order.state != "assigned")
        assert not unassigned, f"{unassigned} intakes were not assigned: this would measure the queue path"
        # The day's order-number counter is one row updated by every intake (created by the first one).
        added = {table: count - before.get(table, 0) for table, count in table_rows(raw).items()
                 if count != before.get(table, 0) and table != "workorders_ordernumbercounter"}
        copies = RowCopies(raw, [order.id for order in orders])
        assert copies.count() == sum(added.values()), f"the baseline would miss rows the intakes added: {added}"
        return rate, copies

    def statements_per_intake() -> int:
        statements = []
        with connection.execute_wrapper(lambda execute, sql, *rest: statements.append(sql) or execute(sql, *rest)):
            intake_one(units[0])
        return len(statements) + 2  # and the transaction's BEGIN and COMMIT, which the wrapper does not see

    intake_round()  # warm-up: caches, the definition set, first-day counter row
    statements = statements_per_intake()
    rates: dict[str, list[float]] = {"intake": [], "per_row": [], "per_table": [], "order_row": []}
    rows_per_order = 0.0
    for _ in range(args.rounds):
        rate, copies = intake_round()
        rates["intake"].append(rate)
        rows_per_order = copies.count() / len(units)
        rates["per_row"].append(timed(copies.insert_per_row, len(units)))
        rates["per_table"].append(timed(copies.insert_per_table, len(units)))
        rates["order_row"].append(timed(copies.insert_order_rows, len(units)))
    # Each round's ratio is taken against the baseline measured right after it, so a slower stretch of
    # the machine (they are shared) weighs on both sides of the same ratio; the figure is their median.
    ratios = {name: [intake / base for intake, base in zip(rates["intake"], rates[name], strict=True)]
              for name in ("per_row", "per_table", "order_row")}
    median = {name: statistics.median(values) for name, values in rates.items()}
    ratio, per_table, order_row = (statistics.median(ratios[name]) for name in ("per_row", "per_table", "order_row"))
    today = datetime.now(UTC).date().isoformat()
    print(f"intake: {median['intake']:.1f} orders/s (median of {args.rounds} rounds of {len(units)}: "
          f"{', '.join(f'{rate:.0f}' for rate in rates['intake'])}), {statements} statements and "
          f"{rows_per_order:g} rows per intake")
    for name, label in (("per_row", "same rows, one INSERT per row"), ("per_table", "same rows, one INSERT per table"),
                        ("order_row", "the order row alone (the baseline before 2026-12-01)")):
        print(f"{label}: {median[name]:.1f} orders/s; ratios by round "
              f"{', '.join(f'{value:.3f}' for value in ratios[name])}")
    print(f"intake_vs_insert {ratio:.3f}")
    print(f"intake_vs_insert_per_table {per_table:.3f}")
    print(f"intake_vs_order_row {order_row:.3f}")
    print(f"| intake_vs_insert | {ratio:.2f} | >= 0.2 | {today} | .venv/bin/python bench/intake.py |")
    raw.close()
    connection.close()
    if created:
        drop_bench_database("anxin_bench")
    return 0 if ratio >= 0.2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
