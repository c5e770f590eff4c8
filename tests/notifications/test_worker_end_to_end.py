"""The whole path with real processes: publish → on_commit → broker → worker → signed POST to 127.0.0.1.

Uses the embedded filesystem broker and a SQLite file in a temporary ANXIN_VAR_DIR, like the
heartbeat test in tests/core; the receiver is the local HTTP server of the other tests.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.notifications.receiver import Answer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

PUBLISH = """
import django
django.setup()
from django.utils import timezone
from backend.notifications.models import WebhookEndpoint
from backend.notifications.services import notification_publish
WebhookEndpoint.objects.create(name="e2e", url={url!r}, secret="e2e-secret", event_types=["order.changed"])
notification_publish(event_type="order.changed", payload={{"number": "WO-E2E"}}, idempotency_key="e2e:1",
                     now=timezone.now())
"""


def test_a_worker_delivers_a_published_event_after_a_retry(tmp_path, receiver):
    receiver.answer(Answer(status=503))  # the first attempt fails; the worker must not retry by countdown
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "backend.config.settings.base", "ANXIN_VAR_DIR": str(tmp_path)})
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=120)
    subprocess.run([sys.executable, "-c", PUBLISH.format(url=f"{receiver.url}/hooks")], cwd=ROOT, env=env,
                   check=True, timeout=60)
    worker = subprocess.Popen([str(BIN / "celery"), "-A", "backend.config", "worker", "--pool=solo",
                               "--loglevel=WARNING", "-n", "notifications-e2e@%h"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    database = tmp_path / "anxin.sqlite3"

    def row() -> tuple[str, int, str | None]:
        with sqlite3.connect(database) as db:
            return db.execute("SELECT status, attempts, next_attempt_at FROM notifications_delivery").fetchone()

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and row()[0] != "failed":
            time.sleep(0.25)
        assert row()[:2] == ("failed", 1)
        # Make the retry due now and let the beat's task queue it (run here instead of a beat process).
        with sqlite3.connect(database) as db:
            db.execute("UPDATE notifications_delivery SET next_attempt_at = '2000-01-01 00:00:00'")
        subprocess.run([sys.executable, "-c", "import django; django.setup(); "
                        "from backend.notifications.tasks import deliveries_due; assert deliveries_due() == 1"],
                       cwd=ROOT, env=env, check=True, timeout=60)
        while time.monotonic() < deadline and row()[0] != "sent":
            time.sleep(0.25)
        assert worker.poll() is None, "the worker died"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    assert row()[:2] == ("sent", 2)
    assert [r.headers["X-Anxin-Event"] for r in receiver.requests] == ["order.changed", "order.changed"]
    assert len({r.headers["X-Anxin-Delivery"] for r in receiver.requests}) == 1
