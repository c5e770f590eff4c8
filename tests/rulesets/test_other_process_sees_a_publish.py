"""A running Django process picks up a publish made by another process, without a restart.

Three real processes on one database (SQLite in WAL mode here, the embedded default; the same code
reads PostgreSQL in production): a long-lived one that answers "which rules are in force?" for each
line it reads, each answer inside a unit of work as a request or a task is; ``manage.py rules publish``
in a second one; and the first one's next answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from backend.rules import edits

ROOT = Path(__file__).resolve().parents[2]

ANSWERER = """
import sys, django
django.setup()
from backend.rulesets.selectors import definitions_scope
from backend.workorders.definitions import active_definitions
for line in sys.stdin:
    with definitions_scope():
        d = active_definitions()
        graph = next(g for g in d.approvals.graphs if g.code == "manager")
        print(d.version, graph.when.amount_yuan.up_to, flush=True)
"""

ADMIN = """
import django
django.setup()
from backend.accounts.models import User, UserRole
user = User.objects.create_user(username="rules-admin", password="x")
UserRole.objects.create(user=user, role="administrator")
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "backend.config.settings.base", "ANXIN_VAR_DIR": str(tmp_path)})
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True, timeout=180,
                          capture_output=True, text=True)
    return done.stdout


def test_a_running_process_uses_the_new_version_for_its_next_unit_of_work(tmp_path):
    env = _env(tmp_path)
    _run(["manage.py", "migrate", "--noinput", "-v0"], env)
    _run(["-c", ADMIN], env)
    files = tmp_path / "rules"
    shutil.copytree(ROOT / "workflows" / "definitions", files)
    approvals = files / "approvals.yaml"
    approvals.write_text(edits.approval_threshold_set(approvals.read_text(encoding="utf-8"), old=Decimal(5000),
                                                      new=Decimal(3000)), encoding="utf-8")
    answerer = subprocess.Popen([sys.executable, "-c", ANSWERER], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert answerer.stdin is not None and answerer.stdout is not None

        def ask() -> list[str]:
            answerer.stdin.write("?\n")
            answerer.stdin.flush()
            return answerer.stdout.readline().split()

        before_hash, before_amount = ask()
        assert before_amount == "5000"
        published = _run(["manage.py", "rules", "publish", str(files), "--note", "财务门槛3000", "--as",
                          "rules-admin"], env).split()
        assert published[0] == "v2"
        after_hash, after_amount = ask()
        assert (after_hash, after_amount) == (published[1], "3000") and after_hash != before_hash
        assert answerer.poll() is None, "the answering process restarted or died"
        shown = _run(["manage.py", "rules", "show"], env).split()
        assert shown == ["v2", after_hash]
    finally:
        answerer.terminate()
        answerer.wait(timeout=20)
