from __future__ import annotations

import pytest
from django.test import Client

from backend.accounts import access, services
from backend.accounts.models import UserRole
from backend.accounts.roles import Role
from backend.core.errors import NotAuthenticated, PermissionDenied
from tests.factories import DEFAULT_PASSWORD, TechnicianProfileFactory, user_with_roles

pytestmark = pytest.mark.django_db


def test_a_user_may_hold_several_roles():
    user = user_with_roles(Role.DISPATCHER, Role.CUSTOMER_SERVICE)
    assert access.has_role(user, Role.DISPATCHER)
    assert access.has_role(user, Role.CUSTOMER_SERVICE)
    assert not access.has_role(user, Role.FINANCE)


def test_setting_roles_replaces_them():
    user = user_with_roles(Role.DISPATCHER)
    services.user_set_roles(user=user, roles=[Role.FINANCE])
    assert set(UserRole.objects.filter(user=user).values_list("role", flat=True)) == {"finance"}
    assert access.user_roles(user) == {"finance"}


def test_ensure_role_distinguishes_anonymous_from_forbidden():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAuthenticated):
        access.ensure_role(AnonymousUser(), [Role.DISPATCHER])
    with pytest.raises(PermissionDenied):
        access.ensure_role(user_with_roles(Role.TECHNICIAN), [Role.DISPATCHER])
    access.ensure_role(user_with_roles(Role.ADMINISTRATOR), [Role.ADMINISTRATOR])


def test_an_inactive_user_has_no_roles():
    user = user_with_roles(Role.ADMINISTRATOR)
    user.is_active = False
    assert access.user_roles(user) == frozenset()


def test_technician_skills_are_validated():
    profile = TechnicianProfileFactory()
    services.technician_profile_upsert(user=profile.user, skills={"plumbing": 5, "electrical": 1})
    for bad in ({"plumbing": 6}, {"plumbing": 0}, {"plumbing": "high"}, {"": 3}, {"plumbing": True}):
        with pytest.raises(Exception) as caught:
            services.technician_profile_upsert(user=profile.user, skills=bad)
        assert getattr(caught.value, "code", None) == "invalid_skills"
    profile.refresh_from_db()
    assert profile.skills == {"plumbing": 5, "electrical": 1}


def test_staff_sign_in_page_is_chinese_and_signs_in():
    user = user_with_roles(Role.DISPATCHER, display_name="李调度")
    client = Client()
    page = client.get("/accounts/login/")
    assert "员工登录" in page.content.decode()
    response = client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    home = client.get("/", follow=True)  # office staff are sent on to their console start page
    assert home.redirect_chain[-1][0] == "/console/"
    assert "调度员" in home.content.decode() and "李调度" in home.content.decode()


def test_staff_sign_in_is_rate_limited():
    user = user_with_roles(Role.DISPATCHER)
    client = Client()
    for _ in range(10):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    blocked = client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert blocked.status_code == 200
    assert "登录尝试过于频繁" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_successful_sign_ins_from_one_office_address_are_not_limited():
    # An office behind one NAT: everyone signs in at 9 a.m. from the same address.
    users = [user_with_roles(Role.CUSTOMER_SERVICE) for _ in range(15)]
    for user in users:
        client = Client(REMOTE_ADDR="203.0.113.9")
        response = client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, user.username
        assert client.session["_auth_user_id"] == str(user.pk)


def test_only_failed_sign_ins_count_towards_the_limit():
    user = user_with_roles(Role.DISPATCHER)
    client = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(9):
        assert client.post("/accounts/login/", {"username": user.username, "password": "wrong"}).status_code == 200
    for _ in range(3):  # successes in between cost nothing
        assert client.post("/accounts/login/", {"username": user.username,
                                                "password": DEFAULT_PASSWORD}).status_code == 302
        client.logout()
    assert client.post("/accounts/login/", {"username": user.username, "password": "wrong"}).status_code == 200
    blocked = client.post("/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert "登录尝试过于频繁" in blocked.content.decode() and "_auth_user_id" not in client.session


def test_device_tokens_count_failed_attempts_only():
    user = user_with_roles(Role.TECHNICIAN)
    client = Client(REMOTE_ADDR="203.0.113.11")

    def issue(password: str):
        return client.post("/api/v1/auth/tokens", {"username": user.username, "password": password,
                                                   "device_name": "phone"}, content_type="application/json")

    assert all(issue(DEFAULT_PASSWORD).status_code == 201 for _ in range(12))
    assert all(issue("wrong").status_code == 401 for _ in range(10))
    refused = issue(DEFAULT_PASSWORD)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"


def test_english_sign_in_page():
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Staff sign-in" in page.content.decode()
