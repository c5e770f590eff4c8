"""A technician who signs in to the staff site is pointed at the app."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.accounts.roles import Role
from tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


def _home(*roles: str) -> str:
    client = Client()
    client.force_login(user_with_roles(*roles))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content.decode()


def test_a_technicians_start_page_links_to_the_app():
    assert 'href="/tech/"' in _home(Role.TECHNICIAN)
    assert "打开工程师应用" in _home(Role.TECHNICIAN)


def test_other_staff_are_not_sent_to_the_app():
    client = Client()
    client.force_login(user_with_roles(Role.SALES))
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)  # a consultant lands in the CRM
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/crm/"
    assert 'href="/tech/"' not in response.content.decode()
