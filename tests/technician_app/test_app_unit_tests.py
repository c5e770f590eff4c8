"""The app's own logic (outbox and sync scheduler, countdowns, steps, photo queue) is tested in node by vitest
(technician_app/tests/); this runs them as part of the suite."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_apps_unit_tests_pass():
    assert shutil.which("node"), "node is needed for the app's unit tests"
    vitest = ROOT / "node_modules" / ".bin" / "vitest"
    assert vitest.exists(), "run npm ci (./run test does)"
    result = subprocess.run([str(vitest), "run", "--config", "technician_app/vitest.config.ts", "--reporter=dot"],
                            cwd=ROOT, capture_output=True, text=True, timeout=240, env={"CI": "true", "PATH": "/usr/bin:/bin:/usr/local/bin", "NO_COLOR": "1"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    match = re.search(r"Tests\s+(\d+) passed", output)
    assert match and int(match.group(1)) >= 15, output[-2000:]


def test_the_app_type_checks():
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    assert tsc.exists(), "run npm ci (./run test does)"
    result = subprocess.run([str(tsc), "-p", "technician_app/tsconfig.json"], cwd=ROOT, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
