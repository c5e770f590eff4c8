"""Live updates and webhooks of order changes, sent once the change has committed.

Delivery over WebSocket is at-most-once. Every message carries ``seq``, the id of the latest
timeline event of the order, and the order's state and revision **as committed**: the message is
built after the commit from the order's row, so a board never shows a state that a later step of
the same transaction replaced. A client that missed messages asks the REST endpoint for the events
since the last ``seq`` it saw.

Webhooks and group robots hear about steps (``PUBLISHED_KINDS``): one delivery per timeline event,
keyed by that event's id, written in the transaction of the change (an outbox) and sent after commit.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import OuterRef, Subquery

from backend.workorders.models import TimelineEvent, WorkOrder

logger = logging.getLogger("anxin.live")

PUBLISHED_KINDS = frozenset({"created", "state", "assignment", "priority", "approval"})


def group_for_order(order_id: Any) -> str:
    return f"order.{order_id}"


def group_for_project(project_id: Any) -> str:
    return f"board.project.{project_id}"


def group_for_team(team_id: Any) -> str:
    return f"board.team.{team_id}"


def group_for_technician(user_id: Any) -> str:
    return f"technician.{user_id}"


def group_for_user(user_id: Any) -> str:
    return f"user.{user_id}"


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


def _message(row: dict[str, Any], kind: str, at: datetime) -> dict[str, Any]:
    return {"type": "order.changed", "order_id": str(row["id"]), "number": row["number"], "state": row["state"],
            "kind": kind, "seq": row["seq"], "revision": row["revision"], "at": at.isoformat()}


def _groups(order_id: Any, project_id: Any, team_id: Any) -> list[str]:
    groups = [group_for_order(order_id), group_for_project(project_id)]
    if team_id:
        groups.append(group_for_team(team_id))
    return groups


class _CommittedRows(threading.local):
    """The rows read by the announcements of the latest commit, so that the several steps of one
    transaction (an intake that also assigns) read their order once. Emptied whenever an
    announcement is registered: a hook that runs was registered before its commit, so a row in here
    was read after the latest commit of this thread, and no later change can hide behind it."""

    def __init__(self) -> None:
        self.rows: dict[Any, dict[str, Any] | None] = {}


_committed = _CommittedRows()


def _committed_row(order_id: Any) -> dict[str, Any] | None:
    if order_id in _committed.rows:
        return _committed.rows[order_id]
    _committed.rows[order_id] = row = _read_committed_row(order_id)
    return row


def _read_committed_row(order_id: Any) -> dict[str, Any] | None:
    latest = TimelineEvent.objects.filter(order_id=OuterRef("id")).order_by("-id").values("id")[:1]
    row = (WorkOrder.objects.filter(id=order_id).annotate(seq=Subquery(latest))
           .values("id", "number", "state", "revision", "project_id", "team_id", "seq").first())
    return dict(row) if row is not None else None


def _send_committed(order_id: Any, kind: str, at: datetime, also_groups: list[str]) -> None:
    row = _committed_row(order_id)
    if row is None:
        return
    groups = _groups(row["id"], row["project_id"], row["team_id"])
    groups += [g for g in also_groups if g not in groups]
    _send([(groups, _message(row, kind, at))])


def order_announce(*, order: WorkOrder, kind: str, now: datetime, event: TimelineEvent | None = None) -> None:
    """Tells the boards and the order's watchers that the held ``order`` changed, once the
    surrounding transaction commits (never before, never on rollback).

    ``event`` is the timeline event the change wrote, if any: a step of ``PUBLISHED_KINDS`` with an
    event is also published to webhooks, keyed by the event (one delivery per step, whatever the
    retries). The team the order is on when announced hears about it even if a later step of the
    same transaction moves it to another team."""
    team_now = [group_for_team(order.team_id)] if order.team_id else []
    order_id = order.id
    _committed.rows.clear()
    transaction.on_commit(lambda: _send_committed(order_id, kind, now, team_now))
    if event is None or kind not in PUBLISHED_KINDS:
        return
    from backend.notifications.services import notification_publish

    notification_publish(event_type="order.changed", idempotency_key=f"order.changed:{order.id}:{event.id}", now=now,
                         payload={"order_id": str(order.id), "number": order.number, "state": order.state,
                                  "kind": kind, "seq": event.id, "revision": order.revision, "at": now.isoformat()})
