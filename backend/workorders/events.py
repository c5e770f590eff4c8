"""Live updates: after a change commits, a message goes to the order's and the dispatch boards' groups.

Delivery over WebSocket is at-most-once. Every message carries ``seq``, the id of the latest
timeline event of the order, so a client that missed messages asks the REST endpoint for the
events since the last ``seq`` it saw.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

if TYPE_CHECKING:
    from backend.workorders.writes import LiveChange, OrderWrites

logger = logging.getLogger("anxin.live")


def group_for_order(order_id: Any) -> str:
    return f"order.{order_id}"


def group_for_project(project_id: Any) -> str:
    return f"board.project.{project_id}"


def group_for_team(team_id: Any) -> str:
    return f"board.team.{team_id}"


def group_for_technician(user_id: Any) -> str:
    return f"technician.{user_id}"


def send_after_commit(groups: list[str], message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _send([(groups, message)]))


def _send(items: list[tuple[list[str], dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def fan_out() -> None:
        for groups, message in items:
            for group in groups:
                await layer.group_send(group, message)

    try:
        async_to_sync(fan_out)()  # one hop into the event loop for all groups and messages
    except Exception:  # noqa: BLE001 — live delivery is best effort; clients recover through REST
        logger.warning("live update to %s failed", [groups for groups, _ in items], exc_info=True)


PUBLISHED_KINDS = frozenset({"created", "state", "assignment", "priority", "approval"})


def order_changed(*, order: Any, kind: str, now: datetime, writes: OrderWrites | None = None) -> None:
    """Queues the broadcast for after the surrounding transaction commits (never before).

    With ``writes``, the message is queued there and sent by its flush, carrying the id of the
    timeline event queued last before this call (the event it announces)."""
    from backend.workorders.models import TimelineEvent

    seq_event = writes.events[-1] if writes is not None and writes.events else None
    seq = None if seq_event is not None else \
        TimelineEvent.objects.filter(order_id=order.id).order_by("-id").values_list("id", flat=True).first()
    message = {
        "type": "order.changed",
        "order_id": str(order.id),
        "number": order.number,
        "state": order.state,
        "kind": kind,
        "seq": seq,
        "revision": order.revision,
        "at": now.isoformat(),
    }
    groups = [group_for_order(order.id), group_for_project(order.project_id)]
    if order.team_id:
        groups.append(group_for_team(order.team_id))
    from backend.workorders.writes import LiveChange

    change = LiveChange(message=message, groups=groups, seq_event=seq_event, publish=kind in PUBLISHED_KINDS,
                        now=now)
    if writes is not None:
        writes.changes.append(change)
    else:
        order_changes_send([change])


def order_changes_send(changes: list[LiveChange]) -> None:
    """One broadcast after commit for all the changes, and one webhook delivery per published change."""
    transaction.on_commit(lambda: _send([(change.groups, change.message) for change in changes]))
    from backend.notifications.services import Announcement, notification_publish_many

    # Webhooks and group robots hear about steps, not every comment; one delivery per timeline event.
    # The changes of one service call are published together: the targets are read once.
    announcements = [Announcement(event_type="order.changed",
                                  idempotency_key=f"order.changed:{change.message['order_id']}:{change.message['seq']}",
                                  payload={k: v for k, v in change.message.items() if k != "type"})
                     for change in changes if change.publish]
    if announcements:
        notification_publish_many(announcements=announcements, now=max(change.now for change in changes
                                                                        if change.publish))
