"""Live updates for staff: a dispatch board (one project or one team) and a single order.

Authenticate by the session (browser) or a device token (``?token=`` or the Authorization
header); refuse everyone else with close code 4403. Messages are relayed from the channel layer
after the change committed; each carries ``seq`` so a client can recover missed events over REST.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from backend.accounts import services as account_services
from backend.core.errors import AppError
from backend.workorders.access import access_order, orders_visible_to
from backend.workorders.live.broadcast import (
    group_for_order,
    group_for_project,
    group_for_team,
    group_for_user,
)

FORBIDDEN = 4403


def _token_from(scope: dict[str, Any]) -> str | None:
    query = parse_qs(scope.get("query_string", b"").decode())
    if query.get("token"):
        return query["token"][0]
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value.lower().startswith(b"bearer "):
            return value[7:].decode()
    return None


@database_sync_to_async
def _authenticate(scope: dict[str, Any]) -> Any:
    raw = _token_from(scope)
    if raw:
        return account_services.device_token_authenticate(raw=raw, now=timezone.now())
    user = scope.get("user")
    return user if user is not None and user.is_authenticated and user.is_active else None


BOARD_KINDS = frozenset({"project", "team"})


@database_sync_to_async
def _board_access(user: Any, kind: str, object_id: str) -> tuple[list[str], bool] | None:
    """The board's group and whether the user sees every order on it (else each event is checked
    against ``orders_visible_to``, the scope of the REST list); None refuses the socket."""
    from backend.accounts.access import has_role, is_administrator
    from backend.accounts.models import Team
    from backend.accounts.roles import Role
    from backend.workorders.access import PROJECT_STAFF, project_ids_of

    if kind not in BOARD_KINDS:
        return None
    try:
        orders_visible_to(user)
    except AppError:
        return None
    everything = is_administrator(user) or has_role(user, Role.ENGINEERING_DIRECTOR)
    if kind == "project":
        if everything:
            return [group_for_project(object_id)], True
        if object_id in {str(p) for p in project_ids_of(user)}:
            # Project staff see every order of their projects; anyone else there (a technician) only theirs.
            return [group_for_project(object_id)], has_role(user, *PROJECT_STAFF)
        return None
    team = Team.objects.filter(id=object_id).first()
    if team is None:
        return None
    if everything or team.supervisor_id == user.id:
        return [group_for_team(object_id)], True
    if has_role(user, *PROJECT_STAFF) and team.projects.filter(id__in=project_ids_of(user)).exists():
        # A dispatcher (or other project staff) of a project the team serves: the board they dispatch on.
        return [group_for_team(object_id)], True
    if team.members.filter(id=user.id).exists():
        return [group_for_team(object_id)], False
    return None


@database_sync_to_async
def _may_see(user: Any, order_id: Any) -> bool:
    try:
        return orders_visible_to(user).filter(id=order_id).exists()
    except (AppError, ValueError):
        return False


@database_sync_to_async
def _order_group(user: Any, order_id: str) -> list[str] | None:
    try:
        return [group_for_order(access_order(user, order_id).id)]
    except (AppError, ValueError):
        return None


class LiveConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def groups_for(self, user: Any) -> list[str] | None:
        """The groups this user may follow here; None refuses the connection (each consumer overrides)."""
        return None

    async def connect(self) -> None:
        self.groups_joined = []
        user = await _authenticate(self.scope)
        groups = await self.groups_for(user) if user is not None else None
        if not groups:
            await self.close(code=FORBIDDEN)
            return
        self.groups_joined = [*groups, group_for_user(user.id)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "groups": len(groups)})

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def order_changed(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def grab_offered(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def notification(self, event: dict[str, Any]) -> None:
        await self.send_json(event)


class BoardConsumer(LiveConsumer):
    """``/ws/board/project/<id>`` or ``/ws/board/team/<id>``: the changes of the orders there that the
    user may see over REST — all of them for project staff and supervisors, a technician's own only."""

    scoped_user: Any = None  # set when each event is checked against the user's scope

    async def groups_for(self, user: Any) -> list[str] | None:
        kwargs = self.scope["url_route"]["kwargs"]
        access = await _board_access(user, kwargs["kind"], str(kwargs["object_id"]))
        if access is None:
            return None
        groups, sees_everything = access
        self.scoped_user = None if sees_everything else user
        return groups

    async def order_changed(self, event: dict[str, Any]) -> None:
        if self.scoped_user is not None and not await _may_see(self.scoped_user, event.get("order_id")):
            return
        await self.send_json(event)

    async def technician_moved(self, event: dict[str, Any]) -> None:
        """A position for the map: only to those who see the whole board (not to a fellow technician)."""
        if self.scoped_user is None:
            await self.send_json(event)


class OrderConsumer(LiveConsumer):
    """``/ws/orders/<id>``: changes of one order the user may see."""

    async def groups_for(self, user: Any) -> list[str] | None:
        return await _order_group(user, str(self.scope["url_route"]["kwargs"]["order_id"]))


class TechnicianConsumer(LiveConsumer):
    """``/ws/technician``: grab-pool offers and notifications for the signed-in technician."""

    async def groups_for(self, user: Any) -> list[str] | None:
        from backend.accounts.access import has_role
        from backend.accounts.roles import Role
        from backend.workorders.live.broadcast import group_for_technician

        allowed = await database_sync_to_async(has_role)(user, Role.TECHNICIAN)
        return [group_for_technician(user.id)] if allowed else None
