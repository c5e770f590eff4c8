from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    """One Chromium per module: Playwright's sync API runs an event loop in the test thread, which must be
    gone before other modules' async tests start their own."""
    from playwright.sync_api import sync_playwright

    # The tests' own ORM calls are synchronous while that loop runs: allow them, for these tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    yield context.new_page()
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_site(request, tmp_path):
    """(base URL, the live path the pages should use: "ws" or "poll").

    On PostgreSQL a real daphne process serves the test database, so pages get their WebSockets; the
    embedded SQLite test database lives in memory and cannot be shared with another process, so there
    the in-process live server serves the pages and they fall back to polling."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield request.getfixturevalue("live_server").url, "poll"
        return
    sd = connection.settings_dict
    url = f"postgres://{sd['USER']}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{sd['NAME']}"
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.config.settings.test", "DATABASE_URL": url,
           "ANXIN_VAR_DIR": str(tmp_path)}
    log = open(tmp_path / "daphne.log", "wb")  # noqa: SIM115 — closed below
    proc = subprocess.Popen([str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                             "backend.config.asgi:application"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).close()
            break
        except OSError:
            time.sleep(0.3)  # waiting for the server to listen, bounded by the deadline
    try:
        yield f"http://127.0.0.1:{port}", "ws"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:  # open WebSockets can hold daphne's graceful stop
            proc.kill()
            proc.wait(timeout=15)
        log.close()
