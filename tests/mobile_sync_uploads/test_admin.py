from __future__ import annotations

import pytest
from django.test import Client

from backend.accounts.roles import Role
from tests.factories import DEFAULT_PASSWORD, user_with_roles
from tests.mobile_sync_uploads.phone import random_jpeg


@pytest.mark.django_db
def test_support_staff_can_look_up_a_stuck_upload_in_the_admin(sides, phone):
    a, _b = sides
    body = phone.create(a.order.id, random_jpeg(40)).json()
    superuser = user_with_roles(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client = Client()
    assert client.login(username=superuser.username, password=DEFAULT_PASSWORD)
    listing = client.get("/admin/mobile_sync_uploads/uploadsession/", {"q": a.order.number})
    assert listing.status_code == 200
    assert a.order.number in listing.content.decode()
    assert client.get(f"/admin/mobile_sync_uploads/uploadsession/{body['id']}/change/").status_code == 200
