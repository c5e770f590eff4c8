"""A real worker and a real beat, as separate processes, fire the heartbeat (no eager execution).

Runs on the embedded filesystem transport always, and on Redis too when REDIS_URL is set (CI).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

BROKERS = ["filesystem"]
if os.environ.get("REDIS_URL"):
    BROKERS.append("redis")


def _env(tmp_path: Path, broker: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "backend.config.settings.base",
        "ANXIN_VAR_DIR": str(tmp_path),
        "BEAT_HEARTBEAT_SECONDS": "1",
    })
    if broker == "redis":
        env["CELERY_BROKER_URL"] = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/5"
    return env


@pytest.mark.parametrize("broker", BROKERS)
def test_beat_and_worker_processes_record_heartbeats(tmp_path, broker):
    env = _env(tmp_path, broker)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=120)
    worker = subprocess.Popen([str(BIN / "celery"), "-A", "backend.config", "worker", "--pool=solo", "-Q", "celery",
                               "--loglevel=WARNING", "-n", f"test-{broker}@%h"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    beat = subprocess.Popen([str(BIN / "celery"), "-A", "backend.config", "beat", "--loglevel=WARNING",
                             f"--schedule={tmp_path / 'beat-schedule'}"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(set(seen)) < 2:
            time.sleep(0.5)
            with sqlite3.connect(tmp_path / "anxin.sqlite3") as db:
                row = db.execute("SELECT last_seen_at FROM core_heartbeat WHERE name = 'beat'").fetchone()
            if row:
                seen.append(row[0])
        assert worker.poll() is None and beat.poll() is None, "a process died"
    finally:
        for proc in (beat, worker):
            proc.terminate()
        for proc in (beat, worker):
            proc.wait(timeout=20)
    assert len(set(seen)) >= 2, "the heartbeat did not fire repeatedly through beat -> broker -> worker"
