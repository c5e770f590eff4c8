"""A real WatermelonDB client (npm @nozbe/watermelondb 0.28, LokiJS adapter in Node) syncs with the live
test server unchanged: first sync, offline steps and a comment, sync again, and the server's version
comes back."""

from __future__ import annotations

import json
import os
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


# --- answers lost on the way -------------------------------------------------------------------------------
def _run(live_server, tokens: list[str], scenario: str, office=None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Runs the client; at its ``ready`` step (after the first sync) makes the office's changes, then lets it go on.
    Every wait is bounded."""
    import selectors
    import tempfile
    import time

    errors = tempfile.TemporaryFile()  # noqa: SIM115 — closed below; a pipe nobody reads could fill and block node
    process = subprocess.Popen(["node", "tests/e2e/watermelondb_client.mjs", live_server.url, ",".join(tokens),
                                scenario], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
    steps: dict = {}  # type: ignore[type-arg]
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
    deadline = time.monotonic() + 120
    buffer = b""
    try:
        while True:
            # Unbuffered reads of the pipe: a buffered reader could hold a line that select() no longer sees.
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                raise AssertionError(f"the client did not answer in time; so far: {list(steps)}")
            chunk = os.read(process.stdout.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if not line.startswith(b"{"):
                    continue
                step = json.loads(line)
                steps[step["step"]] = step
                if step["step"] == "ready":
                    if office is not None:
                        office()
                    process.stdin.write(b"go\n")  # type: ignore[union-attr]
                    process.stdin.flush()  # type: ignore[union-attr]
        if process.wait(timeout=30) != 0:
            errors.seek(0)
            raise AssertionError(errors.read().decode()[-3000:])
    finally:
        if process.poll() is None:
            process.kill()
        errors.close()
    return steps


def _truth(user) -> dict:  # type: ignore[no-untyped-def,type-arg]
    from tests.mobile_sync.helpers import server_view

    view = server_view(user)
    from mobile_sync.tables import ALL_TABLE_NAMES

    return {t: view.get(t, {}) for t in ALL_TABLE_NAMES}


def _office_changes(a, other):  # type: ignore[no-untyped-def]
    from backend.workorders.dispatch import routing as dispatch
    from backend.workorders.services import comment_add
    from tests.mobile_sync.helpers import second_technician

    def act() -> None:
        comment_add(actor=a.dispatcher, order_id=a.order.id, body="业主下午三点后在家", owner_visible=False,
                    now=timezone.now())
        dispatch.order_assign(actor=a.dispatcher, order_id=other.id, technician_id=second_technician(a).id,
                              reason="改派", now=timezone.now())
    return act


@pytest.mark.parametrize("scenario", ["lost_pull", "lost_twice"])
def test_a_watermelondb_client_that_loses_pull_answers_converges_to_the_server(live_server, scenario):
    from tests.mobile_sync.helpers import another_order

    a, _b = two_sides()
    other = another_order(a)
    _row, token = account_services.device_token_issue(user=a.technician, name="王师傅的手机", now=timezone.now())
    steps = _run(live_server, [token], scenario, office=_office_changes(a, other))
    assert {o["id"] for o in steps["first_sync"]["orders"]} == {a.order.sync_id, other.sync_id}
    [device] = steps["final"]["devices"]
    assert device["failures"] == ["lost"] * (2 if scenario == "lost_twice" else 1) and device["pending"] == 0
    holds = device["holds"]
    assert "业主下午三点后在家" in {c["body"] for c in holds["comments"].values()}
    assert set(holds["work_orders"]) == {a.order.sync_id}
    assert holds == _truth(a.technician)


def test_two_watermelondb_devices_of_one_technician_each_converge_after_one_loses_an_answer(live_server):
    from tests.mobile_sync.helpers import another_order

    a, _b = two_sides()
    other = another_order(a)
    tokens = [account_services.device_token_issue(user=a.technician, name=name, now=timezone.now())[1]
              for name in ("手机", "平板")]
    steps = _run(live_server, tokens, "two_devices", office=_office_changes(a, other))
    phone, tablet = steps["final"]["devices"]
    assert phone["failures"] == ["lost"] and tablet["failures"] == []
    assert phone["holds"] == tablet["holds"] == _truth(a.technician)


def test_a_watermelondb_client_that_loses_a_push_answer_applies_its_work_once(live_server):
    a, _b = two_sides()
    _row, token = account_services.device_token_issue(user=a.technician, name="王师傅的手机", now=timezone.now())
    steps = _run(live_server, [token], "lost_push")
    [device] = steps["final"]["devices"]
    assert device["failures"][0] == "lost" and device["pending"] == 0
    order = WorkOrder.objects.get(id=a.order.id)
    assert order.state == State.ON_SITE
    assert TimelineEvent.objects.filter(order=order, kind="state", data__offline=True).count() == 2
    assert Comment.objects.filter(order=order, body="地下车库没有信号，已到现场").count() == 1
    assert device["holds"] == _truth(a.technician)
