"""Writes of the resumable uploads: open, append a chunk, complete, expire.

Invariants kept by the database, not by Python checks:
- one upload per (device token, client id) — a repeated create finds the first one;
- ``received <= size``, and ``received`` only moves by a conditional update on its current value,
  so of two chunks sent for the same offset exactly one is appended (the other gets 409);
- a completion holds the session's row lock from the hash check to the attachment, so completing
  twice, or completing while a late chunk arrives, stores one attachment.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum

from backend.accounts.models import DeviceToken
from backend.core.errors import AppError, PayloadTooLarge
from backend.workorders.access import access_order
from backend.workorders.errors import UploadRejected
from backend.workorders.models import Attachment
from backend.workorders.records.photos import MAX_UPLOAD_BYTES
from backend.workorders.services import attachment_add
from mobile_sync.uploads import storage
from mobile_sync.uploads.errors import (
    UploadClientIdReused,
    UploadClosed,
    UploadExpired,
    UploadHashMismatch,
    UploadIncomplete,
    UploadOffsetMismatch,
    UploadOverflow,
    UploadQuotaExceeded,
)
from mobile_sync.uploads.models import UPLOAD_TTL, UploadSession
from mobile_sync.uploads.selectors import upload_get

logger = logging.getLogger("anxin.sync.uploads")
Status = UploadSession.Status
# What one device may hold open at once: enough for a day of photos taken offline, not enough for a
# stolen token to fill the disk with 15 MiB sessions it never finishes (they expire after UPLOAD_TTL).
MAX_OPEN_UPLOADS_PER_DEVICE = 50
MAX_OPEN_BYTES_PER_DEVICE = 300 * 1024 * 1024


def _check_quota(device_token: DeviceToken, size: int) -> None:
    """Called with the device's token row locked, so that concurrent creates of one device queue here."""
    open_sessions = UploadSession.objects.filter(device_token=device_token, status=Status.OPEN)
    held = open_sessions.aggregate(count=Count("id"), size=Sum("size"))
    count, reserved = held["count"] or 0, held["size"] or 0
    if count >= MAX_OPEN_UPLOADS_PER_DEVICE or reserved + size > MAX_OPEN_BYTES_PER_DEVICE:
        raise UploadQuotaExceeded(details={"open_uploads": count, "max_open_uploads": MAX_OPEN_UPLOADS_PER_DEVICE,
                                           "open_bytes": reserved, "max_open_bytes": MAX_OPEN_BYTES_PER_DEVICE})


def upload_create(*, actor: Any, device_token: DeviceToken, client_id: str, order_id: UUID, size: int, sha256: str,
                  filename: str, owner_visible: bool, now: datetime) -> tuple[UploadSession, bool]:
    """Opens an upload, or finds the one this device opened under ``client_id``; returns (session, created).

    When the order already holds a file with this content, the new session is complete at once and
    names that attachment: no byte needs to travel.
    """
    order = access_order(actor, order_id)  # 403 without order access, 404 outside the scope
    declared = {"order_id": order.id, "size": size, "sha256": sha256.lower(), "filename": filename[:200],
                "owner_visible": owner_visible}
    existing = UploadSession.objects.filter(device_token=device_token, client_id=client_id).first()
    if existing is not None:
        return _same_upload(existing, declared), False
    if size > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(details={"max_bytes": MAX_UPLOAD_BYTES, "size": size})
    duplicate = Attachment.objects.filter(order=order, sha256=declared["sha256"]).first()
    session = UploadSession(device_token=device_token, user=actor, client_id=client_id, **declared,
                            status=Status.COMPLETE if duplicate else Status.OPEN, attachment=duplicate,
                            deduplicated=duplicate is not None, created_at=now, updated_at=now)
    try:
        with transaction.atomic():
            if session.status == Status.OPEN:
                DeviceToken.objects.select_for_update().filter(id=device_token.id).first()
                _check_quota(device_token, size)
            session.save(force_insert=True)
    except IntegrityError:
        # The same create raced itself (a retry while the first request was still running).
        existing = UploadSession.objects.filter(device_token=device_token, client_id=client_id).first()
        if existing is None:
            raise
        return _same_upload(existing, declared), False
    return session, True


def _same_upload(session: UploadSession, declared: dict[str, Any]) -> UploadSession:
    differing = sorted(name for name, value in declared.items() if getattr(session, name) != value)
    if differing:
        raise UploadClientIdReused(details={"upload_id": str(session.id), "fields": differing})
    return session


