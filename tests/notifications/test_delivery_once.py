"""A delivery is written with one INSERT ... ON CONFLICT DO NOTHING: the unique constraint on
(target, idempotency key) decides which caller creates it, also when callers race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from backend.notifications import services, tasks
from backend.notifications.errors import InvalidNotification
from backend.notifications.models import Delivery, RobotChannel
from backend.notifications.services import Announcement
from tests.notifications.factories import RobotChannelFactory, WebhookEndpointFactory

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PAYLOAD = {"order_id": "5f0c4b1e-0000-4000-8000-000000000001", "number": "WO-20261125-0001", "state": "assigned"}


@pytest.fixture
def queued(monkeypatch):
    """Records what would go on the broker instead of sending it (from any thread)."""
    ids: list[str] = []
    lock = threading.Lock()

    def record(delivery_id: str) -> None:
        with lock:
            ids.append(delivery_id)

    monkeypatch.setattr(tasks.deliver, "delay", record)
    return ids


def publish(key: str = "order.changed:1:3"):
    return services.notification_publish(event_type="order.changed", payload=PAYLOAD, idempotency_key=key, now=NOW)


def sms(key: str = "owner:1:event:7"):
    return services.sms_send(phone="13800138000", template="order_accepted", idempotency_key=key, now=NOW,
                             params={"number": "WO-1", "url": "https://example.test/o/1"})


def race(callers: int, call) -> tuple[list, list[BaseException]]:
    """Runs ``call`` in ``callers`` threads started together, each in its own transaction."""
    results: list = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(callers)

    def worker() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(call())
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")


@pytest.mark.django_db(transaction=True)
def test_concurrent_publications_of_one_event_create_one_delivery_per_target_and_queue_each_once(queued):
    needs_postgresql()
    hook = WebhookEndpointFactory()
    robot = RobotChannelFactory(kind=RobotChannel.Kind.DINGTALK)

    results, errors = race(8, publish)

    assert not errors
    assert Delivery.objects.count() == 2
    stored = {(d.target_kind, d.target_id): d.id for d in Delivery.objects.all()}
    assert set(stored) == {("webhook", str(hook.pk)), ("dingtalk", str(robot.pk))}
    # Every caller got the one delivery of each target, and it went on the queue once, after its commit.
    assert all(sorted(r.id for r in rows) == sorted(stored.values()) for rows in results) and len(results) == 8
    assert sorted(queued) == sorted(str(i) for i in stored.values())


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_of_one_text_message_store_and_queue_it_once(queued):
    needs_postgresql()

    results, errors = race(8, sms)

    assert not errors
    [row] = Delivery.objects.all()
    assert {r.id for r in results} == {row.id} and len(results) == 8
    assert queued == [str(row.id)]


@pytest.mark.django_db(transaction=True)
def test_a_caller_waiting_on_a_key_that_the_first_caller_rolls_back_creates_the_delivery_itself(queued):
    needs_postgresql()
    WebhookEndpointFactory()
    first_inserted, first_may_end = threading.Event(), threading.Event()
    second: list = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                publish()
                first_inserted.set()
                first_may_end.wait()
                raise RuntimeError("the change that published is rolled back")
        except RuntimeError:
            pass
        finally:
            connections.close_all()

    def then_second() -> None:
        try:
            first_inserted.wait()
            with transaction.atomic():
                # Waits on the first caller's uncommitted row, whichever way it ends.
                second.extend(publish())
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=then_second)]
    for thread in threads:
        thread.start()
    first_inserted.wait()
    first_may_end.set()
    for thread in threads:
        thread.join()

    assert not errors
    [row] = Delivery.objects.all()
    assert [r.id for r in second] == [row.id]
    assert queued == [str(row.id)]  # the rolled-back one was never queued


@pytest.mark.django_db
def test_a_new_text_message_is_one_statement_and_a_repeated_one_two(django_assert_num_queries):
    with django_assert_num_queries(1):
        first = sms()
    with django_assert_num_queries(2):  # the insert that does nothing, and the existing row read
        again = sms()
    assert again.id == first.id and Delivery.objects.count() == 1
    assert not any("SAVEPOINT" in q["sql"] for q in connection.queries)


@pytest.mark.django_db
def test_several_events_are_published_with_one_read_of_the_targets_and_one_insert(
        django_assert_num_queries, django_capture_on_commit_callbacks, queued):
    hooks = [WebhookEndpointFactory(name="a", event_types=["*"]), WebhookEndpointFactory(name="b")]
    robot = RobotChannelFactory(name="a", event_types=["order.changed", "sla.alert"])
    RobotChannelFactory(event_types=["order.changed"], active=False)
    announcements = [Announcement(event_type="order.changed", payload={**PAYLOAD, "seq": seq},
                                  idempotency_key=f"order.changed:1:{seq}") for seq in (3, 4)]
    announcements.append(Announcement(event_type="sla.alert", payload={"level": "breach"}, idempotency_key="sla.alert:9"))

    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(2):
        rows = services.notification_publish_many(announcements=announcements, now=NOW)

    # In the order of the announcements, each one's endpoints by name, then its robots.
    hook_a, hook_b = (("webhook", str(h.pk)) for h in hooks)
    robot_a = ("wecom", str(robot.pk))
    assert [(r.idempotency_key, (r.target_kind, r.target_id)) for r in rows] == [
        ("order.changed:1:3", hook_a), ("order.changed:1:3", hook_b), ("order.changed:1:3", robot_a),
        ("order.changed:1:4", hook_a), ("order.changed:1:4", hook_b), ("order.changed:1:4", robot_a),
        ("sla.alert:9", hook_a), ("sla.alert:9", robot_a)]
    assert Delivery.objects.count() == 8 and sorted(queued) == sorted(str(r.id) for r in rows)
    assert Delivery.objects.get(idempotency_key="sla.alert:9", target_kind="wecom").payload == {"level": "breach"}

    # Again, with one new event: only its deliveries are created and queued.
    announcements.append(Announcement(event_type="sla.alert", payload={}, idempotency_key="sla.alert:10"))
    with django_capture_on_commit_callbacks(execute=True):
        again = services.notification_publish_many(announcements=announcements, now=NOW)
    assert [r.id for r in again[:8]] == [r.id for r in rows]
    assert Delivery.objects.count() == 10 and len(queued) == 10


@pytest.mark.django_db
def test_one_invalid_announcement_stores_none_of_them():
    WebhookEndpointFactory(event_types=["*"])
    with pytest.raises(InvalidNotification):
        services.notification_publish_many(now=NOW, announcements=[
            Announcement(event_type="order.changed", payload=PAYLOAD, idempotency_key="k1"),
            Announcement(event_type="order changed", payload=PAYLOAD, idempotency_key="k2")])
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
def test_a_target_that_is_switched_off_or_unsubscribed_gets_nothing_from_the_next_publication():
    hook = WebhookEndpointFactory()
    robot = RobotChannelFactory()
    assert len(publish(key="k1")) == 2
    hook.active = False
    hook.save()
    robot.event_types = ["sla.alert"]
    robot.save()
    assert publish(key="k2") == []
    hook.active = True
    hook.save()
    assert [(r.target_kind, r.target_id) for r in publish(key="k3")] == [("webhook", str(hook.pk))]
