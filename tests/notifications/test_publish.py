from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction

from backend.notifications import services, tasks
from backend.notifications.errors import InvalidNotification
from backend.notifications.models import Delivery, RobotChannel
from tests.notifications.factories import RobotChannelFactory, WebhookEndpointFactory

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PAYLOAD = {"order_id": "5f0c4b1e-0000-4000-8000-000000000001", "number": "WO-20261125-0001", "state": "assigned"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """Records what would go on the broker instead of sending it."""
    ids: list[str] = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda delivery_id: ids.append(delivery_id))
    return ids


def publish(key: str = "order.changed:1:3", event_type: str = "order.changed", payload=PAYLOAD):
    return services.notification_publish(event_type=event_type, payload=payload, idempotency_key=key, now=NOW)


def test_publishing_creates_a_pending_delivery_for_each_active_subscribed_target():
    hook = WebhookEndpointFactory(event_types=["order.changed", "sla.alert"])
    wildcard = WebhookEndpointFactory(event_types=["*"])
    robot = RobotChannelFactory(kind=RobotChannel.Kind.DINGTALK, event_types=["order.changed"])
    WebhookEndpointFactory(event_types=["order.changed"], active=False)
    WebhookEndpointFactory(event_types=["sla.alert"])
    RobotChannelFactory(event_types=[])

    rows = publish()

    assert {(r.target_kind, r.target_id) for r in rows} == {
        ("webhook", str(hook.pk)), ("webhook", str(wildcard.pk)), ("dingtalk", str(robot.pk))}
    assert all(r.status == "pending" and r.attempts == 0 and r.next_attempt_at == NOW for r in rows)
    assert all(r.payload == PAYLOAD and r.event_type == "order.changed" for r in rows)
    assert Delivery.objects.count() == 3


def test_publishing_the_same_event_twice_creates_one_delivery_per_target_and_queues_it_once(
        django_capture_on_commit_callbacks, queued):
    WebhookEndpointFactory()
    RobotChannelFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = publish()
    with django_capture_on_commit_callbacks(execute=True):
        again = publish(payload={**PAYLOAD, "state": "en_route"})

    assert sorted(r.id for r in first) == sorted(r.id for r in again)
    assert Delivery.objects.count() == 2
    assert sorted(queued) == sorted(str(r.id) for r in first)
    assert all(r.payload == PAYLOAD for r in Delivery.objects.all())  # the first publication wins


def test_another_idempotency_key_is_another_delivery():
    WebhookEndpointFactory()
    publish(key="order.changed:1:3")
    publish(key="order.changed:1:4")
    assert Delivery.objects.count() == 2


def test_deliveries_are_queued_only_when_the_transaction_commits(django_capture_on_commit_callbacks, queued):
    WebhookEndpointFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            rows = publish()
            assert queued == []  # still inside the transaction
    assert len(callbacks) == 1
    assert queued == [str(rows[0].id)]


def test_a_rolled_back_publication_leaves_no_delivery_and_queues_nothing(django_capture_on_commit_callbacks, queued):
    WebhookEndpointFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            publish()
            raise RuntimeError("the work-order change failed")
    assert Delivery.objects.count() == 0
    assert queued == []


def test_a_broker_outage_after_commit_is_logged_and_does_not_fail_the_caller(
        django_capture_on_commit_callbacks, monkeypatch, caplog):
    WebhookEndpointFactory()

    def broker_down(delivery_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        rows = publish()
    assert "broker unreachable" in caplog.text
    # The row stays queued_at NOW; the beat queues it again once REQUEUE_AFTER_SECONDS have passed.
    assert Delivery.objects.get(id=rows[0].id).queued_at == NOW


def test_uuid_and_datetime_values_in_a_payload_are_stored_as_text():
    WebhookEndpointFactory()
    order_id = uuid.uuid4()
    [row] = publish(payload={"order_id": order_id, "at": NOW})
    assert Delivery.objects.get(id=row.id).payload == {"order_id": str(order_id), "at": "2026-11-25T02:00:00Z"}


@pytest.mark.parametrize(("event_type", "key", "payload"), [
    ("", "k", {}), ("x" * 65, "k", {}), ("工单.changed", "k", {}), ("order changed", "k", {}), ("order.changed", "", {}), ("order.changed", "k" * 201, {}),
    ("order.changed", "k", {"blob": object()}), ("order.changed", "k", ["not", "an", "object"]),
])
def test_an_invalid_publication_is_refused_and_nothing_is_stored(event_type, key, payload):
    WebhookEndpointFactory(event_types=["*"])
    with pytest.raises(InvalidNotification):
        publish(key=key, event_type=event_type, payload=payload)
    assert Delivery.objects.count() == 0


def test_without_subscribers_publishing_stores_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert publish() == []
    assert callbacks == []
    assert Delivery.objects.count() == 0
