"""The demo batch that ``./run`` loads: units from the CRM's ready list, slots, an inspection with defects
as orders, a unit handed over; loading it twice adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from backend.accounts.models import User
from backend.handover.models import Batch, Defect, Item, ItemStatus
from tests.authz.framework import database_snapshot

pytestmark = pytest.mark.django_db


def test_the_demo_batch_shows_on_the_handover_pages_and_loads_once():
    call_command("seed_demo", verbosity=0)
    call_command("seed_crm_demo", verbosity=0)
    call_command("seed_handover_demo", verbosity=0)
    batch = Batch.objects.get(name="演示交付批次")
    statuses = set(Item.objects.filter(batch=batch).values_list("status", flat=True))
    assert {ItemStatus.INSPECTING, ItemStatus.COMPLETED} <= statuses
    assert Defect.objects.filter(inspection__item__batch=batch).count() == 3
    before = database_snapshot()
    call_command("seed_handover_demo", verbosity=0)
    assert database_snapshot() == before
    client = Client()
    client.force_login(User.objects.get(username="handover"))
    assert client.get("/").get("Location") == "/handover/"
    assert "演示交付批次" in client.get("/handover/").content.decode()
    assert client.get(f"/handover/batches/{batch.id}").status_code == 200
