"""docker/nginx.conf's own rules, run by a real nginx in front of the live app: raw bytes that daphne
would answer with a bare 400 get the error contract, and media leave only through the app's check."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from backend.workorders.services import attachment_add
from tests.factories import bearer_for
from tests.owner_portal.helpers import home_with_owner, jpeg

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is installed by ./run test")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nginx exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            try:  # waits on nginx itself: returns at once if it exits (checked above), else after 50 ms
                process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
    raise AssertionError("nginx did not listen in time")


@pytest.fixture
def app_server():
    """The app alone in a server thread. (Django's live server also serves MEDIA_ROOT itself, which
    would answer /media/ before the app's access check: the handler it wraps is unwrapped here.)"""
    from django.db import connections
    from django.test.testcases import LiveServerThread

    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    for connection in shared.values():
        connection.inc_thread_sharing()
    thread = LiveServerThread("127.0.0.1", static_handler=lambda media_handler: media_handler.application,
                              connections_override=shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait(timeout=10)
    if thread.error:
        raise thread.error
    try:
        yield f"127.0.0.1:{thread.port}"
    finally:
        thread.terminate()
        for connection in shared.values():
            connection.dec_thread_sharing()


@pytest.fixture
def proxy(app_server, tmp_path, settings):
    """docker/nginx.conf with only its addresses, certificate and folders moved to this test's; the
    files are stored on disk (the suite keeps them in memory), where nginx reads them."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": settings.MEDIA_ROOT}}}
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
                   check=True, capture_output=True)
    http_port, https_port = _free_port(), _free_port()
    app = app_server
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    for old, new in (("server web:8000;", f"server {app};"), ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
                     ("http2 on;", ""),  # nginx < 1.25 (Debian 12) spells HTTP/2 on the listen line; not tested here
                     ("/etc/nginx/certs/", f"{certs}/"), ("/srv/media/", f"{settings.MEDIA_ROOT}/")):
        assert old in conf, f"docker/nginx.conf no longer has {old!r}: update this test"
        conf = conf.replace(old, new)
    (tmp_path / "site.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        # Workers of a root master run as the user running the test (the test's folders are its own).
        f"{'user root;' if os.geteuid() == 0 else ''} pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;"
        f" events {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"fastcgi_temp_path {tmp_path}/f; uwsgi_temp_path {tmp_path}/u; scgi_temp_path {tmp_path}/s;\n"
        f"include {tmp_path}/site.conf; }}\n")
    process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                               stderr=subprocess.PIPE)
    try:
        _wait_for_port(https_port, process)
        yield https_port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _raw(port: int, request: bytes) -> tuple[int, bytes]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain, \
            context.wrap_socket(plain, server_hostname="localhost") as tls:
        tls.sendall(request)
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_raw_bytes_in_the_request_line_or_the_content_type_get_the_error_contract(proxy):
    for request in (b"GET /api/v1/health?x=\xff\x01 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                    b"POST /api/v1/auth/tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\x01\xfe"
                    b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"):
        status, body = _raw(proxy, request)
        assert status == 400 and b'"code": "malformed_request"' in body, body[:200]
    # A clean request goes through to the app.
    status, body = _raw(proxy, b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status in {200, 503} and b"status" in body, body[:300]


@override_settings(MEDIA_ACCEL_REDIRECT_PREFIX="/_protected_media/")
def test_a_photo_leaves_the_proxy_only_after_the_apps_check(proxy):
    mine, theirs = home_with_owner()
    photo, _ = attachment_add(actor=mine.side.technician, order_id=mine.side.order.id, data=jpeg(color=(9, 80, 40)),
                              original_name="leak.jpg", owner_visible=True, now=timezone.now())
    auth = bearer_for(mine.side.dispatcher)["HTTP_AUTHORIZATION"].encode()
    stranger = bearer_for(theirs.side.dispatcher)["HTTP_AUTHORIZATION"].encode()
    url = photo.file.url.encode()

    def get(path: bytes, authorization: bytes = b"") -> tuple[int, bytes]:
        header = b"Authorization: " + authorization + b"\r\n" if authorization else b""
        return _raw(proxy, b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n" + header + b"Connection: close\r\n\r\n")

    stranger_status, stranger_body = get(url, stranger)
    assert stranger_status == 404, stranger_body[:300]
    status, body = get(url, auth)
    assert status == 200 and body[:2] == b"\xff\xd8", body[:300]
    assert get(url)[0] == 404
    # The internal location is not reachable from outside, even with the file's exact name.
    assert get(b"/_protected_media/" + photo.file.name.encode(), auth)[0] == 404
