"""Live sockets stay up on the Redis channel layer: held idle for 60 s, each still receives a change.

redis-py's default socket timeout (5 s) equals channels_redis's blocking-pop timeout, so an idle
socket's receive loop used to die with "Timeout reading from redis" and daphne closed it with 1011.
The in-memory layer cannot show this: the test runs only where CI runs, on Redis.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from backend.accounts import services as account_services
from backend.config.asgi import application
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.live.inbox import notify_users
from backend.workorders.services import comment_add
from tests.owner_portal.helpers import home_with_owner, verified_client

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("channels_redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"],
                       reason="needs the Redis channel layer (REDIS_URL)"),
]
HOLD_SECONDS = 60
HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


def _world():
    home, _other = home_with_owner()
    cookie = verified_client(home).cookies["sessionid"].value
    side = home.side
    token = account_services.device_token_issue(user=side.dispatcher, name="ws-board", now=timezone.now())[1]
    tech_token = account_services.device_token_issue(user=side.technician, name="ws-tech", now=timezone.now())[1]
    return home, cookie, token, tech_token


async def _open(path: str, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await socket.connect(timeout=10)
    assert connected, (path, code)
    assert (await socket.receive_json_from(timeout=10))["type"] == "hello"
    return socket


async def test_owner_board_and_technician_sockets_held_idle_for_a_minute_still_receive_changes():
    home, cookie, token, tech_token = await sync_to_async(_world)()
    side = home.side
    owner = await _open(f"/ws/portal/orders/{side.order.id}", [*HEADERS, (b"cookie", f"sessionid={cookie}".encode())])
    board = await _open(f"/ws/board/project/{side.project.id}?token={token}", HEADERS)
    technician = await _open(f"/ws/technician?token={tech_token}", HEADERS)
    sockets = (owner, board, technician)

    # Idle for a minute: nothing arrives, and no receive loop dies (a dead one raises on the next receive).
    idle = await asyncio.gather(*(socket.receive_nothing(timeout=HOLD_SECONDS, interval=0.5) for socket in sockets))
    assert idle == [True, True, True]
    for socket in sockets:  # each socket still answers
        await socket.send_json_to({"type": "ping"})
    for socket in sockets:
        assert (await socket.receive_json_from(timeout=10))["type"] == "pong"

    await sync_to_async(order_transition)(order_id=side.order.id, actor=Actor(user=side.technician), to="en_route",
                                          now=timezone.now())
    assert (await owner.receive_json_from(timeout=10))["type"] == "changed"
    changed = await board.receive_json_from(timeout=10)
    assert changed["type"] == "order.changed" and changed["order_id"] == str(side.order.id)

    await sync_to_async(notify_users)(user_ids=[str(side.technician.id)], template="order_assigned",
                                      context={"order_id": str(side.order.id)}, now=timezone.now())
    assert (await technician.receive_json_from(timeout=10))["type"] == "notification"
    await sync_to_async(comment_add)(actor=side.dispatcher, order_id=side.order.id, body="请带角阀", owner_visible=False,
                                     now=timezone.now())
    assert (await board.receive_json_from(timeout=10))["kind"] == "comment"
    for socket in sockets:
        await socket.disconnect()