def upload_append(*, actor: Any, device_token: DeviceToken, upload_id: UUID, offset: int, data: bytes,
                  now: datetime) -> UploadSession:
    """Appends one chunk that starts exactly at the bytes received so far."""
    session = upload_get(actor=actor, device_token=device_token, upload_id=upload_id)
    _ensure_open(session, now)
    if offset != session.received:
        raise _offset_mismatch(session)
    end = offset + len(data)
    if end > session.size:
        raise UploadOverflow(details={"offset": offset, "chunk_bytes": len(data), "size": session.size})
    with transaction.atomic():
        # The claim: exactly one of two requests for the same offset moves `received` (the row stays
        # locked until commit, so the bytes are on disk before anyone can append after them).
        claimed = UploadSession.objects.filter(id=session.id, status=Status.OPEN, received=offset).update(
            received=end, updated_at=now)
        if not claimed:
            session.refresh_from_db()
            if session.status != Status.OPEN:
                raise UploadClosed(details={"status": session.status})
            raise _offset_mismatch(session)
        storage.write_chunk(session.id, offset=offset, data=data)
    session.received, session.updated_at = end, now
    return session


def _offset_mismatch(session: UploadSession) -> UploadOffsetMismatch:
    return UploadOffsetMismatch(details={"offset": session.received, "size": session.size})


def upload_complete(*, actor: Any, device_token: DeviceToken, upload_id: UUID, now: datetime) -> UploadSession:
    """Checks the assembled bytes against the declared SHA-256 and stores them as the order's attachment.

    Idempotent: a completed upload returns its result again, a rejected one its rejection. A hash
    mismatch resets the upload to offset 0; a file the photo checks refuse makes it ``rejected``.
    """
    session = upload_get(actor=actor, device_token=device_token, upload_id=upload_id)
    if session.status == Status.COMPLETE:
        return session
    _ensure_open(session, now)
    error: AppError | None = None
    with transaction.atomic():
        session = UploadSession.objects.select_for_update().get(id=session.id)
        if session.status == Status.COMPLETE:  # completed by a concurrent request
            return session
        _ensure_open(session, now)
        if session.received != session.size:
            raise UploadIncomplete(details={"offset": session.received, "size": session.size})
        data = storage.read_part(session.id, size=session.size)
        actual = hashlib.sha256(data).hexdigest()
        if actual != session.sha256:
            storage.truncate(session.id)
            _save(session, now, received=0, reason="hash_mismatch")
            error = UploadHashMismatch(details={"offset": 0, "size": session.size, "sha256": actual})
        else:
            try:
                attachment, created = attachment_add(actor=actor, order_id=session.order_id, data=data,
                                                     original_name=session.filename,
                                                     owner_visible=session.owner_visible, now=now)
            except UploadRejected as exc:
                _save(session, now, status=Status.REJECTED, reason=str(exc.details.get("reason", "rejected"))[:100])
                error = exc
            else:
                _save(session, now, status=Status.COMPLETE, attachment=attachment, deduplicated=not created,
                      reason="")
            transaction.on_commit(partial(storage.discard, session.id))
    if error is not None:
        raise error
    return session


def _ensure_open(session: UploadSession, now: datetime) -> None:
    if session.status == Status.REJECTED:
        raise UploadRejected(details={"reason": session.reason, "upload_id": str(session.id)})
    if session.status == Status.EXPIRED:
        raise UploadExpired(details={"upload_id": str(session.id)})
    if session.status != Status.OPEN:
        raise UploadClosed(details={"status": session.status})
    if session.is_stale(now):
        _expire(session.id, now)
        raise UploadExpired(details={"upload_id": str(session.id)})


def _save(session: UploadSession, now: datetime, **changes: Any) -> None:
    for name, value in changes.items():
        setattr(session, name, value)
    session.updated_at = now
    session.save(update_fields=[*changes, "updated_at"])


def _expire(upload_id: UUID, now: datetime) -> bool:
    """Claims one open upload for expiry (idempotent) and deletes its bytes."""
    claimed = UploadSession.objects.filter(id=upload_id, status=Status.OPEN).update(
        status=Status.EXPIRED, reason="expired", updated_at=now)
    if claimed:
        storage.discard(upload_id)
    return bool(claimed)


def uploads_expire(*, now: datetime) -> int:
    """Expires the uploads opened more than UPLOAD_TTL ago and deletes their bytes; also removes partial
    files that no open upload owns and nobody wrote for as long. Returns the number of uploads expired."""
    cutoff = now - UPLOAD_TTL
    stale = UploadSession.objects.filter(status=Status.OPEN, created_at__lte=cutoff).values_list("id", flat=True)
    expired = sum(_expire(upload_id, now) for upload_id in list(stale))
    open_ids = UploadSession.objects.filter(status=Status.OPEN).values_list("id", flat=True)
    for path in storage.orphans(keep=list(open_ids), modified_before=cutoff.timestamp()):
        logger.info("removing orphaned partial upload %s", path.name)
        path.unlink(missing_ok=True)
    return expired
