"""Resumable photo uploads for technicians' devices, mounted at ``/api/v1/sync/uploads``.

Photos never travel inside sync batches; each one takes this path (details in README.md):

1. ``POST /sync/uploads`` ``{client_id, order_id, size, sha256, filename, owner_visible}`` opens an
   upload → 201 ``{id, offset: 0, size, status: "open"}``. Repeating it with the same ``client_id``
   returns the same upload and its current offset (200). If the order already holds a file with this
   SHA-256 the answer is 200 ``{status: "complete", attachment_id, deduplicated: true}``: send nothing.
2. ``PUT /sync/uploads/{id}`` with ``Upload-Offset: <n>`` (or ``?offset=n``) and a raw
   ``application/octet-stream`` chunk (≤ 1 MiB recommended) → ``{offset}``. The offset must equal the
   bytes received so far; otherwise 409 ``upload_offset_mismatch`` with ``details.offset`` to resume from.
3. ``GET /sync/uploads/{id}`` → ``{id, offset, size, status, attachment_id}``: where to resume after a cut.
4. ``POST /sync/uploads/{id}/complete`` → ``{status: "complete", attachment_id, deduplicated}``; the
   bytes must hash to the declared SHA-256 (else 422 ``upload_hash_mismatch`` and the upload restarts at
   offset 0); a file the photo checks refuse is 400 ``upload_rejected`` (the upload is then ``rejected``).
   Completing again returns the same answer.

Only device tokens are accepted; an upload is visible to the device that opened it, for an order its user
still has in scope — anything else is 404. Open uploads expire 24 h after they were opened (410).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from backend.accounts.auth import DeviceTokenAuth
from backend.accounts.models import DeviceToken
from backend.core.errors import NotAuthenticated
from backend.core.schemas import COMMON_ERRORS, ErrorOut
from mobile_sync.uploads import selectors, services
from mobile_sync.uploads.errors import UnsupportedMediaType, UploadOffsetRequired
from mobile_sync.uploads.models import UploadSession
from mobile_sync.uploads.schemas import CompleteOut, OffsetOut, UploadIn, UploadOut

router = Router(tags=["sync uploads"], auth=DeviceTokenAuth())
ERRORS: dict[int, Any] = {**COMMON_ERRORS, 409: ErrorOut, 410: ErrorOut, 415: ErrorOut}
CHUNK_TYPES = {"application/octet-stream", "application/offset+octet-stream"}

_CHUNK_DOC = {
    "requestBody": {"required": True, "content": {"application/octet-stream": {
        "schema": {"type": "string", "format": "binary"}}}},
    "parameters": [{"in": "header", "name": "Upload-Offset", "required": False, "schema": {"type": "integer",
                    "minimum": 0}, "description": "Where this chunk starts: the bytes received so far. "
                    "Required unless given as ?offset=."}],
}


def _device(request: HttpRequest) -> DeviceToken:
    token = getattr(request.user, "device_token", None)
    if token is None:  # DeviceTokenAuth always sets it; anything else is not a device
        raise NotAuthenticated()
    return token


def _out(session: UploadSession) -> dict[str, Any]:
    return {"id": session.id, "offset": session.received, "size": session.size, "status": session.status,
            "attachment_id": session.attachment_id, "deduplicated": session.deduplicated}


def _chunk_offset(request: HttpRequest, query_offset: int | None) -> int:
    header = request.headers.get("Upload-Offset")
    if header is None:
        if query_offset is None:
            raise UploadOffsetRequired()
        return query_offset
    try:
        offset = int(header.strip())
    except ValueError:
        raise UploadOffsetRequired(details={"upload_offset": header[:20]}) from None
    if query_offset is not None and query_offset != offset:
        raise UploadOffsetRequired(details={"upload_offset": offset, "offset": query_offset})
    return offset


@router.post("", response={201: UploadOut, 200: UploadOut, **ERRORS}, summary="Open a resumable upload")
def upload_create(request: HttpRequest, payload: UploadIn):  # type: ignore[no-untyped-def]
    """201 for a new upload; 200 for a repeat of the same `client_id` or when the order already has this file
    (then `status` is `complete` and no bytes are needed). 413 when `size` exceeds 15 MiB."""
    session, created = services.upload_create(actor=request.user, device_token=_device(request),
                                              now=timezone.now(), **payload.dict())
    return Status(201 if created and session.status == UploadSession.Status.OPEN else 200, _out(session))


@router.get("/{upload_id}", response={200: UploadOut, **ERRORS}, summary="Where an upload stands")
def upload_get(request: HttpRequest, upload_id: UUID):  # type: ignore[no-untyped-def]
    return _out(selectors.upload_get(actor=request.user, device_token=_device(request), upload_id=upload_id))


@router.put("/{upload_id}", response={200: OffsetOut, **ERRORS}, summary="Append a chunk",
            openapi_extra=_CHUNK_DOC)
def upload_append(request: HttpRequest, upload_id: UUID, offset: int | None = None):  # type: ignore[no-untyped-def]
    """The raw body is appended at `Upload-Offset`, which must equal the bytes received so far (409
    `upload_offset_mismatch` otherwise, with `details.offset` to resume from)."""
    start = _chunk_offset(request, offset)
    if request.content_type not in CHUNK_TYPES:
        raise UnsupportedMediaType(details={"content_type": (request.content_type or "")[:100]})
    session = services.upload_append(actor=request.user, device_token=_device(request), upload_id=upload_id,
                                     offset=start, data=request.body, now=timezone.now())
    return {"offset": session.received}


@router.post("/{upload_id}/complete", response={200: CompleteOut, **ERRORS}, summary="Finish an upload")
def upload_complete(request: HttpRequest, upload_id: UUID):  # type: ignore[no-untyped-def]
    """Checks the SHA-256 and the photo, then attaches it to the order. Idempotent."""
    session = services.upload_complete(actor=request.user, device_token=_device(request), upload_id=upload_id,
                                       now=timezone.now())
    return {"id": session.id, "status": session.status, "attachment_id": session.attachment_id,
            "deduplicated": session.deduplicated}
