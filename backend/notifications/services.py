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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import F, Q

from backend.core.bulk import insert_statement
from backend.core.errors import NotFound
from backend.notifications import senders, sms
from backend.notifications.errors import InvalidNotification
from backend.notifications.models import (
    Delivery,
    RobotChannel,
    WebhookEndpoint,
    generate_secret,
    subscribes,
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


@dataclass(frozen=True)
class Announcement:
    """One event to publish: its type, its JSON payload and the key that makes publishing it idempotent."""

    event_type: str
    payload: dict[str, Any]
    idempotency_key: str


def _active_targets() -> list[tuple[str, str, Any]]:
    """(target kind, target id, event types) of every active endpoint and robot, the endpoints first,
    each kind by name: one statement for both tables.

    Written out rather than a ``union()`` of two querysets, which takes longer to compile than
    to run; only the models' quoted names go into it."""
    connection = connections[router.db_for_read(WebhookEndpoint) or DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    hook, robot = WebhookEndpoint._meta.db_table, RobotChannel._meta.db_table
    sql = (f"SELECT 0, 'webhook', id, event_types, name FROM {quote(hook)} WHERE active "  # noqa: S608
           f"UNION ALL SELECT 1, kind, id, event_types, name FROM {quote(robot)} WHERE active")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = sorted(cursor.fetchall(), key=lambda row: (row[0], row[4], row[2]))
    # JSON comes back as text from both databases (Django loads PostgreSQL's jsonb as text too).
    return [(kind, str(target_id), json.loads(event_types) if isinstance(event_types, str) else event_types)
            for _order, kind, target_id, event_types, _name in rows]


def _new_delivery(*, target_kind: str, target_id: str, event_type: str, idempotency_key: str,
                  payload: dict[str, Any], now: datetime) -> Delivery:
    return Delivery(target_kind=target_kind, target_id=target_id, event_type=event_type,
                    idempotency_key=idempotency_key, payload=payload, status=Status.PENDING, next_attempt_at=now,
                    queued_at=now, created_at=now)


def _write_db() -> str:
    return router.db_for_write(Delivery) or DEFAULT_DB_ALIAS


# Rows per INSERT: far below SQLite's limit of 32 766 parameters with Delivery's 15 columns.
_INSERT_BATCH = 500


def _insert_new(rows: list[Delivery]) -> set[UUID]:
    """Inserts the rows that have no delivery yet for their target and idempotency key, in one
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` per batch; returns the ids of those inserted.

    The unique constraint decides, not a read before the write: of two transactions inserting the
    same key, the second waits for the first and inserts nothing once it commits (PostgreSQL; SQLite
    serialises writers). No savepoint is needed, since a conflict is not an error. (The ORM has no
    single statement for this: ``bulk_create(ignore_conflicts=True)`` does not say which rows it
    inserted, and ``get_or_create`` takes two savepoints and up to three statements per row.)"""
    if not rows:
        return set()
    connection = connections[_write_db()]
    quote = connection.ops.quote_name
    conflict = ", ".join(quote(name) for name in ("target_kind", "target_id", "idempotency_key"))
    inserted: set[UUID] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _INSERT_BATCH):
            statement = insert_statement(Delivery, rows[start:start + _INSERT_BATCH], connection)
            cursor.execute(f"{statement.sql} ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote('id')}",
                           statement.params)
            # SQLite returns a UUID as its 32 hex digits, PostgreSQL as a UUID.
            inserted.update(UUID(str(value)) for (value,) in cursor.fetchall())
    return inserted


def _create_once(rows: list[Delivery]) -> tuple[list[Delivery], list[UUID]]:
    """(the delivery of each row's target and key, the ids of the deliveries created now).

    A row whose target already has a delivery for its key is replaced by that delivery, read in
    one query for all of them; the first publication's payload wins."""
    created = _insert_new(rows)
    existing_keys = [(row.target_kind, row.target_id, row.idempotency_key) for row in rows if row.id not in created]
    existing: dict[tuple[str, str, str], Delivery] = {}
    if existing_keys:
        found = Delivery.objects.filter(idempotency_key__in={key for _, _, key in existing_keys},
                                        target_id__in={target for _, target, _ in existing_keys})
        existing = {(row.target_kind, row.target_id, row.idempotency_key): row for row in found}
    result = []
    for row in rows:
        if row.id in created:
            row._state.adding = False
            row._state.db = _write_db()
            result.append(row)
            continue
        key = (row.target_kind, row.target_id, row.idempotency_key)
        if key not in existing:  # inserted by another transaction, then deleted before this read
            raise InvalidNotification(details={"idempotency_key": row.idempotency_key,
                                               "reason": "the existing delivery disappeared; publish again"})
        result.append(existing[key])
    return result, [row.id for row in rows if row.id in created]


def _checked_payload(payload: Any) -> dict[str, Any]:
    try:
        payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    except (TypeError, ValueError) as exc:
        raise InvalidNotification(details={"payload": str(exc)}) from exc
    if not isinstance(payload, dict):
        raise InvalidNotification(details={"payload": "must be a JSON object"})
    return payload


def notification_publish(*, event_type: str, payload: dict[str, Any], idempotency_key: str,
                         now: datetime) -> list[Delivery]:
    """One delivery per active endpoint and robot subscribed to ``event_type``, queued after commit.

    Publishing again with the same ``idempotency_key`` returns the existing rows and queues nothing.
    """
    return notification_publish_many(
        announcements=[Announcement(event_type=event_type, payload=payload, idempotency_key=idempotency_key)],
        now=now)


def notification_publish_many(*, announcements: list[Announcement], now: datetime) -> list[Delivery]:
    """``notification_publish`` for several events at once: the targets are read once, the new
    deliveries written in one statement. Returns the deliveries in the order of the announcements,
    each announcement's in the order of its targets. Nothing is stored if one is invalid."""
    checked = []
    for announcement in announcements:
        if not _EVENT_TYPE.fullmatch(announcement.event_type):
            raise InvalidNotification(details={"event_type": "1 to 64 of a-z, A-Z, 0-9, '.', '_', ':', '-'"})
        _check_key(announcement.idempotency_key)
        checked.append((announcement, _checked_payload(announcement.payload)))
    if not checked:
        return []
    targets = _active_targets()
    wanted = [_new_delivery(target_kind=kind, target_id=target_id, event_type=announcement.event_type,
                            idempotency_key=announcement.idempotency_key, payload=payload, now=now)
              for announcement, payload in checked
              for kind, target_id, event_types in targets if subscribes(event_types, announcement.event_type)]
    rows, created_ids = _create_once(wanted)
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
    wanted = sms.sms_template(template).all_params
    payload = {"template": template, "language": language,
               "params": {name: str(params[name]) for name in wanted if params.get(name) not in (None, "")}}
    [row], created_ids = _create_once([_new_delivery(
        target_kind=TargetKind.SMS, target_id=phone_e164, event_type=f"sms.{template}",
        idempotency_key=idempotency_key, payload=payload, now=now)])
    _enqueue_on_commit(created_ids)
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
    # One claim for the batch: the rows are locked as they are read (two beats never take the same
    # row: the second skips the first's), then marked queued in one UPDATE. SQLite has no row locks
    # but runs one writing transaction at a time.
    with transaction.atomic():
        ids = list(Delivery.objects.select_for_update(skip_locked=True).filter(due).order_by("next_attempt_at")
                   .values_list("id", flat=True)[:limit])
        if ids:
            Delivery.objects.filter(due, id__in=ids).update(queued_at=now)
    return ids


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
