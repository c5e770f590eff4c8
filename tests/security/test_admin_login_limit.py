"""/admin/login/ is limited like /accounts/login/: a password guesser is stopped before the right guess."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_thirty_wrong_admin_passwords_then_the_right_one_is_refused():
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(30):
        client.post("/admin/login/", {"username": "admin", "password": "wrong", "next": "/admin/"})
    response = client.post("/admin/login/", {"username": "admin", "password": DEFAULT_PASSWORD, "next": "/admin/"})
    assert response.status_code == 200  # the form again, not the redirect into the admin
    assert "_auth_user_id" not in client.session
    assert "rate_limited" in {error.code for error in response.context["form"].non_field_errors().as_data()}
    assert admin.last_login is None


def test_the_admin_still_signs_in_when_not_limited():
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    client = Client()
    response = client.post("/admin/login/", {"username": "admin", "password": DEFAULT_PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and client.session["_auth_user_id"]
