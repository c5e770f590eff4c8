"""``/media/<name>``: stored files served only to those who may see them.

Nothing serves the uploads folder directly: this view finds the row a file belongs to and checks the
caller against it — an order's photos for staff who may see the order (session or device token) and
for its owner (the portal session, owner-visible photos only), technicians' photos for any staff
member or verified owner, the knowledge base's pictures for everyone. Behind the production proxy
the view answers with ``X-Accel-Redirect`` and nginx sends the file from an internal location;
without one (the embedded mode) the view streams it. A file nobody may see here is a 404.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from backend.accounts import services as account_services
from backend.core.dates import business_date
from backend.core.errors import AppError

PUBLIC_PREFIXES = ("kb/",)


def _staff_user(request: HttpRequest) -> Any:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("bearer "):
        return account_services.device_token_authenticate(raw=header[7:].strip(), now=timezone.now())
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated and user.is_active else None


def _owner(request: HttpRequest) -> Any:
    from owner_portal.selectors import identity_in_session

    return identity_in_session(getattr(request, "session", None))


def _may_read(request: HttpRequest, name: str) -> bool:
    from backend.workorders.access import access_order, access_order_of_owner
    from backend.workorders.models import Attachment

    if name.startswith(PUBLIC_PREFIXES):
        return True
    if name.startswith("technicians/"):
        return _staff_user(request) is not None or _owner(request) is not None
    if not name.startswith(("attachments/", "thumbnails/")):
        return False
    row = Attachment.objects.filter(Q(file=name) | Q(thumbnail=name)).only("id", "order_id", "owner_visible").first()
    if row is None:
        return False
    user = _staff_user(request)
    try:
        if user is not None:
            access_order(user, row.order_id)
            return True
        identity = _owner(request)
        if identity is not None and row.owner_visible:
            access_order_of_owner(owner_id=identity.owner_id, phone=identity.phone, order_id=row.order_id,
                                  today=business_date(timezone.now()))
            return True
    except AppError:
        return False
    return False


@require_safe
def media(request: HttpRequest, name: str) -> HttpResponse | FileResponse:
    if ".." in name.split("/") or name.startswith("/") or not _may_read(request, name):
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    accel = getattr(settings, "MEDIA_ACCEL_REDIRECT_PREFIX", "")
    response: HttpResponse | FileResponse
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + name
    else:
        if not default_storage.exists(name):
            raise Http404
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
