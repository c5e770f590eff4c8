"""CI's API fuzz run: schemathesis against a live daphne on PostgreSQL, once per demo role and once
without credentials. A server error (5xx) anywhere fails the run.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python -m backend.tools.fuzz_api

Bounded: a few examples per operation (``--max-examples``) and a time budget per role
(``--seconds-per-role``), so the whole run takes a few minutes. Token revocation is excluded so a run
does not revoke its own token. The checks are schemathesis's not_a_server_error,
status_code_conformance, content_type_conformance and response_schema_conformance; only server
errors fail the run (``--strict`` fails it on any failed check). The database named by DATABASE_URL
is migrated and seeded with the demo data: give it one of its own (CI's is created fresh).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# DELETE /auth/tokens/{token_id} would revoke the run's own token halfway.
EXCLUDED_PATHS = ["/api/v1/auth/tokens/{token_id}"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 — our own loopback server
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer at {url} within {seconds:.0f} s")


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=600)


def _tokens(env: dict[str, str]) -> dict[str, str]:
    """One device token per demo login (issued directly, not through the rate-limited sign-in)."""
    code = (
        "import json, django; django.setup()\n"
        "from django.utils import timezone\n"
        "from backend.accounts.models import User\n"
        "from backend.accounts.services import device_token_issue\n"
        "from backend.properties.demo import DEMO_LOGINS\n"
        "out = {}\n"
        "for login in DEMO_LOGINS:\n"
        "    user = User.objects.get(username=login.username)\n"
        "    out[login.username] = device_token_issue(user=user, name='fuzz', now=timezone.now())[1]\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True,
                            text=True, timeout=120)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


# No beat runs in the fuzz run: this stands in for its heartbeat so that /health answers 200, not 503.
HEARTBEAT_LOOP = (
    "import time, django; django.setup()\n"
    "from django.utils import timezone\n"
    "from backend.core.services import BEAT, heartbeat_record\n"
    "while True:\n"
    "    heartbeat_record(name=BEAT, now=timezone.now())\n"
    "    time.sleep(15)\n"
)


def _server_errors(ndjson: Path) -> list[dict[str, Any]]:
    """The 5xx answers recorded in a schemathesis ndjson report (each scenario's recorded interactions)."""
    found: list[dict[str, Any]] = []
    if not ndjson.exists():
        return found
    for line in ndjson.read_text(encoding="utf-8").splitlines():
        if not re.search(r'"status_code": ?5\d\d', line):
            continue
        _walk_for_5xx(json.loads(line), found)
    return found


def _walk_for_5xx(node: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(node, dict):
        response, request = node.get("response"), node.get("request")
        if isinstance(response, dict) and isinstance(request, dict):
            status = response.get("status_code")
            if isinstance(status, int) and 500 <= status < 600:
                found.append({"status": status, "method": request.get("method"), "url": request.get("uri")})
            return
        for value in node.values():
            _walk_for_5xx(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_for_5xx(value, found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=4)
    parser.add_argument("--seconds-per-role", type=int, default=12)
    parser.add_argument("--roles", default="", help="comma-separated demo usernames (default: all, and anonymous)")
    parser.add_argument("--strict", action="store_true", help="fail on any failed check, not only on 5xx")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("the fuzz run needs DATABASE_URL pointing at PostgreSQL")
    var_dir = Path(tempfile.mkdtemp(prefix="anxin-fuzz-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.config.settings.base", "ANXIN_VAR_DIR": str(var_dir),
           "PYTHONPATH": str(ROOT)}
    _manage("migrate", "--noinput", "-v0", env=env)
    _manage("seed_demo", "--scale", "1", env=env)
    _manage("seed_portal_demo", "-v0", env=env)
    tokens = _tokens(env)
    wanted = [name for name in args.roles.split(",") if name] or ["anonymous", *tokens]

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (var_dir / "daphne.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                               "backend.config.asgi:application"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    heartbeat = subprocess.Popen([sys.executable, "-c", HEARTBEAT_LOOP], cwd=ROOT, env=env, start_new_session=True)
    schemathesis = str(Path(sys.executable).parent / "schemathesis")
    total_5xx: list[dict[str, Any]] = []
    failed_roles: list[str] = []
    try:
        _wait_for(f"{base}/api/v1/health", seconds=60)
        for role in wanted:
            report = var_dir / f"report-{role}"
            command = [schemathesis, "run", f"{base}/api/v1/openapi.json", "--checks", CHECKS,
                       "--max-examples", str(args.max_examples), "--max-time", str(args.seconds_per_role),
                       "--phases", "examples,coverage,fuzzing", "--workers", "1", "--seed", str(args.seed),
                       "--request-timeout", "15", "--suppress-health-check", "all", "--no-shrink",
                       "--report", "ndjson", "--report-dir", str(report), "--output-truncate", "true",
                       "-H", "Accept-Language: zh-hans"]
            for path in EXCLUDED_PATHS:
                command += ["--exclude-path", path]
            if role != "anonymous":
                command += ["-H", f"Authorization: Bearer {tokens[role]}"]
            started = time.monotonic()
            print(f"==> fuzzing the API as {role}", flush=True)
            try:
                result = subprocess.run(command, cwd=var_dir, timeout=args.seconds_per_role + 120,
                                        capture_output=True, text=True)
                output = result.stdout + result.stderr
                code = result.returncode
            except subprocess.TimeoutExpired as exc:
                output, code = str(exc.stdout or ""), -1  # past the cap: reported as a failed run
            errors = _server_errors(next(iter(report.glob("*.ndjson")), report / "none.ndjson"))
            total_5xx += [{**e, "role": role} for e in errors]
            report.mkdir(parents=True, exist_ok=True)
            (report / "output.txt").write_text(output, encoding="utf-8")
            lines = [line for line in output.splitlines() if line.strip()]
            print("\n".join(lines[-60:] if code != 0 else lines[-6:]))
            print(f"    {role}: exit {code}, {len(errors)} server errors, {time.monotonic() - started:.0f} s",
                  flush=True)
            if code != 0:
                failed_roles.append(role)
    finally:
        for process in (server, heartbeat):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()
    print(f"fuzz_5xx {len(total_5xx)}")
    for error in total_5xx[:50]:
        print(f"    {error['role']}: {error['status']} {error['method']} {error['url']}")
    if total_5xx:
        print(f"server log: {var_dir / 'daphne.log'}")
        return 1
    if args.strict and failed_roles:
        print(f"failed checks for: {', '.join(failed_roles)}")
        return 1
    if not failed_roles:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
