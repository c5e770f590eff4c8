"""Live updates of one order for the homeowner who follows it (``/ws/portal/orders/<id>``).

Authenticated by the portal session (the phone verified by SMS); anyone else is refused with
4403. The page is only told *that* something changed and the latest ``seq``: it then asks the
REST endpoint for the owner-visible events since the last one it showed, so nothing internal
travels to the owner's phone and a missed message is recovered on the next one (or by polling).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from backend.core.dates import business_date
from backend.core.errors import AppError
from backend.workorders.access import access_order_of_owner
from backend.workorders.consumers import FORBIDDEN
from backend.workorders.live.broadcast import group_for_order
from owner_portal.selectors import identity_in_session


@database_sync_to_async
def _order_group(scope: dict[str, Any], order_id: str) -> str | None:
    identity = identity_in_session(scope.get("session"))
    if identity is None:
        return None
    try:
        order = access_order_of_owner(owner_id=identity.owner_id, phone=identity.phone, order_id=order_id,
                                      today=business_date(timezone.now()))
    except (AppError, ValueError):
        return None
    return group_for_order(order.id)


class PortalOrderConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        self.group = await _order_group(self.scope, str(self.scope["url_route"]["kwargs"]["order_id"]))
        if self.group is None:
            await self.close(code=FORBIDDEN)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def order_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "changed", "seq": event.get("seq")})
