"""Signatures: ours on outgoing webhooks (and their check for receivers), DingTalk's on robot URLs.

Webhook requests carry ``X-Anxin-Timestamp`` (unix seconds) and ``X-Anxin-Signature:
sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`` over the exact bytes of the body. A
receiver calls :func:`verify_signature` with the raw body, before parsing it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import datetime

from backend.notifications.errors import SignatureExpired, SignatureInvalid

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300
_MAX_TIMESTAMP_DIGITS = 12

HEADER_TIMESTAMP = "X-Anxin-Timestamp"
HEADER_SIGNATURE = "X-Anxin-Signature"
HEADER_DELIVERY = "X-Anxin-Delivery"
HEADER_EVENT = "X-Anxin-Event"


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def webhook_signature(*, secret: str, timestamp: int | str, body: bytes | str) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 keyed with ``secret`` over ``b"<timestamp>." + body``."""
    message = f"{timestamp}.".encode("ascii") + _as_bytes(body)
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def webhook_headers(*, secret: str, body: bytes, delivery_id: str, event_type: str, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: webhook_signature(secret=secret, timestamp=timestamp, body=body),
        HEADER_DELIVERY: delivery_id,
        HEADER_EVENT: event_type,
    }


def verify_signature(*, secret: str, timestamp: str | None, body: bytes | str, signature: str | None,
                     now: datetime, tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> None:
    """Checks a received webhook; returns nothing when it is genuine and fresh.

    Raises ``SignatureInvalid`` when a header is missing or malformed or the signature does not
    match the body, and ``SignatureExpired`` when it matches but the timestamp is more than
    ``tolerance_seconds`` away from ``now`` (a replayed request). Deduplicate on ``X-Anxin-Delivery``:
    a retried delivery is signed again with a new timestamp and keeps its id.
    """
    stamp = (timestamp or "").strip()
    if not stamp.isdigit() or len(stamp) > _MAX_TIMESTAMP_DIGITS or not stamp.isascii():
        raise SignatureInvalid(details={"reason": "timestamp missing or malformed"})
    if not signature or not signature.startswith(SIGNATURE_PREFIX):
        raise SignatureInvalid(details={"reason": "signature missing or malformed"})
    expected = webhook_signature(secret=secret, timestamp=stamp, body=body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8", "replace")):
        raise SignatureInvalid(details={"reason": "signature does not match"})
    skew_seconds = abs(now.timestamp() - int(stamp))
    if skew_seconds > tolerance_seconds:
        raise SignatureExpired(details={"skew_seconds": int(skew_seconds), "tolerance_seconds": tolerance_seconds})


def dingtalk_signed_url(*, url: str, secret: str, now: datetime) -> str:
    """DingTalk's signed mode: ``&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(secret, ts + "\\n" + secret)>``."""
    timestamp = str(int(now.timestamp() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"
