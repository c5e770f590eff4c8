"""The technician app in headless Chromium (Debian's), on PostgreSQL behind daphne, for a scope of 2 000 orders.

- ``tech_first_sync_vs_fetch``: from the sign-in tap to the order list shown (token issue, WatermelonDB's first
  ``synchronize()``, the Loki inserts, the forced save to IndexedDB, the rendered list), against a plain
  ``fetch`` + ``JSON.parse`` of the same first-pull body (a second device's first pull) in the same page.
  Target <= 3x.
- ``tech_cold_start_vs_idb``: with those orders stored, the app reloaded offline (the service worker serves the
  shell), from navigation start to the list shown, against reading the same records straight from IndexedDB
  (the Loki incremental store's chunks: ``getAll`` + ``JSON.parse``) in the same page. Reported, no target in
  the issue.

Run: ``.venv/bin/python bench/tech_first_sync.py [--orders 2000] [--rounds 3]`` (the app must be built: ./run
does it). Uses ``$DATABASE_URL`` when it names a PostgreSQL database, otherwise creates ``anxin_bench_tech``
(dropped afterwards). Prints the medians of ``--rounds`` runs, each in a fresh browser context.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pg import bench_database, drop_bench_database  # noqa: E402

# The list is shown: its first page of cards (100, the app draws the rest on demand) for all n orders.
SHOWN = """(n) => document.querySelector(`ul.orders[data-total="${n}"]`)
  && document.querySelectorAll('[data-testid=order]').length === Math.min(n, 100) ? performance.now() : false"""
FETCH = """async (token) => {
  const t0 = performance.now()
  const r = await fetch('/api/v1/sync/pull?last_pulled_at=null&schema_version=1&migration=null',
                        { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' })
  const body = JSON.parse(await r.text())
  return [performance.now() - t0, body.changes.work_orders.created.length]
}"""
IDB_READ = """async () => {
  const t0 = performance.now()
  const db = await new Promise((ok, ko) => { const q = indexedDB.open('anxin-tech'); q.onsuccess = () => ok(q.result);
                                             q.onerror = () => ko(q.error) })
  const store = db.transaction(db.objectStoreNames[0], 'readonly').objectStore(db.objectStoreNames[0])
  const chunks = await new Promise((ok, ko) => { const q = store.getAll(); q.onsuccess = () => ok(q.result);
                                                 q.onerror = () => ko(q.error) })
  let orders = 0
  for (const c of chunks) {
    const value = typeof c.value === 'string' ? JSON.parse(c.value) : c.value
    if (c.key.startsWith('work_orders.chunk.')) orders += value.length
  }
  db.close()
  return [performance.now() - t0, orders]
}"""


# Where the first sync's time goes: the sign-in request (the password hash) and the pull request, from the
# page's resource timing.
PARTS = """() => {
  const of = (path) => performance.getEntriesByType('resource').filter((e) => e.name.includes(path))
    .map((e) => e.responseEnd - e.startTime)[0] ?? null
  const mark = (name) => performance.getEntriesByName(name).map((e) => e.startTime - window.__t0)
  return { sign_in: of('/api/v1/auth/tokens'), pull: of('/api/v1/sync/pull'), pulled: mark('anxin:pulled')[0],
           applied: mark('anxin:applied')[0], saved: mark('anxin:saved')[0],
           view: mark('anxin:view').filter((t) => t > 0) }
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:  # noqa: PLR0915 — a linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    assert (ROOT / "technician_app" / "dist" / "sw.js").exists(), "build the app first (./run, or vite build)"
    url, created = bench_database("anxin_bench_tech")
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from backend.accounts import services as account_services
    from backend.accounts.models import User
    from backend.properties.demo import DEMO_PASSWORD
    from backend.properties.models import Unit
    from backend.workorders.intake.numbering import format_number
    from backend.workorders.models import TimelineEvent, WorkOrder

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--scale", "10", "--no-orders", verbosity=0)
    tech = User.objects.get(username="tech1")
    units = list(Unit.objects.select_related("building__project").order_by("id")[: args.orders])
    now = timezone.now()
    held = WorkOrder.objects.filter(technician=tech, state="assigned").count()
    if held != args.orders:  # a database kept from an earlier run ($DATABASE_URL) already holds them
        assert held == 0, f"tech1 holds {held} orders in this database; use a fresh one"
        WorkOrder.objects.bulk_create([
            WorkOrder(number=format_number((now - timedelta(days=400)).date(), n + 1), unit=units[n % len(units)],
                      building=units[n % len(units)].building, project=units[n % len(units)].building.project,
                      contact_name="张女士", contact_phone="+8613800138000", channel="phone", category_code="drainage",
                      priority="P3", description="厨房下水道堵塞", state="assigned", technician=tech, created_at=now,
                      updated_at=now) for n in range(args.orders)], batch_size=2000)
        TimelineEvent.objects.bulk_create([
            TimelineEvent(order=o, kind="state", from_state="submitted", to_state="assigned", created_at=now)
            for o in WorkOrder.objects.filter(technician=tech)], batch_size=2000)
    # The baseline's devices (a first pull each), issued before Playwright's event loop runs in this thread.
    others = [account_services.device_token_issue(user=tech, name=f"bench-{n}", now=timezone.now())[1]
              for n in range(args.rounds)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 — closed below
    web = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                            "backend.config.asgi:application"], cwd=ROOT, env=dict(os.environ), stdout=log,
                           stderr=subprocess.STDOUT)
    first, fetched, cold, idb, parts = [], [], [], [], []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/tech/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)  # waiting for daphne to listen, bounded
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            for _round in range(args.rounds):
                context = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="allow")
                page = context.new_page()
                page.goto(f"{base}/tech/")
                page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
                page.fill("input[name=username]", "tech1")
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.evaluate("window.__t0 = performance.now()")
                page.click("button.primary")
                shown = page.wait_for_function(SHOWN, arg=args.orders, timeout=300_000, polling="raf").json_value()
                first.append(shown - page.evaluate("window.__t0"))
                page.wait_for_function("!document.querySelector('.syncline button[disabled]')", timeout=120_000)
                parts.append(page.evaluate(PARTS))  # once the sync is over: its forced save may follow the list
                ms, n = page.evaluate(FETCH, others[_round])
                assert n == args.orders, n
                fetched.append(ms)
                # Cold start: offline, from navigation start to the list shown.
                context.set_offline(True)
                page.reload()
                cold.append(page.wait_for_function(SHOWN, arg=args.orders, timeout=300_000, polling="raf").json_value())
                ms, n = page.evaluate(IDB_READ)
                assert n == args.orders, n
                idb.append(ms)
                context.close()
            browser.close()
    finally:
        web.terminate()
        web.wait(timeout=15)
        log.close()
        if created:
            from django.db import connections

            connections.close_all()
            drop_bench_database("anxin_bench_tech")
    med = statistics.median
    print(f"orders={args.orders} rounds={args.rounds}")
    print(f"first sync to list: {med(first):.0f} ms (runs {[round(x) for x in first]}); "
          f"fetch+JSON.parse: {med(fetched):.0f} ms (runs {[round(x) for x in fetched]})")
    print(f"tech_first_sync_vs_fetch {med(first) / med(fetched):.2f}x (target <= 3x)")
    sign_in = med([p["sign_in"] for p in parts])
    print(f"  of which the sign-in request (password check, token): {sign_in:.0f} ms, the pull request: "
          f"{med([p['pull'] for p in parts]):.0f} ms; without the sign-in: {(med(first) - sign_in) / med(fetched):.2f}x")
    for p in parts:
        print("  timeline (ms after the tap):", {k: ([round(x) for x in v] if isinstance(v, list) else None if v is None else round(v))
                                                for k, v in p.items() if k not in ("sign_in", "pull")})
    print(f"cold start offline to list: {med(cold):.0f} ms (runs {[round(x) for x in cold]}); "
          f"IndexedDB read: {med(idb):.0f} ms (runs {[round(x) for x in idb]})")
    print(f"tech_cold_start_vs_idb {med(cold) / med(idb):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
