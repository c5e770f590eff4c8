from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from backend.notifications import services, tasks
from backend.notifications.models import Delivery, WebhookEndpoint
from tests.factories import UserFactory
from tests.notifications.factories import WebhookEndpointFactory

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def admin_client() -> Client:
    user = UserFactory()
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_a_new_endpoint_gets_a_generated_secret_that_is_shown_once():
    client = admin_client()
    response = client.post(reverse("admin:notifications_webhookendpoint_add"), {
        "name": "万科物业 ERP", "url": "https://erp.example.cn/anxin/hooks",
        "event_types": '["order.changed", "sla.alert"]', "active": "on",
    }, follow=True)
    endpoint = WebhookEndpoint.objects.get()
    assert len(endpoint.secret) >= 40 and endpoint.event_types == ["order.changed", "sla.alert"]
    assert endpoint.secret in response.content.decode()
    page = client.get(reverse("admin:notifications_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in page and f"{endpoint.secret[:4]}…" in page


def test_event_types_must_be_a_list_of_names():
    response = admin_client().post(reverse("admin:notifications_webhookendpoint_add"), {
        "name": "ERP", "url": "https://erp.example.cn/hooks", "event_types": '"order.changed"', "active": "on"})
    assert response.status_code == 200 and "event_types" in response.context["adminform"].form.errors
    assert WebhookEndpoint.objects.count() == 0


def test_rotating_the_secret_replaces_it_and_shows_the_new_one_once():
    endpoint = WebhookEndpointFactory()
    old = endpoint.secret
    response = admin_client().post(reverse("admin:notifications_webhookendpoint_changelist"), {
        "action": "rotate_secret", "_selected_action": [endpoint.pk]}, follow=True)
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in response.content.decode()


def test_deliveries_cannot_be_added_by_hand_and_the_log_masks_phones():
    services.sms_send(phone="13800138000", template="order_completed", params={"number": "WO-1"},
                      idempotency_key="k", now=NOW)
    client = admin_client()
    assert client.get(reverse("admin:notifications_delivery_add")).status_code == 403
    page = client.get(reverse("admin:notifications_delivery_changelist")).content.decode()
    assert "138****8000" in page and "13800138000" not in page
    assert Delivery.objects.count() == 1


def test_send_again_requeues_a_given_up_delivery(django_capture_on_commit_callbacks, monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    WebhookEndpointFactory()
    [row] = services.notification_publish(event_type="order.changed", payload={}, idempotency_key="k", now=NOW)
    Delivery.objects.filter(id=row.id).update(status="dead", attempts=6, next_attempt_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client().post(reverse("admin:notifications_delivery_changelist"),
                            {"action": "redrive", "_selected_action": [str(row.id)]})
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
    assert queued == [str(row.id)]
