"""One attempt at one delivery: build the request for its target kind, send it, classify the answer.

Nothing here writes to the database; ``services.delivery_attempt`` records the ``Outcome``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import translation

from backend.notifications import robots, signing, sms, transport
from backend.notifications.errors import SmsSendFailed
from backend.notifications.models import Delivery, RobotChannel, WebhookEndpoint

# Answers worth retrying besides 5xx; any other 3xx or 4xx will not get better by itself.
RETRYABLE_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool = False
    status_code: int | None = None
    error: str = ""
    message_id: str = ""


def _http_outcome(result: transport.HttpResult) -> Outcome:
    code = result.status_code
    if code is None:
        return Outcome(ok=False, retryable=True, error=result.error)
    if 200 <= code < 300:
        return Outcome(ok=True, status_code=code)
    snippet = result.body[:300].decode("utf-8", "replace")
    retryable = code >= 500 or code in RETRYABLE_STATUS
    return Outcome(ok=False, retryable=retryable, status_code=code, error=f"HTTP {code}: {snippet}".strip())


def webhook_body(delivery: Delivery) -> bytes:
    envelope = {
        "id": str(delivery.id),
        "type": delivery.event_type,
        "idempotency_key": delivery.idempotency_key,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _gone(kind: str, target_id: str) -> Outcome:
    return Outcome(ok=False, retryable=False, error=f"{kind} {target_id} was deleted or deactivated")


def _send_webhook(delivery: Delivery, now: datetime) -> Outcome:
    endpoint = WebhookEndpoint.objects.filter(pk=delivery.target_id, active=True).first()
    if endpoint is None:
        return _gone("webhook endpoint", delivery.target_id)
    body = webhook_body(delivery)
    headers = signing.webhook_headers(secret=endpoint.secret, body=body, delivery_id=str(delivery.id),
                                      event_type=delivery.event_type, now=now)
    return _http_outcome(transport.post(endpoint.url, body=body, headers=headers))


def _send_robot(delivery: Delivery, now: datetime) -> Outcome:
    robot = RobotChannel.objects.filter(pk=delivery.target_id, kind=delivery.target_kind, active=True).first()
    if robot is None:
        return _gone("robot", delivery.target_id)
    url = robot.webhook_url
    if robot.kind == RobotChannel.Kind.DINGTALK and robot.secret:
        url = signing.dingtalk_signed_url(url=url, secret=robot.secret, now=now)
    body = robots.robot_body(kind=robot.kind, event_type=delivery.event_type, payload=delivery.payload)
    result = transport.post(url, body=body, headers={})
    outcome = _http_outcome(result)
    if not outcome.ok:
        return outcome
    refusal = robots.robot_refusal(result.body)
    if refusal:  # HTTP 200 with errcode != 0: rate limit, bad signature, keyword filter...
        return Outcome(ok=False, retryable=True, status_code=outcome.status_code, error=refusal)
    return outcome


def _send_sms(delivery: Delivery, now: datetime) -> Outcome:
    payload: dict[str, Any] = delivery.payload
    with translation.override(payload.get("language")):
        try:
            message_id = sms.sms_backend().send(phone_e164=delivery.target_id, template=payload["template"],
                                                params=payload["params"])
        except SmsSendFailed as exc:
            return Outcome(ok=False, retryable=exc.retryable, error=f"{exc.code}: {exc.message} {exc.details}")
    return Outcome(ok=True, message_id=str(message_id)[:100])


def send(delivery: Delivery, *, now: datetime) -> Outcome:
    if delivery.target_kind == Delivery.TargetKind.WEBHOOK:
        return _send_webhook(delivery, now)
    if delivery.target_kind in {Delivery.TargetKind.WECOM, Delivery.TargetKind.DINGTALK}:
        return _send_robot(delivery, now)
    if delivery.target_kind == Delivery.TargetKind.SMS:
        return _send_sms(delivery, now)
    return Outcome(ok=False, retryable=False, error=f"unknown target kind {delivery.target_kind!r}")
