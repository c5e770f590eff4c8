"""WebSocket live updates: who may listen, and that committed changes arrive with their sequence id."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from backend.accounts import services as account_services
from backend.accounts.roles import Role
from backend.config.asgi import application
from backend.workorders.models import TimelineEvent
from backend.workorders.services import comment_add
from tests.factories import user_with_roles
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


def _token(user) -> str:
    return account_services.device_token_issue(user=user, name="ws", now=timezone.now())[1]


async def _connect(path: str, token: str | None):
    url = f"{path}?token={token}" if token else path
    communicator = WebsocketCommunicator(application, url, headers=HEADERS)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_a_dispatcher_follows_the_project_board_and_receives_committed_changes():
    a, _b = await sync_to_async(two_sides)()
    token = await sync_to_async(_token)(a.dispatcher)
    board, connected, _ = await _connect(f"/ws/board/project/{a.project.id}", token)
    assert connected
    assert (await board.receive_json_from(timeout=5))["type"] == "hello"
    await sync_to_async(comment_add)(actor=a.agent, order_id=a.order.id, body="业主改约明天上午", owner_visible=True,
                                     now=timezone.now())
    message = await board.receive_json_from(timeout=5)
    last = await sync_to_async(lambda: TimelineEvent.objects.filter(order=a.order).order_by("-id").first().id)()
    assert message["type"] == "order.changed" and message["kind"] == "comment"
    assert message["order_id"] == str(a.order.id) and message["seq"] == last
    await board.disconnect()


async def test_strangers_wrong_roles_and_other_projects_are_refused_with_4403():
    a, b = await sync_to_async(two_sides)()
    sales = await sync_to_async(user_with_roles)(Role.SALES)
    cases = [
        (f"/ws/board/project/{a.project.id}", None),
        (f"/ws/board/project/{a.project.id}", "ax_forged"),
        (f"/ws/board/project/{a.project.id}", await sync_to_async(_token)(sales)),
        (f"/ws/board/project/{a.project.id}", await sync_to_async(_token)(b.dispatcher)),
        (f"/ws/orders/{a.order.id}", await sync_to_async(_token)(b.technician)),
        ("/ws/technician", await sync_to_async(_token)(a.dispatcher)),
    ]
    for path, token in cases:
        communicator, connected, code = await _connect(path, token)
        assert not connected and code == 4403, (path, token)


async def test_the_assigned_technician_follows_their_order():
    a, _b = await sync_to_async(two_sides)()
    token = await sync_to_async(_token)(a.technician)
    live, connected, _ = await _connect(f"/ws/orders/{a.order.id}", token)
    assert connected
    await live.receive_json_from(timeout=5)
    await sync_to_async(comment_add)(actor=a.dispatcher, order_id=a.order.id, body="请带角阀", owner_visible=False,
                                     now=timezone.now())
    assert (await live.receive_json_from(timeout=5))["kind"] == "comment"
    await live.disconnect()


async def test_nothing_is_sent_for_a_change_that_rolls_back():
    from django.db import transaction

    a, _b = await sync_to_async(two_sides)()
    token = await sync_to_async(_token)(a.dispatcher)
    board, connected, _ = await _connect(f"/ws/board/project/{a.project.id}", token)
    await board.receive_json_from(timeout=5)

    def change_then_fail() -> None:
        try:
            with transaction.atomic():
                comment_add(actor=a.agent, order_id=a.order.id, body="会回滚", owner_visible=False, now=timezone.now())
                raise RuntimeError("boom")
        except RuntimeError:
            pass

    await sync_to_async(change_then_fail)()
    assert await board.receive_nothing(timeout=0.5)
    await board.disconnect()
