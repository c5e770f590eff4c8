"""Failpoints: named places where a test can make a real process stop, to kill it there.

Inactive unless the process was started with ``ANXIN_FAILPOINTS=<name>[,<name>...]``; then reaching
the point writes ``<ANXIN_FAILPOINT_DIR>/<name>`` and sleeps, so the test can SIGKILL the process
exactly there (e.g. a worker mid-task, after its claim but before its commit). Production never sets
the variable; the check is a dictionary lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_ACTIVE = frozenset(filter(None, os.environ.get("ANXIN_FAILPOINTS", "").split(",")))


def failpoint(name: str) -> None:
    if name not in _ACTIVE:
        return
    marker_dir = Path(os.environ.get("ANXIN_FAILPOINT_DIR", "."))
    marker_dir.mkdir(parents=True, exist_ok=True)
    (marker_dir / name).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(os.environ.get("ANXIN_FAILPOINT_SLEEP", "120")))
