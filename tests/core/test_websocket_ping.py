from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from channels.testing import WebsocketCommunicator

from backend.config.asgi import application

ROOT = Path(__file__).resolve().parents[2]


# Channels closes stale database connections around each message: allow it the database.
@pytest.mark.django_db
async def test_ping_consumer_answers_through_the_channel_layer():
    communicator = WebsocketCommunicator(application, "/ws/ping", headers=[(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")])
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "ping", "echo": "你好"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong", "echo": "你好", "via": "channel_layer"}
    await communicator.send_to(text_data="not json")
    assert await communicator.receive_json_from(timeout=5) == {"type": "error", "code": "unknown_message"}
    await communicator.disconnect()


@pytest.mark.django_db
async def test_a_foreign_origin_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/ping", headers=[(b"host", b"127.0.0.1"), (b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def daphne_server(tmp_path):
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.config.settings.base", "ANXIN_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "backend.config.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_a_real_websocket_connects_to_daphne(daphne_server):
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{daphne_server}/ws/ping", open_timeout=10, origin=f"http://127.0.0.1:{daphne_server}") as ws:
        ws.send(json.dumps({"type": "ping", "echo": 42}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong", "echo": 42, "via": "channel_layer"}
