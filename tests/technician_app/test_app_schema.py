"""The app opens with no network, so it carries the sync schema (technician_app/src/schema.json): it must be the
one the server publishes, and the pull gives what the app counts down from and uploads with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from backend.workorders.models import SlaDeadline
from mobile_sync.tables import ms, schema
from tests.mobile_sync.helpers import Device
from tests.workorders.world import two_sides

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_the_apps_schema_is_the_one_the_server_publishes():
    carried = json.loads((ROOT / "technician_app" / "src" / "schema.json").read_text(encoding="utf-8"))
    assert carried == schema(), ("regenerate technician_app/src/schema.json from mobile_sync.tables.schema() and "
                                 "bump the schema version if a column changed")


def test_a_pull_gives_the_orders_api_id_and_its_open_sla_deadlines():
    a, _b = two_sides()
    device = Device(a.technician)
    body = Client().get("/api/v1/sync/pull?last_pulled_at=null&schema_version=1&migration=null", **device.auth).json()
    [row] = body["changes"]["work_orders"]["created"]
    assert row["server_id"] == str(a.order.id)
    deadlines = {d.target: d for d in SlaDeadline.objects.filter(order=a.order).order_by("cycle")}
    assert deadlines, "the order has SLA clocks"
    for target in ("response", "arrival", "resolution"):
        d = deadlines.get(target)
        expected = ms(d.deadline_at) if d is not None and d.met_at is None else None
        assert row[f"{target}_due_at"] == expected


def test_a_met_deadline_is_not_counted_down_any_more():
    a, _b = two_sides()
    deadline = SlaDeadline.objects.filter(order=a.order, target="arrival").first()
    assert deadline is not None
    SlaDeadline.objects.filter(id=deadline.id).update(met_at=deadline.deadline_at)
    device = Device(a.technician)
    body = Client().get("/api/v1/sync/pull?last_pulled_at=null&schema_version=1&migration=null", **device.auth).json()
    [row] = body["changes"]["work_orders"]["created"]
    assert row["arrival_due_at"] is None
