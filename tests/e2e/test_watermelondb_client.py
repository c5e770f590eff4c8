"""A real WatermelonDB client (npm @nozbe/watermelondb 0.28, LokiJS adapter in Node) syncs with the live
test server unchanged: first sync, offline steps and a comment, sync again, and the server's version
comes back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from backend.accounts import services as account_services
from backend.workorders.models import Comment, TimelineEvent, WorkOrder
from backend.workorders.states import State
from tests.workorders.world import two_sides

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_watermelondb_client_syncs_offline_work_unchanged(live_server):
    assert shutil.which("node"), "node is needed for the WatermelonDB client test"
    assert (ROOT / "node_modules" / "@nozbe" / "watermelondb").exists(), "run npm ci (./run test does)"
    a, _b = two_sides()
    _row, token = account_services.device_token_issue(user=a.technician, name="王师傅的手机", now=timezone.now())
    try:
        result = subprocess.run(["node", "tests/e2e/watermelondb_client.mjs", live_server.url, token], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError((exc.stdout or b"")[-3000:]) from exc
    assert result.returncode == 0, result.stdout + result.stderr
    steps = {s["step"]: s for s in (json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))}
    assert steps["first_sync"]["orders"] == [{"id": a.order.sync_id, "state": "assigned"}]
    assert steps["first_sync"]["categories"] > 10

    order = WorkOrder.objects.get(id=a.order.id)
    assert order.state == State.ON_SITE
    offline = TimelineEvent.objects.filter(order=order, kind="state", data__offline=True).order_by("id")
    assert [e.to_state for e in offline] == ["en_route", "on_site"]
    assert all(e.device_at is not None and e.device_at < e.created_at for e in offline)
    assert Comment.objects.filter(order=order, body="地下车库没有信号，已到现场", author=a.technician).count() == 1

    after = steps["after_sync"]
    assert after["order_state"] == "on_site"
    assert {e["to"]: e["status"] for e in after["events"] if e["to"] in {"en_route", "on_site"}} == \
        {"en_route": "applied", "on_site": "applied"}
    assert all(e["sync"] == "synced" for e in after["events"]) and all(c["sync"] == "synced" for c in after["comments"])
