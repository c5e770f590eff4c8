"""WeCom and DingTalk group robots against a local HTTP server that answers like the vendors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from backend.notifications import robots, services
from backend.notifications.models import Delivery, RobotChannel
from tests.notifications.factories import RobotChannelFactory
from tests.notifications.receiver import Answer

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
OK = Answer(body=b'{"errcode":0,"errmsg":"ok"}')
PAYLOAD = {"number": "WO-20261125-0001", "state": "assigned", "summary": "卫生间天花板渗水",
           "at": "2026-11-25T02:00:00+00:00"}

pytestmark = pytest.mark.django_db


def publish(robot: RobotChannel, payload=PAYLOAD) -> Delivery:
    [row] = services.notification_publish(event_type="order.changed", payload=payload,
                                          idempotency_key=f"order.changed:{robot.pk}", now=NOW)
    return row


def test_a_wecom_robot_receives_a_markdown_message(receiver, settings):
    settings.LANGUAGE_CODE = "en"
    receiver.default = OK
    robot = RobotChannelFactory(kind="wecom", webhook_url=f"{receiver.url}/cgi-bin/webhook/send?key=k1")
    row = publish(robot)

    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "sent"

    [request] = receiver.requests
    assert request.path == "/cgi-bin/webhook/send?key=k1"
    message = json.loads(request.body)
    assert message["msgtype"] == "markdown" and list(message["markdown"]) == ["content"]
    assert message["markdown"]["content"] == (
        "### Work order WO-20261125-0001 updated\n"
        "> **Summary**: 卫生间天花板渗水\n"
        "> **State**: assigned\n"
        "> **Time**: 2026-11-25 10:00"  # shown in Asia/Shanghai
    )
    assert "X-Anxin-Signature" not in request.headers


def test_a_dingtalk_robot_with_a_secret_is_called_on_the_signed_url(receiver):
    receiver.default = OK
    secret = "SEC5f2a0d9c"
    robot = RobotChannelFactory(kind="dingtalk", secret=secret,
                                webhook_url=f"{receiver.url}/robot/send?access_token=t1")
    row = publish(robot)

    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "sent"

    [request] = receiver.requests
    query = request.query
    timestamp = query["timestamp"][0]
    assert query["access_token"] == ["t1"] and timestamp == str(int(NOW.timestamp() * 1000))
    expected = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(expected).decode()]
    message = json.loads(request.body)
    assert message["msgtype"] == "markdown" and set(message["markdown"]) == {"title", "text"}
    assert "WO-20261125-0001" in message["markdown"]["title"]
    assert message["markdown"]["text"].count("\n\n") == 3  # DingTalk needs blank lines between lines


def test_a_dingtalk_robot_without_a_secret_is_called_on_its_plain_url(receiver):
    receiver.default = OK
    robot = RobotChannelFactory(kind="dingtalk", webhook_url=f"{receiver.url}/robot/send?access_token=t2")
    services.delivery_attempt(delivery_id=publish(robot).id, now=NOW)
    assert receiver.requests[0].path == "/robot/send?access_token=t2"


@pytest.mark.parametrize(("kind", "answer", "error"), [
    ("wecom", b'{"errcode":45009,"errmsg":"api freq out of limit"}', "errcode 45009: api freq out of limit"),
    ("dingtalk", b'{"errcode":310000,"errmsg":"sign not match"}', "errcode 310000: sign not match"),
    ("dingtalk", b"<html>gateway</html>", "unexpected robot answer"),
    ("wecom", b'{"ok":true}', "unexpected robot answer"),
])
def test_a_robot_refusal_answered_with_http_200_is_a_failed_attempt(receiver, kind, answer, error):
    receiver.default = Answer(body=answer)
    robot = RobotChannelFactory(kind=kind, webhook_url=f"{receiver.url}/send")
    row = publish(robot)

    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "failed"

    row = Delivery.objects.get(id=row.id)
    assert row.last_status_code == 200 and error in row.last_error
    assert row.next_attempt_at == NOW + timedelta(seconds=30) and row.sent_at is None


def test_a_robot_message_is_written_in_chinese_by_default(chinese_catalog):
    title, text = robots.robot_markdown(event_type="sla.alert",
                                        payload={"number": "WO-1", "target": "arrival", "level": "breach"})
    assert title == "工单 WO-1 时效预警"
    assert text == "### 工单 WO-1 时效预警\n> **时效目标**: arrival\n> **预警级别**: breach"


def test_an_event_without_a_title_still_gets_one_and_links_are_kept():
    with translation.override("en"):
        title, text = robots.robot_markdown(event_type="visit.booked",
                                            payload={"url": "https://anxin.example/o/1"})
    assert title.endswith("visit.booked")
    assert text.endswith("(https://anxin.example/o/1)")


def test_a_long_message_is_cut_to_the_wecom_size_limit():
    body = robots.robot_body(kind="wecom", event_type="order.changed", payload={"number": "WO-1", "summary": "漏" * 5000})
    content = json.loads(body)["markdown"]["content"]
    assert len(content.encode("utf-8")) <= robots.MAX_CONTENT_BYTES and content.endswith("…")


def test_a_wecom_robot_cannot_be_given_a_signing_secret():
    robot = RobotChannel(kind="wecom", name="群", webhook_url="https://qyapi.weixin.qq.com/x", secret="SECx",
                         event_types=["order.changed"])
    with pytest.raises(ValidationError):
        robot.full_clean()
