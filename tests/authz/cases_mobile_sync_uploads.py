"""Authorization cases of the resumable uploads (/api/v1/sync/uploads): device tokens of users with order
access only; an upload is visible to the device that opened it, for an order in its user's scope."""

from __future__ import annotations

import hashlib
import io
import uuid
from typing import Any

from django.utils import timezone
from PIL import Image

from backend.accounts import services as account_services
from backend.accounts.models import DeviceToken
from backend.accounts.roles import Role
from mobile_sync.uploads import services as upload_services
from mobile_sync.uploads.models import UploadSession
from tests.authz.framework import Call, RouteCase, Scenario
from tests.factories import user_with_roles
from tests.workorders.world import two_sides

BASE = "/api/v1/sync/uploads"


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 160)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _phone_of(user: Any) -> DeviceToken:
    """Issues the token the framework will use for ``user`` (prepare() keeps headers already set)."""
    token, raw = account_services.device_token_issue(user=user, name=f"authz-{user.username}", now=timezone.now())
    user._test_headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    return token


def _declaration(order_id: Any, data: bytes) -> dict[str, Any]:
    return {"client_id": uuid.uuid4().hex[:16], "order_id": str(order_id), "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "filename": "leak.jpg", "owner_visible": True}


def _open_upload(*, sent_everything: bool) -> tuple[Any, Any, UploadSession, bytes]:
    a, b = two_sides()
    data = _photo()
    token = _phone_of(a.technician)
    session, _created = upload_services.upload_create(actor=a.technician, device_token=token,
                                                      now=timezone.now(), **{**_declaration(a.order.id, data),
                                                                             "order_id": a.order.id})
    if sent_everything:
        session = upload_services.upload_append(actor=a.technician, device_token=token, upload_id=session.id,
                                                offset=0, data=data, now=timezone.now())
    return a, b, session, data


def _create() -> Scenario:
    a, b = two_sides()
    call = Call(BASE, json_body=_declaration(a.order.id, _photo()))
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.SALES),
                    wrong_object=(b.technician, call))


def _get() -> Scenario:
    a, b, session, _data = _open_upload(sent_everything=False)
    call = Call(f"{BASE}/{session.id}")
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.SALES),
                    wrong_object=(b.technician, call))


def _append() -> Scenario:
    a, b, session, data = _open_upload(sent_everything=False)
    call = Call(f"{BASE}/{session.id}", raw_body=data[:100], headers={"HTTP_UPLOAD_OFFSET": "0"})
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.SALES),
                    wrong_object=(b.technician, call))


def _complete() -> Scenario:
    a, b, session, _data = _open_upload(sent_everything=True)
    call = Call(f"{BASE}/{session.id}/complete")
    return Scenario(call=call, allowed=a.technician, wrong_role=user_with_roles(Role.SALES),
                    wrong_object=(b.technician, call))


CASES = [
    RouteCase("POST", BASE, make=_create, notes="order outside the scope → 404"),
    RouteCase("GET", BASE + "/{upload_id}", make=_get, notes="another technician's upload → 404"),
    RouteCase("PUT", BASE + "/{upload_id}", make=_append, notes="raw octet-stream chunk at Upload-Offset"),
    RouteCase("POST", BASE + "/{upload_id}/complete", make=_complete),
]
