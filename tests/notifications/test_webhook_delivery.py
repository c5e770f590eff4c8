"""Webhook deliveries against a real HTTP server on 127.0.0.1, attempts driven by calling the services."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections

from backend.notifications import services, tasks, transport
from backend.notifications.models import Delivery, WebhookEndpoint
from backend.notifications.signing import verify_signature
from tests.notifications.factories import WebhookEndpointFactory
from tests.notifications.receiver import Answer

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PAYLOAD = {"number": "WO-20261125-0001", "state": "assigned", "summary": "卫生间天花板渗水"}

pytestmark = pytest.mark.django_db


def published(url: str, key: str = "order.changed:1:3", **endpoint) -> tuple[Delivery, str]:
    hook = WebhookEndpointFactory(url=url, **endpoint)
    [row] = services.notification_publish(event_type="order.changed", payload=PAYLOAD, idempotency_key=key, now=NOW)
    return row, hook.secret


def reload(row: Delivery) -> Delivery:
    return Delivery.objects.get(id=row.id)


def test_a_delivery_is_posted_signed_and_recorded_as_sent(receiver):
    row, secret = published(f"{receiver.url}/anxin/hooks")

    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "sent"

    [request] = receiver.requests
    assert request.path == "/anxin/hooks"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Anxin-Delivery"] == str(row.id)
    assert request.headers["X-Anxin-Event"] == "order.changed"
    verify_signature(secret=secret, timestamp=request.headers["X-Anxin-Timestamp"], body=request.body,
                     signature=request.headers["X-Anxin-Signature"], now=NOW + timedelta(seconds=2))
    assert json.loads(request.body) == {"id": str(row.id), "type": "order.changed",
                                        "idempotency_key": "order.changed:1:3",
                                        "created_at": "2026-11-25T02:00:00+00:00", "data": PAYLOAD}
    row = reload(row)
    assert (row.status, row.attempts, row.last_status_code, row.sent_at, row.next_attempt_at) == (
        "sent", 1, 200, NOW, None)


def test_a_server_error_is_retried_after_30_seconds_and_the_retry_is_signed_afresh(receiver):
    receiver.answer(Answer(status=500, body=b"upstream exploded"))
    row, secret = published(receiver.url)

    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "failed"
    failed = reload(row)
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 1, 500)
    assert failed.next_attempt_at == NOW + timedelta(seconds=30)
    assert "upstream exploded" in failed.last_error

    early = NOW + timedelta(seconds=29)
    assert services.deliveries_due(now=early) == []
    assert services.delivery_attempt(delivery_id=row.id, now=early) == "skipped"
    assert len(receiver.requests) == 1

    later = NOW + timedelta(seconds=30)
    assert services.deliveries_due(now=later) == [row.id]
    assert services.delivery_attempt(delivery_id=row.id, now=later) == "sent"
    first, second = receiver.requests
    assert first.headers["X-Anxin-Delivery"] == second.headers["X-Anxin-Delivery"] == str(row.id)
    assert int(second.headers["X-Anxin-Timestamp"]) == int(first.headers["X-Anxin-Timestamp"]) + 30
    verify_signature(secret=secret, timestamp=second.headers["X-Anxin-Timestamp"], body=second.body,
                     signature=second.headers["X-Anxin-Signature"], now=later)
    assert (reload(row).status, reload(row).attempts, reload(row).last_error) == ("sent", 2, "")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_client_error_gives_up_at_once(receiver, status):
    receiver.answer(Answer(status=status, body=b'{"error": "no such hook"}'))
    row, _secret = published(receiver.url)
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "dead"
    row = reload(row)
    assert (row.status, row.attempts, row.last_status_code, row.next_attempt_at) == ("dead", 1, status, None)
    assert services.deliveries_due(now=NOW + timedelta(days=1)) == []


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_timeouts_rate_limits_and_server_errors_are_retried(receiver, status):
    receiver.answer(Answer(status=status))
    row, _secret = published(receiver.url)
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "failed"
    assert reload(row).last_status_code == status


def test_a_slow_server_times_out_and_is_retried(receiver, monkeypatch):
    monkeypatch.setattr(transport, "TIMEOUT_SECONDS", 0.2)
    receiver.answer(Answer(delay_seconds=1.0))
    row, _secret = published(receiver.url)
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "failed"
    row = reload(row)
    assert row.last_status_code is None and "timed out" in row.last_error


def test_a_refused_connection_is_retried():
    with socket.socket() as probe:  # a port that nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    row, _secret = published(f"http://127.0.0.1:{port}/hooks")
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "failed"
    assert "connection failed" in reload(row).last_error


def test_a_redirect_is_not_followed_and_the_delivery_is_given_up(receiver):
    receiver.answer(Answer(status=302, headers={"Location": "/elsewhere"}))
    row, _secret = published(receiver.url)
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "dead"
    assert len(receiver.requests) == 1 and reload(row).last_status_code == 302


def test_retries_wait_30s_2min_10min_30min_2h_then_the_delivery_is_dead(receiver):
    receiver.default = Answer(status=503)
    row, _secret = published(receiver.url)
    at, waits = NOW, []
    while (outcome := services.delivery_attempt(delivery_id=row.id, now=at)) == "failed":
        following = reload(row).next_attempt_at
        waits.append(following - at)
        at = following
    assert outcome == "dead"
    assert waits == [timedelta(seconds=s) for s in (30, 120, 600, 1800, 7200)]
    row = reload(row)
    assert (row.status, row.attempts, row.next_attempt_at, len(receiver.requests)) == ("dead", 6, None, 6)
    assert services.deliveries_due(now=at + timedelta(days=1)) == []


def test_the_backoff_schedule_and_its_cap():
    assert [services.retry_delay(attempts=n) for n in range(1, 7)] == [
        timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=2),
        None]


def test_two_claims_of_the_same_attempt_have_exactly_one_winner():
    row, _secret = published("http://127.0.0.1:9/hooks")
    first = services.delivery_claim(delivery_id=row.id, now=NOW)
    second = services.delivery_claim(delivery_id=row.id, now=NOW)
    assert first is not None and first.attempts == 1 and first.status == "sending"
    assert second is None
    assert reload(row).attempts == 1


def test_a_claim_whose_worker_died_is_taken_again_after_the_lease_and_the_late_result_is_ignored(receiver):
    row, _secret = published(receiver.url)
    lost = services.delivery_claim(delivery_id=row.id, now=NOW)
    assert services.delivery_claim(delivery_id=row.id, now=NOW + timedelta(seconds=299)) is None
    assert services.deliveries_due(now=NOW + timedelta(seconds=301)) == [row.id]
    assert services.delivery_attempt(delivery_id=row.id, now=NOW + timedelta(seconds=301)) == "sent"

    # The first worker wakes up and reports a failure for its attempt: the newer result stands.
    assert services._record(delivery=lost, outcome=services.senders.Outcome(ok=False, retryable=True, error="late"),
                            now=NOW + timedelta(seconds=400)) == "superseded"
    row = reload(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


def test_a_worker_lost_during_the_last_attempt_makes_the_delivery_dead():
    row, _secret = published("http://127.0.0.1:9/hooks")
    Delivery.objects.filter(id=row.id).update(status="failed", attempts=5)
    assert services.delivery_claim(delivery_id=row.id, now=NOW) is not None  # attempt 6, then the worker dies
    assert services.deliveries_due(now=NOW + timedelta(minutes=6)) == []
    row = reload(row)
    assert (row.status, row.attempts) == ("dead", 6) and "worker stopped" in row.last_error


def test_the_beat_queues_again_a_delivery_whose_message_was_lost():
    row, _secret = published("http://127.0.0.1:9/hooks")
    assert services.deliveries_due(now=NOW + timedelta(seconds=30)) == []  # queued at publication
    assert services.deliveries_due(now=NOW + timedelta(seconds=301)) == [row.id]
    assert services.deliveries_due(now=NOW + timedelta(seconds=331)) == []  # just queued again


def test_a_deactivated_endpoint_gets_nothing_and_the_delivery_is_given_up(receiver):
    row, _secret = published(receiver.url)
    WebhookEndpoint.objects.filter(pk=row.target_id).update(active=False)
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "dead"
    assert receiver.requests == [] and "deactivated" in reload(row).last_error


def test_a_new_secret_signs_the_next_attempt(receiver):
    receiver.answer(Answer(status=500))
    row, old_secret = published(receiver.url)
    services.delivery_attempt(delivery_id=row.id, now=NOW)
    new_secret = services.webhook_endpoint_rotate_secret(endpoint_id=int(row.target_id))
    services.delivery_attempt(delivery_id=row.id, now=NOW + timedelta(seconds=30))
    request = receiver.requests[-1]
    assert new_secret != old_secret
    verify_signature(secret=new_secret, timestamp=request.headers["X-Anxin-Timestamp"], body=request.body,
                     signature=request.headers["X-Anxin-Signature"], now=NOW + timedelta(seconds=30))


def test_redrive_gives_a_dead_delivery_a_new_series_of_attempts(receiver, django_capture_on_commit_callbacks,
                                                                  monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    receiver.answer(Answer(status=404))
    row, _secret = published(receiver.url)
    services.delivery_attempt(delivery_id=row.id, now=NOW)
    later = NOW + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_redrive(delivery_ids=[row.id], now=later) == 1
        assert services.delivery_redrive(delivery_ids=[row.id], now=later) == 0  # already pending
    assert queued == [str(row.id)]
    assert services.delivery_attempt(delivery_id=row.id, now=later) == "sent"
    assert (reload(row).status, reload(row).attempts) == ("sent", 1)


# The tasks read the clock themselves (as beat and the worker do): it is set just after NOW, when the
# deliveries published at NOW are due, whatever today's date is.
@time_machine.travel(NOW + timedelta(minutes=1))
def test_the_deliver_task_runs_one_attempt_and_a_second_run_is_a_no_op(receiver):
    row, _secret = published(receiver.url)
    assert tasks.deliver(str(row.id)) == "sent"
    assert tasks.deliver(str(row.id)) == "skipped"
    assert len(receiver.requests) == 1


@time_machine.travel(NOW + timedelta(minutes=1))
def test_the_beat_task_queues_each_due_delivery(monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    row, _secret = published("http://127.0.0.1:9/hooks")
    Delivery.objects.filter(id=row.id).update(queued_at=None)
    assert tasks.deliveries_due() == 1
    assert queued == [str(row.id)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_attempt_once_on_postgresql(receiver, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    monkeypatch.setattr(tasks.deliver, "delay", lambda delivery_id: None)  # autocommit: on_commit runs at once
    row, _secret = published(receiver.url)
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def work() -> None:
        try:
            barrier.wait()
            outcomes.append(services.delivery_attempt(delivery_id=row.id, now=NOW))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sent"] + ["skipped"] * (workers - 1)
    assert len(receiver.requests) == 1
    assert reload(row).attempts == 1


def test_the_beat_claims_a_batch_of_due_deliveries_with_one_update(django_assert_max_num_queries):
    WebhookEndpointFactory(url="http://127.0.0.1:9/hooks")
    rows = [row for n in range(30) for row in services.notification_publish(
        event_type="order.changed", payload=PAYLOAD, idempotency_key=f"order.changed:batch:{n}", now=NOW)]
    later = NOW + timedelta(seconds=301)
    # The dead-letter sweep, the locked read of the batch and one UPDATE for all of it (not one per row).
    with django_assert_max_num_queries(6):
        due = services.deliveries_due(now=later)
    assert sorted(due) == sorted(row.id for row in rows)
    assert set(Delivery.objects.filter(id__in=due).values_list("queued_at", flat=True)) == {later}
    assert services.deliveries_due(now=later) == []  # claimed once
