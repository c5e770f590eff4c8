"""The grab pool, live: ``/ws/crm/projects/<id>/grabs`` for a consultant on duty in that project.

Authenticated like the staff sockets (the session or a device token, ``?token=``); anyone else — another
project's consultant, one off duty, a sales manager, a non-sales role — is refused with 4403. The socket
joins the consultant's own grab group of the project; dispatch sends ``offer.created``, ``offer.taken``
and ``offer.expired`` there after the commit. Delivery is at most once: the page re-reads its rows on each
message, and polls slowly while no socket is open.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from backend.workorders.consumers import LiveConsumer


@database_sync_to_async
def _grab_group(user: Any, project_id: str) -> list[str] | None:
    from backend.accounts.access import has_role
    from backend.accounts.roles import Role
    from backend.crm.models import Seat
    from backend.crm.services.dispatch import group_for_grabs

    # The same consultants dispatch offers grab leads to (``dispatch._candidates``).
    if not has_role(user, Role.SALES):
        return None
    if not Seat.objects.filter(user=user, project_id=project_id, on_duty=True, is_manager=False).exists():
        return None
    return [group_for_grabs(project_id, user.id)]


class GrabPoolConsumer(LiveConsumer):
    """Relays the grab pool's offers to the consultant they were made to."""

    async def groups_for(self, user: Any) -> list[str] | None:
        return await _grab_group(user, str(self.scope["url_route"]["kwargs"]["project_id"]))

    async def offer_created(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def offer_taken(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def offer_expired(self, event: dict[str, Any]) -> None:
        await self.send_json(event)
