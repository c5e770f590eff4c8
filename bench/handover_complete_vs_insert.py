"""Handovers per second through the handover services against bare INSERTs of the same rows, on PostgreSQL.

What is measured, per unit, is the part of a handover that writes the after-sales side: the inspection's
defects raised as work orders (two per unit, through the core's intake: numbering, timeline, SLA clocks,
routing and assignment, the owner's text, webhook rows) and the completion (ownership from the buyers,
the unit's handover date and status, the QR label, one warranty clock per component under both chains,
the first service tasks) — ``defect_report`` twice and ``handover_complete`` once, as the officer's
tablet calls them. The preparation (the batch import, the inspection's start, the owner's signature,
which writes a file) runs before the clock starts.

The baseline writes **the same rows**: after the measured round the script reads back every row the
round inserted, in every table (the rows whose keys were not there before it), deletes them, and
inserts them again, bare ``INSERT ... VALUES`` one per row, with psycopg, in the transactions that
wrote them (grouped by PostgreSQL's ``xmin``: one per defect and one for the completion, as the
services commit), in their order, parents before children inside each. The
updates a handover also makes (the unit's date and status, the item's state, the day's order-number
counter) are left out of the baseline, which makes it the faster side. Each round's ratio is taken
against the baseline measured right after it; the figure is the median. The script exits 1 below
the target (0.3).

Run: ``.venv/bin/python bench/handover_complete_vs_insert.py [--units 100] [--rounds 3]``. It uses
``$DATABASE_URL`` when it names a PostgreSQL database, otherwise it creates ``anxin_bench_handover``
on the local server (dropped afterwards).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from datetime import UTC, date, datetime
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

from bench.pg import bench_database, drop_bench_database  # noqa: E402

TARGET = 0.3
# Tables each measured service writes to outside a savepoint: their rows name the service's transaction.
TOP_LEVEL = ("handover_defect", "handover_servicetask")
DEFECTS = (("wall-paint", "客厅墙面开裂"), ("bathroom-leak", "卫生间地漏反水"))
SIGNATURE = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
             b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


class Tables:
    """Every public table with its primary key, its columns and the tables its foreign keys point to."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.key: dict[str, str] = dict(raw.execute(  # type: ignore[arg-type]
            "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
            "AND kcu.table_name = tc.table_name WHERE tc.constraint_type = 'PRIMARY KEY' "
            "AND tc.table_schema = 'public'").fetchall())
        self.columns: dict[str, list[tuple[str, str]]] = {}
        for table, name, data_type in raw.execute(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"):
            self.columns.setdefault(table, []).append((name, data_type))
        parents: dict[str, set[str]] = {table: set() for table in self.key}
        for child, parent in raw.execute(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"):
            if child in parents and parent != child:
                parents[child].add(parent)
        self.order = list(TopologicalSorter(parents).static_order())  # parents first

    def keys(self) -> dict[str, set[Any]]:
        return {table: {key for (key,) in self.raw.execute(f"SELECT {self.key[table]} FROM {table}")}
                for table in self.order}


class RowCopies:
    """The rows a round inserted, grouped by the transaction that wrote them (PostgreSQL's ``xmin``),
    parents before children inside each, ready to be inserted again."""

    def __init__(self, tables: Tables, before: dict[str, set[Any]]) -> None:
        self.tables = tables
        after = tables.keys()
        self.by_table: dict[str, list[Any]] = {}
        by_transaction: dict[int, list[tuple[str, list[str], list[Any]]]] = {}
        for table in tables.order:
            new = sorted(after[table] - before[table], key=str)
            if not new:
                continue
            self.by_table[table] = new
            names = [name for name, _ in tables.columns[table]]
            jsonb = {name for name, data_type in tables.columns[table] if data_type == "jsonb"}
            for xmin, *values in tables.raw.execute(f"SELECT xmin::text::bigint, {', '.join(names)} FROM {table} "
                                                    f"WHERE {tables.key[table]} = ANY(%s)", (new,)):
                by_transaction.setdefault(xmin, []).append(
                    (table, names, [Jsonb(v) if n in jsonb and v is not None else v
                                    for n, v in zip(names, values, strict=True)]))
        # Rows written inside a savepoint (the intake runs in one, the QR token's insert too) carry the
        # savepoint's own transaction id, which PostgreSQL hands out after its parent's: fold each into
        # the latest top-level one before it. The top-level ids are those of the rows each service
        # writes outside any savepoint: the defect row, the completion's service tasks.
        tops = sorted({xmin for xmin, rows in by_transaction.items() if any(t in TOP_LEVEL for t, _, _ in rows)})
        grouped: dict[int, list[tuple[str, list[str], list[Any]]]] = {top: [] for top in tops}
        for xmin in sorted(by_transaction):
            top = max((t for t in tops if t <= xmin), default=None)
            assert top is not None, f"rows of transaction {xmin} come before any service's own"
            grouped[top].extend(by_transaction[xmin])
        order = {table: index for index, table in enumerate(tables.order)}
        self.transactions = [sorted(grouped[top], key=lambda row: order[row[0]]) for top in tops]

    def count(self) -> int:
        return sum(len(rows) for rows in self.transactions)

    def delete(self) -> None:
        with self.tables.raw.transaction():
            self.tables.raw.execute("SET LOCAL session_replication_role = replica")  # no FK order to follow
            for table, keys in self.by_table.items():
                self.tables.raw.execute(f"DELETE FROM {table} WHERE {self.tables.key[table]} = ANY(%s)", (keys,))

    def insert_per_row(self) -> dict[str, float]:
        """One bare INSERT per row, in the transactions the services committed them in, in their order.
        Returns the seconds spent on the defects' transactions and on the completions'."""
        raw = self.tables.raw
        spent = {"defects": 0.0, "completion": 0.0}
        for rows in self.transactions:
            started = time.perf_counter()
            with raw.transaction():
                for table, names, values in rows:
                    raw.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                                f"({', '.join(['%s'] * len(names))})", values)
            kind = "completion" if any(table == "handover_servicetask" for table, _, _ in rows) else "defects"
            spent[kind] += time.perf_counter() - started
        return spent


def main() -> int:  # noqa: PLR0915 — a linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where a round's time goes")
    args = parser.parse_args()

    url, created = bench_database("anxin_bench_handover")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # the channel layer stays in memory: this measures the database path
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from backend.accounts.models import User
    from backend.handover import services
    from backend.properties.models import Building, Project, Unit
    from backend.rulesets.selectors import definitions_scope

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="handover").exists():
        call_command("seed_demo", "--scale", "1", "--no-orders", verbosity=0)
    officer = User.objects.get(username="handover")
    project = Project.objects.order_by("code").first()
    assert project is not None
    dsn = connection.get_connection_params()
    raw = psycopg.connect(**{k: v for k, v in dsn.items() if k in {"dbname", "user", "host", "port", "password"}},
                          autocommit=True)
    tables = Tables(raw)
    serial = iter(range(Building.objects.filter(code__startswith="BH").count() + 1, 1_000_000))

    def prepared(count: int) -> list[Any]:
        """A new building of ``count`` units, all in one batch, each inspected and signed."""
        n = next(serial)
        building = Building.objects.create(project=project, code=f"BH{n}", name=f"交付楼{n}", floors=30,
                                           completion_acceptance_date=date(2026, 9, 1))
        Unit.objects.bulk_create([Unit(building=building, number=f"{1 + i // 4:02d}{1 + i % 4:02d}",
                                       floor=1 + i // 4, layout="A") for i in range(count)])
        now = timezone.now()
        batch = services.batch_create(actor=officer, project_id=project.id, building_id=building.id,
                                      name=f"交付批次{n}", start_date=date(2026, 12, 1), end_date=date(2026, 12, 31),
                                      now=now)
        items = services.batch_import(actor=officer, batch_id=batch.id, now=now, rows=[
            {"unit": unit.number, "phone": f"1391{n:03d}{i:04d}", "buyers": f"业主{i}、配偶{i}"}
            for i, unit in enumerate(Unit.objects.filter(building=building).order_by("number"))])
        for item in items:
            services.inspection_start(actor=officer, item_id=item.id, now=now)
            services.inspection_sign(actor=officer, item_id=item.id, signature_png=SIGNATURE, now=now)
        return items

    spent = {"defects": 0.0, "completion": 0.0}

    def hand_over(item: Any) -> None:
        # As a request runs it: the rule version in force is read once per request (the middleware's scope).
        lines = list(item.inspection.lines.values_list("id", flat=True)[: len(DEFECTS)])
        started = time.perf_counter()
        for line_id, (code, text) in zip(lines, DEFECTS, strict=True):
            with definitions_scope():
                services.defect_report(actor=officer, item_id=item.id, category_code=code, description=text,
                                       line_id=line_id, now=timezone.now())
        middle = time.perf_counter()
        services.handover_complete(actor=officer, item_id=item.id, now=timezone.now())
        spent["defects"] += middle - started
        spent["completion"] += time.perf_counter() - middle

    def measured_round(profile: bool = False) -> tuple[float, RowCopies]:
        items = [type(item).objects.select_related("inspection").get(id=item.id) for item in prepared(args.units)]
        before = tables.keys()
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        for item in items:
            hand_over(item)
        if profiler:
            profiler.disable()
        rate = len(items) / (time.perf_counter() - started)
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return rate, RowCopies(tables, before)

    def statements_per_handover() -> int:
        [item] = prepared(1)
        item = type(item).objects.select_related("inspection").get(id=item.id)
        statements: list[str] = []
        with connection.execute_wrapper(lambda execute, sql, *rest: statements.append(sql) or execute(sql, *rest)):
            hand_over(item)
        if os.environ.get("BENCH_SHOW_SQL"):
            print("\n".join(sql[:160] for sql in statements))
        return len(statements)

    measured_round()  # warm-up: caches, the definition set, the day's counter row
    statements = statements_per_handover()
    if args.profile:
        measured_round(profile=True)
    rates: dict[str, list[float]] = {"handover": [], "per_row": []}
    parts: dict[str, list[float]] = {"defects": [], "completion": []}
    rows_per_unit: float = 0
    transactions_per_unit: float = 0
    tables_written: list[str] = []
    for _ in range(args.rounds):
        spent.update(defects=0.0, completion=0.0)
        rate, copies = measured_round()
        ours = dict(spent)
        rates["handover"].append(rate)
        assert len(copies.transactions) == args.units * (len(DEFECTS) + 1), len(copies.transactions)
        rows_per_unit = copies.count() / args.units
        transactions_per_unit = len(copies.transactions) / args.units
        tables_written = list(copies.by_table)
        copies.delete()
        started = time.perf_counter()
        base = copies.insert_per_row()
        rates["per_row"].append(args.units / (time.perf_counter() - started))
        for part in ("defects", "completion"):
            parts[part].append(base[part] / ours[part])
    ratios = [ours / base for ours, base in zip(rates["handover"], rates["per_row"], strict=True)]
    ratio = statistics.median(ratios)
    today = datetime.now(UTC).date().isoformat()
    print(f"handover: {statistics.median(rates['handover']):.1f} units/s (rounds of {args.units}: "
          f"{', '.join(f'{r:.1f}' for r in rates['handover'])}), {statements} statements and "
          f"{rows_per_unit:g} rows in {transactions_per_unit:g} transactions per unit, in {len(tables_written)} tables: {', '.join(tables_written)}")
    print(f"same rows, one INSERT per row: {statistics.median(rates['per_row']):.1f} units/s; ratios by round "
          f"{', '.join(f'{r:.3f}' for r in ratios)}")
    for part, label in (("defects", "the two defects alone (the core's intake)"),
                        ("completion", "the completion alone")):
        print(f"{label} against their rows: ratios by round {', '.join(f'{r:.3f}' for r in parts[part])}, "
              f"median {statistics.median(parts[part]):.3f}")
    print(f"handover_complete_vs_insert {ratio:.3f}")
    print(f"| handover_complete_vs_insert | {ratio:.2f} | >= {TARGET} | {today} | "
          f".venv/bin/python bench/handover_complete_vs_insert.py --units {args.units} --rounds {args.rounds} |")
    raw.close()
    connection.close()
    if created:
        drop_bench_database("anxin_bench_handover")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
