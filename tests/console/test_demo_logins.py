"""The demo logins land on a console start page from which each office role can do its job."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from backend.accounts.models import User

pytestmark = pytest.mark.django_db

PAGES = {
    "cs": ["/console/queue", "/console/intake"],
    "dispatcher": ["/console/queue", "/console/intake", "/console/board"],
    "manager": ["/console/queue", "/console/board", "/console/approvals"],
    "director": ["/console/queue", "/console/board", "/console/approvals"],
    "finance": ["/console/queue", "/console/approvals"],
}


def test_each_demo_office_role_lands_on_its_start_page_and_opens_its_pages():
    call_command("seed_demo", verbosity=0)
    for username, pages in PAGES.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        assert client.get("/")["Location"] == "/console/", username
        start = client.get("/console/")
        assert start.status_code == 200, username
        for page in pages:
            assert f'href="{page}"'.encode() in start.content, (username, page)
            response = client.get(page)
            assert response.status_code == 200, (username, page, response.content[:300])
    queue = Client()
    queue.force_login(User.objects.get(username="dispatcher"))
    assert b'data-row' in queue.get("/console/queue").content  # the demo's open orders are in the queue
    tech = Client()
    tech.force_login(User.objects.get(username="tech1"))
    assert tech.get("/console/queue").status_code == 403
