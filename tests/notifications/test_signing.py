from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.notifications.errors import SignatureExpired, SignatureInvalid
from backend.notifications.signing import (
    dingtalk_signed_url,
    verify_signature,
    webhook_headers,
    webhook_signature,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SECRET = "whsec-3q2+7w"
BODY = '{"type":"order.changed","data":{"number":"WO-20261125-0001","summary":"卫生间渗水"}}'.encode()


def signed(body: bytes = BODY, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    return webhook_headers(secret=secret, body=body, delivery_id="d-1", event_type="order.changed", now=at)


def test_the_signature_is_hex_hmac_sha256_of_timestamp_dot_body():
    headers = signed()
    expected = hmac.new(SECRET.encode(), f"{int(NOW.timestamp())}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert headers["X-Anxin-Timestamp"] == str(int(NOW.timestamp()))
    assert headers["X-Anxin-Signature"] == f"sha256={expected}"
    assert headers["X-Anxin-Delivery"] == "d-1" and headers["X-Anxin-Event"] == "order.changed"


@given(secret=st.text(min_size=1, max_size=64), body=st.binary(max_size=2048),
       sent_at=st.integers(min_value=1_500_000_000, max_value=4_000_000_000),
       delay=st.integers(min_value=-300, max_value=300))
def test_any_body_signed_with_a_secret_verifies_with_it_within_the_tolerance(secret, body, sent_at, delay):
    at = datetime.fromtimestamp(sent_at, tz=UTC)
    headers = signed(body=body, at=at, secret=secret)
    verify_signature(secret=secret, timestamp=headers["X-Anxin-Timestamp"], body=body,
                     signature=headers["X-Anxin-Signature"], now=at + timedelta(seconds=delay))


@given(body=st.binary(min_size=1, max_size=512), flip=st.integers(min_value=0))
def test_changing_any_byte_of_the_body_breaks_the_signature(body, flip):
    headers = signed(body=body)
    position = flip % len(body)
    tampered = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1:]
    with pytest.raises(SignatureInvalid) as caught:
        verify_signature(secret=SECRET, timestamp=headers["X-Anxin-Timestamp"], body=tampered,
                         signature=headers["X-Anxin-Signature"], now=NOW)
    assert caught.value.code == "signature_invalid"


def test_a_signature_made_with_another_secret_is_rejected():
    headers = signed(secret="someone-else")
    with pytest.raises(SignatureInvalid):
        verify_signature(secret=SECRET, timestamp=headers["X-Anxin-Timestamp"], body=BODY,
                         signature=headers["X-Anxin-Signature"], now=NOW)


def test_a_genuine_request_replayed_after_the_tolerance_is_rejected_as_expired():
    headers = signed()
    with pytest.raises(SignatureExpired) as caught:
        verify_signature(secret=SECRET, timestamp=headers["X-Anxin-Timestamp"], body=BODY,
                         signature=headers["X-Anxin-Signature"], now=NOW + timedelta(seconds=301))
    assert caught.value.code == "signature_expired" and caught.value.status == 401
    assert caught.value.details == {"skew_seconds": 301, "tolerance_seconds": 300}


def test_a_timestamp_from_the_future_beyond_the_tolerance_is_rejected():
    headers = signed(at=NOW + timedelta(minutes=10))
    with pytest.raises(SignatureExpired):
        verify_signature(secret=SECRET, timestamp=headers["X-Anxin-Timestamp"], body=BODY,
                         signature=headers["X-Anxin-Signature"], now=NOW)


def test_moving_the_timestamp_forward_to_replay_breaks_the_signature():
    headers = signed()
    with pytest.raises(SignatureInvalid) as caught:
        verify_signature(secret=SECRET, timestamp=str(int(NOW.timestamp()) + 600), body=BODY,
                         signature=headers["X-Anxin-Signature"], now=NOW + timedelta(seconds=600))
    assert caught.value.code == "signature_invalid"


@pytest.mark.parametrize(("timestamp", "signature"), [
    (None, "sha256=00"), ("", "sha256=00"), ("-5", "sha256=00"), ("1e9", "sha256=00"), ("١٢٣", "sha256=00"),
    ("1764036000", None), ("1764036000", ""), ("1764036000", "md5=abc"), ("1764036000", "sha256=签名"),
])
def test_missing_or_malformed_headers_are_rejected(timestamp, signature):
    with pytest.raises(SignatureInvalid):
        verify_signature(secret=SECRET, timestamp=timestamp, body=BODY, signature=signature, now=NOW)


def test_a_text_body_is_signed_as_its_utf8_bytes():
    text = '{"summary":"卫生间渗水"}'
    assert webhook_signature(secret=SECRET, timestamp=1, body=text) == webhook_signature(
        secret=SECRET, timestamp=1, body=text.encode("utf-8"))


def test_dingtalk_signed_url_follows_the_vendor_recipe():
    secret = "SEC0123456789abcdef"
    url = dingtalk_signed_url(url="https://oapi.dingtalk.com/robot/send?access_token=abc", secret=secret, now=NOW)
    query = parse_qs(urlsplit(url).query)
    timestamp = str(int(NOW.timestamp() * 1000))  # milliseconds
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert query == {"access_token": ["abc"], "timestamp": [timestamp], "sign": [base64.b64encode(digest).decode()]}
    assert "+" not in url.split("sign=")[1] and "/" not in url.split("sign=")[1]  # base64 is URL-encoded


def test_dingtalk_signed_url_without_a_query_starts_one():
    url = dingtalk_signed_url(url="http://127.0.0.1:9/robot/send", secret="SECx", now=NOW)
    assert url.startswith("http://127.0.0.1:9/robot/send?timestamp=")
