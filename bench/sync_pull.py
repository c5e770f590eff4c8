"""Offline-sync figures on PostgreSQL: a technician scope of 10 000 orders with their related rows.

- ``sync_pull_vs_raw``: the first pull through ``mobile_sync.selectors.sync_pull`` (scope, stamps,
  device records, row encoding) against raw ``SELECT``s of the same rows and published columns encoded
  with orjson, in the same run. Target <= 2x. The no-change pull time and the first pull's peak memory
  (measured on a second device's first pull, not on the timed one) are printed too.
- ``sync_replay_ratio``: a push of 1 000 changes (events, comments, parts), then the same batch again:
  second time / first time. Target <= 0.2, with zero new rows.
- ``sync_retry_pull_ratio``: the office changes 1 000 of the orders; the device pulls (the first pull of these
  changes), the answer is lost, and the device pulls again from the same cursor (the retry): retry time /
  first time, summed over three rounds. Target <= 1.2x, and the retry sends the same records in the same lists.

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

# The tables the raw baseline reads, in the order of its queries (categories come from the rules files).
RAW_TABLES = ("projects", "units", "work_orders", "work_order_events", "comments", "part_usages", "attachments",
              "technician_profiles")


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
    from backend.workorders.intake.numbering import format_number
    from backend.workorders.models import Comment, TimelineEvent, WorkOrder
    from mobile_sync.models import DeviceTable
    from mobile_sync.selectors import sync_pull
    from mobile_sync.services import sync_push
    from mobile_sync.tables import SCOPE_STATES, TABLES_BY_NAME

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
    # Timed on its own: tracemalloc slows every allocation (about 3x for this pull) and the raw SELECT is not
    # traced, so the peak memory is measured on a second device's first pull of the same scope, below.
    started = time.perf_counter()
    first = sync_pull(user=tech, device=token, last_pulled_at=None, schema_version=1, now=timezone.now())
    body = orjson.dumps(first)
    pull_seconds = time.perf_counter() - started
    rows = sum(len(t["created"]) for t in first["changes"].values())

    # The baseline reads the same rows and computes the same published columns in hand-written SQL (epoch
    # milliseconds, numbers, nulls for blanks, the place, the unit's current owner), one query per table,
    # and encodes the tuples with orjson; it leaves out what only the pull does: the dicts, the owner's
    # masking, the categories (from the rules files, not SQL) and recording what the device holds.
    ms = "FLOOR(EXTRACT(EPOCH FROM {})*1000)::bigint".format
    in_scope = "o.technician_id = %s AND o.state = ANY(%s)"
    raw_sql = [
        ("SELECT p.sync_id, p.name, p.city, p.address, p.latitude::float8, p.longitude::float8, "
         "NULLIF(p.service_phone, '') FROM properties_project p "
         f"WHERE p.id IN (SELECT o.project_id FROM workorders_workorder o WHERE {in_scope})"),
        ("SELECT u.sync_id, p.sync_id, b.name, u.number, u.floor, u.layout, ow.name, ow.phone FROM properties_unit u "
         "JOIN properties_building b ON b.id = u.building_id JOIN properties_project p ON p.id = b.project_id "
         "LEFT JOIN LATERAL (SELECT w.name, w.phone FROM properties_ownership s JOIN properties_owner w "
         "ON w.id = s.owner_id WHERE s.unit_id = u.id AND s.end_date IS NULL "
         "ORDER BY s.is_primary_contact DESC, s.start_date, s.id LIMIT 1) ow ON true "
         f"WHERE u.id IN (SELECT o.unit_id FROM workorders_workorder o WHERE {in_scope})"),
        ("SELECT o.sync_id, o.number, p.sync_id, u.sync_id, "
         "concat_ws(' ', NULLIF(p.name, ''), NULLIF(b.name, ''), NULLIF(COALESCE(NULLIF(u.number, ''), a.name), '')), "
         "o.category_code, o.priority, o.description, o.location_detail, o.contact_name, o.contact_phone, o.state, "
         "NULLIF(o.waiting_reason, ''), o.preferred_slots::text, o.warranty_verdict, o.estimate_yuan::float8, "
         f"{ms('o.created_at')}, {ms('o.updated_at')}, o.revision "
         "FROM workorders_workorder o JOIN properties_project p ON p.id = o.project_id "
         "LEFT JOIN properties_building b ON b.id = o.building_id LEFT JOIN properties_unit u ON u.id = o.unit_id "
         f"LEFT JOIN properties_publicarea a ON a.id = o.public_area_id WHERE {in_scope}"),
        (f"SELECT e.sync_id, o.sync_id, NULLIF(e.from_state, ''), e.to_state, {ms('e.device_at')}, e.note, "
         f"'applied', NULL, {ms('e.created_at')} FROM workorders_timelineevent e "
         f"JOIN workorders_workorder o ON o.id = e.order_id WHERE e.kind = 'state' AND {in_scope}"),
        ("SELECT c.sync_id, o.sync_id, c.body, c.owner_visible, "
         f"COALESCE(NULLIF(au.display_name, ''), NULLIF(au.username, ''), ''), {ms('c.created_at')} "
         "FROM workorders_comment c JOIN workorders_workorder o ON o.id = c.order_id "
         f"LEFT JOIN accounts_user au ON au.id = c.author_id WHERE {in_scope}"),
        (f"SELECT x.sync_id, o.sync_id, x.name, x.quantity::float8, x.unit_price_yuan::float8, {ms('x.created_at')} "
         f"FROM workorders_partusage x JOIN workorders_workorder o ON o.id = x.order_id WHERE {in_scope}"),
        ("SELECT x.sync_id, o.sync_id, x.content_type, x.size_bytes, x.sha256, x.file, NULLIF(x.thumbnail, ''), "
         f"{ms('x.created_at')} FROM workorders_attachment x JOIN workorders_workorder o ON o.id = x.order_id "
         f"WHERE {in_scope}"),
    ]
    profile_sql = ("SELECT t.sync_id, COALESCE(NULLIF(au.display_name, ''), au.username), t.skills::text, t.on_duty, "
                   f"t.last_latitude::float8, t.last_longitude::float8, {ms('t.last_position_at')} "
                   "FROM accounts_technicianprofile t JOIN accounts_user au ON au.id = t.user_id WHERE t.user_id = %s")
    queries = [(sql, [tech.id, list(SCOPE_STATES)]) for sql in raw_sql] + [(profile_sql, [tech.id])]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        payload = []
        for sql, params in queries:
            cursor.execute(sql, params)
            payload.append(cursor.fetchall())
    raw_body = orjson.dumps(payload)
    raw_seconds = time.perf_counter() - started
    raw_rows = sum(len(p) for p in payload)
    for name, tuples in zip(RAW_TABLES, payload, strict=True):  # the same rows, the same number of columns
        pulled = first["changes"][name]["created"]
        assert {t[0] for t in tuples} == {r["id"] for r in pulled}, name
        assert all(len(t) == len(TABLES_BY_NAME[name].names) for t in tuples), name
    pull_ratio = pull_seconds / raw_seconds

    second, _raw = account_services.device_token_issue(user=tech, name="bench-phone-2", now=timezone.now())
    tracemalloc.start()
    orjson.dumps(sync_pull(user=tech, device=second, last_pulled_at=None, schema_version=1, now=timezone.now()))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        third, _raw = account_services.device_token_issue(user=tech, name="bench-phone-3", now=timezone.now())
        profiler = cProfile.Profile()
        profiler.enable()
        sync_pull(user=tech, device=third, last_pulled_at=None, schema_version=1, now=timezone.now())
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)

    # The first pull is confirmed when the device presents its cursor: the next pull writes what it holds.
    started = time.perf_counter()
    confirming = sync_pull(user=tech, device=token, last_pulled_at=first["timestamp"], schema_version=1,
                           now=timezone.now())
    confirming_seconds = time.perf_counter() - started
    started = time.perf_counter()
    quiet = sync_pull(user=tech, device=token, last_pulled_at=confirming["timestamp"], schema_version=1,
                      now=timezone.now())
    quiet_seconds = time.perf_counter() - started
    assert not any(t["created"] or t["updated"] for t in confirming["changes"].values())
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

    # --- a retried pull after a lost answer --------------------------------------------------------------
    def lists(body):  # type: ignore[no-untyped-def]
        return {(t, kind): sorted(r if isinstance(r, str) else r["id"] for r in entry[kind])
                for t, entry in body["changes"].items() for kind in ("created", "updated", "deleted")}

    cursor_value = sync_pull(user=tech, device=token, last_pulled_at=cursor_value, schema_version=1,
                             now=timezone.now())["timestamp"]  # takes the push's answers back
    sync_pull(user=tech, device=token, last_pulled_at=cursor_value, schema_version=1, now=timezone.now())
    first_pulls = retried_pulls = 0.0
    changed = 0
    for round_number in range(3):
        some = list(WorkOrder.objects.filter(technician=tech).order_by("id").values_list("id", flat=True)
                    [round_number * 1000:(round_number + 1) * 1000])
        WorkOrder.objects.filter(id__in=some).update(location_detail=f"第{round_number}轮 主卫吊顶内")
        started = time.perf_counter()
        lost = sync_pull(user=tech, device=token, last_pulled_at=cursor_value, schema_version=1, now=timezone.now())
        first_pulls += time.perf_counter() - started
        started = time.perf_counter()
        retried = sync_pull(user=tech, device=token, last_pulled_at=cursor_value, schema_version=1,
                            now=timezone.now())
        retried_pulls += time.perf_counter() - started
        assert lists(retried) == lists(lost), "the retried pull sent other records"
        changed = len(retried["changes"]["work_orders"]["updated"])
        assert changed == 1000, changed
        cursor_value = retried["timestamp"]
        sync_pull(user=tech, device=token, last_pulled_at=cursor_value, schema_version=1, now=timezone.now())
    retry_ratio = retried_pulls / first_pulls

    today = datetime.now(UTC).date().isoformat()
    print(f"scope: {args.orders} orders, {rows} rows, {len(body) / 1e6:.1f} MB of JSON "
          f"(raw: {raw_rows} rows, {len(raw_body) / 1e6:.1f} MB)")
    print(f"first pull {pull_seconds:.2f} s, raw SELECT + orjson {raw_seconds:.2f} s, "
          f"no-change pull {quiet_seconds:.2f} s (the one confirming the first pull {confirming_seconds:.2f} s), "
          f"peak memory {peak / 1e6:.0f} MB")
    print(f"push of 1 000 changes {push_first:.2f} s, same batch again {push_second * 1000:.1f} ms (0 new rows)")
    print(f"| sync_pull_vs_raw | {pull_ratio:.2f}x | <= 2x | {today} | .venv/bin/python bench/sync_pull.py |")
    print(f"pull of {changed} changed orders {first_pulls / 3 * 1000:.0f} ms, the same pull retried after a lost "
          f"answer {retried_pulls / 3 * 1000:.0f} ms (mean of 3 rounds)")
    print(f"| sync_replay_ratio | {replay_ratio:.3f} | <= 0.2 | {today} | .venv/bin/python bench/sync_pull.py |")
    print(f"| sync_retry_pull_ratio | {retry_ratio:.2f}x | <= 1.2x | {today} | .venv/bin/python bench/sync_pull.py |")
    connection.close()
    if created:
        drop_bench_database("anxin_bench_sync")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
