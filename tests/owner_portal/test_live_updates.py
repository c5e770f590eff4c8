"""The tracking page's live channel: the owner's session only, told *that* something changed; REST fills in."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from backend.config.asgi import application
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from tests.owner_portal.helpers import home_with_owner, verified_client

pytestmark = pytest.mark.django_db(transaction=True)


def _headers(cookie: str = "") -> list[tuple[bytes, bytes]]:
    headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
    return headers + ([(b"cookie", f"sessionid={cookie}".encode())] if cookie else [])


def _setup():
    home, other = home_with_owner()
    client = verified_client(home)
    return home, other, client.cookies["sessionid"].value


async def test_the_owner_hears_of_a_step_and_recovers_it_over_rest():
    home, _other, cookie = await sync_to_async(_setup)()
    order = home.side.order
    socket = WebsocketCommunicator(application, f"/ws/portal/orders/{order.id}", headers=_headers(cookie))
    connected, _ = await socket.connect()
    assert connected
    assert await socket.receive_json_from(timeout=5) == {"type": "hello"}
    await sync_to_async(order_transition)(order_id=order.id, actor=Actor(user=home.side.technician), to="en_route",
                                          now=timezone.now())
    message = await socket.receive_json_from(timeout=5)
    assert message["type"] == "changed" and set(message) == {"type", "seq"}  # nothing internal travels
    await socket.disconnect()


async def test_a_socket_without_the_owners_session_or_for_another_home_is_refused_with_4403():
    home, other, cookie = await sync_to_async(_setup)()
    for path, headers in ((f"/ws/portal/orders/{home.side.order.id}", _headers()),
                          (f"/ws/portal/orders/{other.side.order.id}", _headers(cookie))):
        socket = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await socket.connect()
        assert not connected and code == 4403


def test_events_since_return_only_owner_visible_steps_after_the_given_one():
    from backend.workorders.services import comment_add

    home, _other = home_with_owner()
    client = verified_client(home)
    order = home.side.order
    url = f"/portal/orders/{order.id}/events"
    first = client.get(url, HTTP_X_REQUESTED_WITH="fetch").json()
    comment_add(actor=home.side.agent, order_id=order.id, body="内部备注", owner_visible=False, now=timezone.now())
    assert client.get(url, {"since": first["latest"]}).json()["events"] == []
    order_transition(order_id=order.id, actor=Actor(user=home.side.technician), to="en_route", now=timezone.now())
    later = client.get(url, {"since": first["latest"]}).json()
    assert [e["label"] for e in later["events"]] == ["工程师已出发"]
    live = client.get(f"/portal/orders/{order.id}/live").content.decode()
    assert "工程师已出发" in live and "内部备注" not in live
