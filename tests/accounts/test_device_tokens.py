from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts import services
from backend.accounts.models import DeviceToken
from backend.accounts.roles import Role
from tests.factories import DEFAULT_PASSWORD, user_with_roles

pytestmark = pytest.mark.django_db


def issue(client: Client, username: str, device: str = "王师傅的手机", password: str = DEFAULT_PASSWORD):
    return client.post("/api/v1/auth/tokens", data=json.dumps({"username": username, "password": password,
                                                                "device_name": device}),
                       content_type="application/json")


def test_technician_gets_a_token_shown_once_and_stored_only_hashed():
    tech = user_with_roles(Role.TECHNICIAN)
    response = issue(Client(), tech.username)
    assert response.status_code == 201
    raw = response.json()["token"]
    stored = DeviceToken.objects.get(user=tech)
    assert raw.startswith("ax_") and len(raw) > 40
    assert stored.token_hash == services.hash_token(raw) and raw not in stored.token_hash
    listed = Client().get("/api/v1/auth/tokens", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert listed[0]["name"] == "王师傅的手机" and "token" not in listed[0]


def test_a_second_token_for_the_same_device_revokes_the_first():
    tech = user_with_roles(Role.TECHNICIAN)
    first = issue(Client(), tech.username).json()["token"]
    second = issue(Client(), tech.username).json()["token"]
    assert Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 401
    assert Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
    assert DeviceToken.objects.filter(user=tech, revoked_at__isnull=True).count() == 1


def test_tokens_of_different_devices_live_side_by_side():
    tech = user_with_roles(Role.TECHNICIAN)
    a = issue(Client(), tech.username, device="phone").json()["token"]
    b = issue(Client(), tech.username, device="tablet").json()["token"]
    for raw in (a, b):
        assert Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_revoked_token_stops_working_immediately():
    tech = user_with_roles(Role.TECHNICIAN)
    body = issue(Client(), tech.username).json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}
    assert Client().delete(f"/api/v1/auth/tokens/{body['id']}", **auth).json()["revoked_at"] is not None
    response = Client().get("/api/v1/auth/me", **auth)
    assert response.status_code == 401


def test_wrong_password_is_refused_and_issues_nothing():
    tech = user_with_roles(Role.TECHNICIAN)
    response = issue(Client(), tech.username, password="wrong")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert not DeviceToken.objects.exists()


def test_inactive_users_tokens_do_not_authenticate():
    tech = user_with_roles(Role.TECHNICIAN)
    raw = issue(Client(), tech.username).json()["token"]
    tech.is_active = False
    tech.save(update_fields=["is_active"])
    assert Client().get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_last_used_is_recorded_at_most_once_a_minute():
    tech = user_with_roles(Role.TECHNICIAN)
    token, raw = services.device_token_issue(user=tech, name="phone", now=timezone.now())
    t0 = timezone.now()
    services.device_token_authenticate(raw=raw, now=t0)
    services.device_token_authenticate(raw=raw, now=t0 + timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == t0
    services.device_token_authenticate(raw=raw, now=t0 + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == t0 + timedelta(seconds=61)


def test_an_administrator_may_revoke_anyones_token_but_a_technician_only_their_own():
    tech = user_with_roles(Role.TECHNICIAN)
    other = user_with_roles(Role.TECHNICIAN)
    admin = user_with_roles(Role.ADMINISTRATOR)
    token, _ = services.device_token_issue(user=tech, name="phone", now=timezone.now())
    _t, other_raw = services.device_token_issue(user=other, name="phone", now=timezone.now())
    _a, admin_raw = services.device_token_issue(user=admin, name="desk", now=timezone.now())
    refused = Client().delete(f"/api/v1/auth/tokens/{token.id}", HTTP_AUTHORIZATION=f"Bearer {other_raw}")
    assert refused.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    done = Client().delete(f"/api/v1/auth/tokens/{token.id}", HTTP_AUTHORIZATION=f"Bearer {admin_raw}")
    assert done.status_code == 200
