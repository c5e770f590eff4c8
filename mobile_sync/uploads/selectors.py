"""Reads of upload sessions, always scoped to the calling device and to the orders its user may see."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from backend.accounts.models import DeviceToken
from backend.core.errors import NotFound
from backend.workorders.access import orders_visible_to
from mobile_sync.uploads.models import UploadSession


def uploads_of(*, actor: Any, device_token: DeviceToken) -> QuerySet[UploadSession]:
    """The device's own uploads for orders still in its user's scope (403 for roles without order access)."""
    orders = orders_visible_to(actor)
    return UploadSession.objects.filter(device_token=device_token, user=actor, order__in=orders.values("id"))


def upload_get(*, actor: Any, device_token: DeviceToken, upload_id: UUID) -> UploadSession:
    """Someone else's upload, one of another device, or one whose order left the scope: all look missing."""
    session = uploads_of(actor=actor, device_token=device_token).filter(id=upload_id).first()
    if session is None:
        raise NotFound(details={"object": "upload"})
    return session
