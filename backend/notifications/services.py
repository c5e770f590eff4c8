"""Outbound notifications: publishing events and text messages, and the life of one delivery.

    pending ─claim→ sending ─2xx / errcode 0→ sent
                       ├─ 5xx, 408, 429, timeout, errcode ≠ 0, attempts left → failed ─(next_attempt_at)→ claim
                       └─ other 3xx/4xx, target gone, no attempts left → dead

Rows are created inside the caller's transaction and queued with ``transaction.on_commit``. A
retry is never a Celery countdown (Redis would redeliver anything waiting longer than its
visibility timeout): ``next_attempt_at`` is set and the beat task ``deliveries_due`` queues the
row when it is due. Every attempt starts with a claim, a conditional update that exactly one
caller wins, so two workers never send the same attempt.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q

from backend.core.errors import NotFound
from backend.notifications import senders, sms
from backend.notifications.errors import InvalidNotification
from backend.notifications.models import (
    Delivery,
    RobotChannel,
    WebhookEndpoint,
    generate_secret,
    truncate_error,
)
from backend.properties.identity import normalize_phone

logger = logging.getLogger("anxin.notifications")

MAX_ATTEMPTS = 6
# Wait after the 1st, 2nd... failed attempt; after the 6th the delivery is dead (about 2 h 43 min in all).
BACKOFF_SECONDS = (30, 120, 600, 1800, 7200)
# A claimed row may be claimed again after this (its worker died mid-send); far above the HTTP timeout.
CLAIM_LEASE_SECONDS = 300
# The beat queues a due row again only when nobody queued it for this long (a lost message).
REQUEUE_AFTER_SECONDS = 300
DUE_BATCH_SIZE = 500
# Sent as the X-Anxin-Event header: ASCII only.
_EVENT_TYPE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_KEY_MAX = 200

Status = Delivery.Status
TargetKind = Delivery.TargetKind


def retry_delay(*, attempts: int) -> timedelta | None:
    """How long to wait after ``attempts`` failed attempts; None when the delivery should be given up."""
    if attempts >= MAX_ATTEMPTS or attempts < 1:
        return None
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def _queue_delivery(delivery_id: str) -> Callable[[], None]:
    # A named function, not a partial: Django names the callback when it logs a robust one's failure.
    def queue_delivery() -> None:
        from backend.notifications.tasks import deliver

        deliver.delay(delivery_id)

    return queue_delivery


def _enqueue_on_commit(delivery_ids: list[UUID]) -> None:
    for delivery_id in delivery_ids:
        # robust: a broker outage must not fail the request whose data just committed (it is logged);
        # the row's queued_at ages and the beat queues it again after REQUEUE_AFTER_SECONDS.
        transaction.on_commit(_queue_delivery(str(delivery_id)), robust=True)


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > _KEY_MAX:
        raise InvalidNotification(details={"idempotency_key": f"required, at most {_KEY_MAX} characters"})


def _subscribed_targets(event_type: str) -> list[tuple[str, str]]:
    targets = [(TargetKind.WEBHOOK.value, str(e.pk)) for e in WebhookEndpoint.objects.filter(active=True)
               .only("id", "event_types") if e.subscribes_to(event_type)]
    targets += [(r.kind, str(r.pk)) for r in RobotChannel.objects.filter(active=True)
                .only("id", "kind", "event_types") if r.subscribes_to(event_type)]
    return targets


def _create_once(*, target_kind: str, target_id: str, event_type: str, idempotency_key: str,
                 payload: dict[str, Any], now: datetime) -> tuple[Delivery, bool]:
    return Delivery.objects.get_or_create(
        target_kind=target_kind, target_id=target_id, idempotency_key=idempotency_key,
        defaults={"event_type": event_type, "payload": payload, "status": Status.PENDING, "next_attempt_at": now,
                  "queued_at": now, "created_at": now},
    )


def notification_publish(*, event_type: str, payload: dict[str, Any], idempotency_key: str,
                         now: datetime) -> list[Delivery]:
    """One delivery per active endpoint and robot subscribed to ``event_type``, queued after commit.

    Publishing again with the same ``idempotency_key`` returns the existing rows and queues nothing.
    """
    if not _EVENT_TYPE.fullmatch(event_type):
        raise InvalidNotification(details={"event_type": "1 to 64 of a-z, A-Z, 0-9, '.', '_', ':', '-'"})
    _check_key(idempotency_key)
    try:
        payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as exc:
        raise InvalidNotification(details={"payload": str(exc)}) from exc
    if not isinstance(payload, dict):
        raise InvalidNotification(details={"payload": "must be a JSON object"})
    rows: list[Delivery] = []
    created_ids: list[UUID] = []
    with transaction.atomic():
        for kind, target_id in _subscribed_targets(event_type):
            row, created = _create_once(target_kind=kind, target_id=target_id, event_type=event_type,
                                        idempotency_key=idempotency_key, payload=payload, now=now)
            rows.append(row)
            if created:
                created_ids.append(row.id)
        _enqueue_on_commit(created_ids)
    return rows


def sms_send(*, phone: str, template: str, params: dict[str, Any], idempotency_key: str, now: datetime,
             language: str | None = None) -> Delivery:
    """Queues one text message after commit; the same ``idempotency_key`` to the same phone sends once."""
    phone_e164 = normalize_phone(phone)
    sms.sms_check_params(template=template, params=params)
    _check_key(idempotency_key)
    language = language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        raise InvalidNotification(details={"language": language, "known": [code for code, _ in settings.LANGUAGES]})
    wanted = sms.sms_template(template).params
    payload = {"template": template, "params": {name: str(params[name]) for name in wanted}, "language": language}
    with transaction.atomic():
        row, created = _create_once(target_kind=TargetKind.SMS, target_id=phone_e164, event_type=f"sms.{template}",
                                    idempotency_key=idempotency_key, payload=payload, now=now)
        if created:
            _enqueue_on_commit([row.id])
    return row


def delivery_claim(*, delivery_id: UUID | str, now: datetime) -> Delivery | None:
    """Takes the next attempt of a due delivery; returns it to exactly one caller, None to the others."""
    claimed = Delivery.objects.filter(
        ~Q(status__in=Delivery.FINAL), id=delivery_id, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS,
    ).update(status=Status.SENDING, attempts=F("attempts") + 1,
             next_attempt_at=now + timedelta(seconds=CLAIM_LEASE_SECONDS), queued_at=None)
    if claimed != 1:
        return None
    return Delivery.objects.get(id=delivery_id)


def _record(*, delivery: Delivery, outcome: senders.Outcome, now: datetime) -> str:
    fields: dict[str, Any] = {"last_status_code": outcome.status_code, "last_error": truncate_error(outcome.error)}
    if outcome.ok:
        fields.update(status=Status.SENT, sent_at=now, next_attempt_at=None, provider_message_id=outcome.message_id)
    else:
        delay = retry_delay(attempts=delivery.attempts) if outcome.retryable else None
        if delay is None:
            fields.update(status=Status.DEAD, next_attempt_at=None)
        else:
            fields.update(status=Status.FAILED, next_attempt_at=now + delay)
    if delivery.target_kind == TargetKind.SMS and fields["status"] in Delivery.FINAL:
        payload = dict(delivery.payload)
        payload["params"] = sms.sms_redact(template=payload.get("template", ""), params=payload.get("params", {}))
        fields["payload"] = payload
    # Only the holder of this attempt records it: a worker whose lease ran out finds nothing to update.
    updated = Delivery.objects.filter(id=delivery.id, status=Status.SENDING, attempts=delivery.attempts).update(**fields)
    if updated != 1:
        logger.warning("delivery %s: attempt %s ended after its lease was taken over", delivery.id, delivery.attempts)
        return "superseded"
    if fields["status"] == Status.DEAD:
        logger.warning("delivery %s (%s to %s:%s) given up after %s attempt(s): %s", delivery.id,
                       delivery.event_type, delivery.target_kind, delivery.target_id, delivery.attempts, outcome.error)
    return str(fields["status"])


def delivery_attempt(*, delivery_id: UUID | str, now: datetime) -> str:
    """Claims, sends and records one attempt. Returns the new status, or "skipped" when not claimed."""
    delivery = delivery_claim(delivery_id=delivery_id, now=now)
    if delivery is None:
        return "skipped"
    try:
        outcome = senders.send(delivery, now=now)
    except Exception as exc:  # noqa: BLE001 — a sender bug is logged and recorded as a failed attempt
        logger.exception("delivery %s: sending failed unexpectedly", delivery.id)
        outcome = senders.Outcome(ok=False, retryable=True, error=f"{type(exc).__name__}: {exc}")
    return _record(delivery=delivery, outcome=outcome, now=now)


def deliveries_due(*, now: datetime, limit: int = DUE_BATCH_SIZE) -> list[UUID]:
    """Marks due deliveries as queued and returns their ids (for the beat to queue)."""
    # The worker holding the last allowed attempt died: there is nothing left to try.
    Delivery.objects.filter(status=Status.SENDING, next_attempt_at__lte=now, attempts__gte=MAX_ATTEMPTS).update(
        status=Status.DEAD, next_attempt_at=None, last_error="the worker stopped during the last attempt")
    due = (~Q(status__in=Delivery.FINAL) & Q(next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS)
           & (Q(queued_at__isnull=True) | Q(queued_at__lte=now - timedelta(seconds=REQUEUE_AFTER_SECONDS))))
    ids = list(Delivery.objects.filter(due).order_by("next_attempt_at").values_list("id", flat=True)[:limit])
    return [i for i in ids if Delivery.objects.filter(due, id=i).update(queued_at=now) == 1]


def delivery_redrive(*, delivery_ids: list[UUID] | list[str], now: datetime) -> int:
    """Gives failed or dead deliveries a fresh series of attempts, starting now. Returns how many."""
    redriven: list[UUID] = []
    with transaction.atomic():
        for delivery_id in delivery_ids:
            row = Delivery.objects.filter(id=delivery_id).only("target_kind", "payload").first()
            if row is None or (row.target_kind == TargetKind.SMS and sms.REDACTED in row.payload.get("params", {}).values()):
                continue  # a one-time code was removed from the log: that message cannot be sent again
            if Delivery.objects.filter(id=delivery_id, status__in=[Status.FAILED, Status.DEAD]).update(
                    status=Status.PENDING, attempts=0, next_attempt_at=now, queued_at=now) == 1:
                redriven.append(UUID(str(delivery_id)))
        _enqueue_on_commit(redriven)
    return len(redriven)


def webhook_endpoint_rotate_secret(*, endpoint_id: int) -> str:
    """A new signing secret for the endpoint, used from the next attempt on (retries included)."""
    secret = generate_secret()
    if WebhookEndpoint.objects.filter(id=endpoint_id).update(secret=secret) != 1:
        raise NotFound()
    return secret
