"""WebSocket live updates: who may listen, and that committed changes arrive with their sequence id."""

from __future__ import annotations

from decimal import Decimal

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


def _a_colleagues_order(a):
    """An order in side A's project and team, assigned to another technician of the team."""
    from decimal import Decimal

    from backend.accounts.models import TechnicianProfile
    from backend.workorders.actors import Actor
    from backend.workorders.dispatch import routing as dispatch
    from backend.workorders.services import order_intake

    colleague = user_with_roles(Role.TECHNICIAN)
    TechnicianProfile.objects.create(user=colleague, skills={"plumbing": 3}, on_duty=True,
                                     last_latitude=Decimal("30.27"), last_longitude=Decimal("120.15"))
    a.team.members.add(colleague)
    order = order_intake(actor=Actor(user=a.agent), channel="phone", category_code="drainage", description="阳台地漏堵",
                         contact_name="李先生", contact_phone="13900139000", now=timezone.now(), unit_id=a.unit.id,
                         route_now=False).order
    order = dispatch.order_assign(actor=a.dispatcher, order_id=order.id, technician_id=colleague.id, reason="就近",
                                  now=timezone.now())
    return order


@pytest.mark.parametrize("board", ["project", "team"])
async def test_a_technician_on_a_board_hears_only_of_the_orders_assigned_to_them(board):
    a, _b = await sync_to_async(two_sides)()
    others = await sync_to_async(_a_colleagues_order)(a)
    assert others.team_id == a.team.id and others.project_id == a.project.id
    token = await sync_to_async(_token)(a.technician)
    target = a.project.id if board == "project" else a.team.id
    live, connected, _ = await _connect(f"/ws/board/{board}/{target}", token)
    assert connected
    await live.receive_json_from(timeout=5)
    await sync_to_async(comment_add)(actor=a.dispatcher, order_id=others.id, body="不是你的单", owner_visible=False,
                                     now=timezone.now())
    await sync_to_async(comment_add)(actor=a.dispatcher, order_id=a.order.id, body="你的单", owner_visible=False,
                                     now=timezone.now())
    # Messages arrive in order: the first one heard is the technician's own order, the colleague's was dropped.
    assert (await live.receive_json_from(timeout=5))["order_id"] == str(a.order.id)
    assert await live.receive_nothing(timeout=0.2)
    await live.disconnect()


async def test_the_team_supervisor_hears_every_order_of_the_team_and_an_unknown_board_kind_is_refused():
    a, _b = await sync_to_async(two_sides)()
    others = await sync_to_async(_a_colleagues_order)(a)
    token = await sync_to_async(_token)(a.team.supervisor)
    live, connected, _ = await _connect(f"/ws/board/team/{a.team.id}", token)
    assert connected
    await live.receive_json_from(timeout=5)
    await sync_to_async(comment_add)(actor=a.dispatcher, order_id=others.id, body="同组", owner_visible=False,
                                     now=timezone.now())
    assert (await live.receive_json_from(timeout=5))["order_id"] == str(others.id)
    await live.disconnect()
    for kind in ("unit", "teams", "x"):
        _socket, connected, code = await _connect(f"/ws/board/{kind}/{a.team.id}", token)
        assert not connected and code == 4403, kind


@pytest.mark.parametrize("viewer", ["supervisor", "dispatcher"])
async def test_a_technicians_position_reaches_the_team_board_of_its_dispatchers_and_not_a_fellow_technician(viewer):
    from backend.workorders.services import technician_status_update

    a, _b = await sync_to_async(two_sides)()
    watcher = a.team.supervisor if viewer == "supervisor" else a.dispatcher
    colleague_order = await sync_to_async(_a_colleagues_order)(a)
    colleague = await sync_to_async(lambda: colleague_order.technician)()
    supervisor, connected, _ = await _connect(f"/ws/board/team/{a.team.id}", await sync_to_async(_token)(watcher))
    assert connected
    fellow, _c, _ = await _connect(f"/ws/board/team/{a.team.id}", await sync_to_async(_token)(a.technician))
    for socket in (supervisor, fellow):
        assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
    await sync_to_async(technician_status_update)(actor=colleague, on_duty=True, latitude=Decimal("30.2801"),
                                                  longitude=Decimal("120.1602"), now=timezone.now())
    moved = await supervisor.receive_json_from(timeout=5)
    assert moved["type"] == "technician.moved" and moved["technician_id"] == str(colleague.id)
    assert await fellow.receive_nothing(timeout=0.3)
    await supervisor.disconnect()
    await fellow.disconnect()
