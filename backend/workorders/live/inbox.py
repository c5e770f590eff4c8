"""Notifications to staff: stored in the inbox and pushed to the user's live channel after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.workorders.live.broadcast import group_for_user, send_after_commit
from backend.workorders.models import Notification


def notify_users(*, user_ids: list[str], template: str, context: dict[str, Any], now: datetime) -> list[Notification]:
    rows = Notification.objects.bulk_create(
        [Notification(user_id=uid, template=template, context=context, created_at=now) for uid in user_ids]
    )
    # One broadcast after commit reaches every recipient's channel.
    send_after_commit([group_for_user(uid) for uid in user_ids], {"type": "notification", "template": template,
                                                                 **context})
    return rows
