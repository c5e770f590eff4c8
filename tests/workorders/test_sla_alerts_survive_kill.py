"""SLA alerts fire exactly once even when a real Celery worker is SIGKILLed mid-task.

A real worker process takes an alert task and is killed at a failpoint: either after its claim but
before its commit (the claim rolls back with the dead connection, so the alert is still unsent and
the next beat sweep fires it), or after its commit but before the broker ack (the task comes again
and the claim refuses it). Either way the order's timeline holds the alert exactly once. Runs on the
filesystem broker, and on Redis when REDIS_URL is set (CI).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BROKERS = ["filesystem"] + (["redis"] if os.environ.get("REDIS_URL") else [])

SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from backend.workorders.models import SlaAlert
from tests.workorders.world import two_sides
a, _ = two_sides()
alert = SlaAlert.objects.filter(order=a.order).order_by("id").first()
SlaAlert.objects.filter(id=alert.id).update(due_at=timezone.now() - timedelta(minutes=1))
print(json.dumps({"alert": alert.id, "order": str(a.order.id)}))
"""


def _env(tmp_path: Path, broker: str, failpoint: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "backend.config.settings.base", "ANXIN_VAR_DIR": str(tmp_path),
                "ANXIN_FAILPOINTS": failpoint, "ANXIN_FAILPOINT_DIR": str(tmp_path / "failpoints")})
    if broker == "redis":
        env["CELERY_BROKER_URL"] = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/6"
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _worker(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "celery"), "-A", "backend.config", "worker", "--pool=solo", "--loglevel=WARNING",
                             "-n", f"{name}@%h", "--without-mingle", "--without-gossip"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _query(tmp_path: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(tmp_path / "anxin.sqlite3", timeout=30) as db:
        return db.execute(sql, params).fetchall()


def _wait(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def _enqueue(env: dict[str, str], code: str) -> None:
    _manage(env, "shell", "-c", code)


@pytest.mark.parametrize("broker", BROKERS)
@pytest.mark.parametrize("killed_at", ["sla_alert_claimed", "sla_alert_committed"])
def test_an_alert_fires_exactly_once_when_the_worker_is_killed_mid_task(tmp_path, broker, killed_at):
    env = _env(tmp_path, broker)
    if broker == "redis":
        import redis

        redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
    _manage(env, "migrate", "--noinput", "-v0")
    ids = json.loads(_manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    alert_id = ids["alert"]
    sent = lambda: _query(tmp_path, "SELECT sent_at FROM workorders_slaalert WHERE id = ?", alert_id)[0][0]  # noqa: E731
    fired = lambda: _query(  # noqa: E731
        tmp_path, "SELECT COUNT(*) FROM workorders_timelineevent WHERE kind = 'sla' AND data LIKE ?",
        f'%"key": "{_query(tmp_path, "SELECT key FROM workorders_slaalert WHERE id = ?", alert_id)[0][0]}"%')[0][0]

    def heartbeat() -> object:
        rows = _query(tmp_path, "SELECT last_seen_at FROM core_heartbeat WHERE name = 'beat'")
        return rows[0][0] if rows else None

    doomed = _worker(_env(tmp_path, broker, failpoint=killed_at), "doomed")
    try:
        _enqueue(env, f"from backend.workorders.tasks import sla_alert_fire; sla_alert_fire.delay({alert_id})")
        assert _wait(lambda: (tmp_path / "failpoints" / killed_at).exists()), "the worker never reached the failpoint"
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=20)
    finally:
        if doomed.poll() is None:
            doomed.kill()

    if killed_at == "sla_alert_claimed":
        assert sent() is None, "a claim of a killed transaction must roll back"
    else:
        assert sent() is not None and fired() == 1

    survivor = _worker(env, "survivor")
    try:
        # What beat does every 20 s, plus a duplicate delivery of the same task.
        _enqueue(env, "from backend.workorders.tasks import sla_fire_due; sla_fire_due.delay()")
        _enqueue(env, f"from backend.workorders.tasks import sla_alert_fire; sla_alert_fire.delay({alert_id}); "
                      f"sla_alert_fire.delay({alert_id})")
        assert _wait(lambda: sent() is not None and fired() >= 1)
        # Drained, not slept on: the one worker takes its queue in order, so once a marker task queued
        # after the duplicates has run, they have run too. Twice, since the sweep may have queued one
        # more alert task behind the first marker.
        for _round in range(2):
            before = heartbeat()
            _enqueue(env, "from backend.core.tasks import beat_heartbeat; beat_heartbeat.delay()")
            assert _wait(lambda before=before: heartbeat() != before), "the worker never drained its queue"
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    assert fired() == 1
