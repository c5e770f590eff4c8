"""The values a pull sends: each one of the type the published schema gives its column, computed by the
database exactly as the protocol defines it (epoch milliseconds, numbers, nulls for blanks, JSON text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts.models import DeviceToken, TechnicianProfile
from backend.workorders.intake.numbering import format_number
from backend.workorders.models import Attachment, Comment, PartUsage, TimelineEvent, WorkOrder
from mobile_sync.device_state import device_state_at, device_state_load
from mobile_sync.models import SyncEvent
from mobile_sync.tables import ALL_TABLE_NAMES, TABLES, TABLES_BY_NAME
from owner_portal.models import Article, ArticleStep
from tests.factories import OwnerFactory, OwnershipFactory, PublicAreaFactory
from tests.mobile_sync.helpers import Device
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)

# Microseconds past a whole millisecond: epoch milliseconds are truncated, never rounded up.
AT = datetime(2026, 3, 1, 8, 30, 15, 123_999, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(value: datetime) -> int:
    return (value - EPOCH) // timedelta(milliseconds=1)


def a_busy_scope():  # type: ignore[no-untyped-def]
    """Side A's technician with an order on a unit (two current owners, one former) and one on a public area,
    with comments, parts, attachments, timed events, a refused offline step and a located profile."""
    a, _b = two_sides()
    OwnershipFactory(unit=a.unit, owner=OwnerFactory(name="前业主", phone="+8613700000001"),
                     start_date=AT.date() - timedelta(days=900), end_date=AT.date() - timedelta(days=400))
    OwnershipFactory(unit=a.unit, owner=OwnerFactory(name="王女士", phone="+8613600000002"),
                     start_date=AT.date() - timedelta(days=300), is_primary_contact=False)
    OwnershipFactory(unit=a.unit, owner=OwnerFactory(name="李先生", phone="+8613912345678"),
                     start_date=AT.date() - timedelta(days=200), is_primary_contact=True)
    WorkOrder.objects.filter(id=a.order.id).update(
        estimate_yuan=Decimal("88.80"), preferred_slots=["周六上午", {"from": "09:00", "n": 2}], waiting_reason="",
        location_detail="厨房", created_at=AT, updated_at=AT + timedelta(minutes=5))
    area = PublicAreaFactory(project=a.project, name="地下车库B2")
    area_order = WorkOrder.objects.create(
        number=format_number(AT.date(), 9001), project=a.project, public_area=area, contact_name="物业",
        contact_phone="+8613800138000", channel="phone", category_code="drainage", priority="P2",
        description="车库积水", state="waiting", waiting_reason="parts", technician=a.technician, created_at=AT,
        updated_at=AT)
    TimelineEvent.objects.create(order=a.order, kind="state", from_state="assigned", to_state="en_route",
                                 device_at=AT - timedelta(seconds=30), created_at=AT, note="出发")
    TimelineEvent.objects.create(order=area_order, kind="state", from_state="", to_state="submitted", created_at=AT)
    Comment.objects.create(order=a.order, author=a.technician, body="已到楼下", owner_visible=True, created_at=AT)
    Comment.objects.create(order=area_order, author=None, body="系统备注", created_at=AT)
    PartUsage.objects.create(order=a.order, name="弯头", quantity=Decimal("1.50"), unit_price_yuan=Decimal("12.30"),
                             added_by=a.technician, created_at=AT)
    Attachment.objects.create(order=a.order, file="attachments/2026/03/a.jpg", thumbnail="thumbnails/2026/03/a.jpg",
                              content_type="image/jpeg", size_bytes=2048, sha256="a" * 64, created_at=AT)
    Attachment.objects.create(order=area_order, file="attachments/2026/03/b.png", content_type="image/png",
                              size_bytes=4096, sha256="b" * 64, created_at=AT)
    TechnicianProfile.objects.filter(user=a.technician).update(last_position_at=AT)
    article = Article.objects.create(title="地漏反味怎么办", summary="多半是存水弯干了", category_code="drainage")
    ArticleStep.objects.create(article=article, position=1, text="往地漏里倒一盆水")
    return a, area_order


def _token(device: Device) -> DeviceToken:
    return DeviceToken.objects.get(user=device.user, name=device.name, revoked_at__isnull=True)


def _refuse_one_step(device: Device, order: WorkOrder) -> None:
    SyncEvent.objects.create(device=_token(device), user=order.technician, client_id="refusedAAAAAAAAA",
                             order=order, order_sync_id=order.sync_id, from_state="assigned", to_state="en_route",
                             status="refused", reason_code="invalid_transition", reason="cancelled",
                             server_at=timezone.now())


def test_every_pulled_value_has_the_type_its_published_column_gives():
    a, _area_order = a_busy_scope()
    device = Device(a.technician)
    schema = {t["name"]: t["columns"] for t in Client().get("/api/v1/sync/schema", **device.auth).json()["tables"]}
    changes = device.pull()["changes"]
    python_types = {"string": (str,), "number": (int, float), "boolean": (bool,)}
    for name, entry in changes.items():
        rows = entry["created"]
        assert rows, name  # the busy scope has rows in every table
        columns = {c["name"]: c for c in schema[name]}
        for row in rows:
            assert set(row) == {"id", *columns}, name
            assert isinstance(row["id"], str)
            for column, value in row.items():
                if column == "id":
                    continue
                spec = columns[column]
                if value is None:
                    assert spec["isOptional"], (name, column)
                    continue
                assert isinstance(value, python_types[spec["type"]]), (name, column, value)
                if spec["type"] == "number":
                    assert not isinstance(value, bool), (name, column)


def test_pulled_values_are_the_stored_ones_in_the_protocols_form():
    a, area_order = a_busy_scope()
    device = Device(a.technician)
    changes = device.pull()["changes"]
    orders = {o["id"]: o for o in changes["work_orders"]["created"]}
    on_unit, on_area = orders[a.order.sync_id], orders[area_order.sync_id]
    assert on_unit["created_at"] == epoch_ms(AT) and on_unit["created_at"] % 1000 == 123
    assert on_unit["updated_at"] == epoch_ms(AT + timedelta(minutes=5))
    assert on_unit["estimate_yuan"] == 88.8 and on_area["estimate_yuan"] is None
    assert json.loads(on_unit["preferred_slots"]) == ["周六上午", {"from": "09:00", "n": 2}]
    assert json.loads(on_area["preferred_slots"]) == []
    assert on_unit["waiting_reason"] is None and on_area["waiting_reason"] == "parts"
    assert on_unit["place"] == f"{a.project.name} {a.unit.building.name} {a.unit.number}"
    assert on_area["place"] == f"{a.project.name} 地下车库B2" and on_area["unit_id"] is None
    assert on_unit["project_id"] == a.project.sync_id and on_unit["unit_id"] == a.unit.sync_id
    assert isinstance(on_unit["server_revision"], int)

    [unit] = changes["units"]["created"]
    assert (unit["owner_name"], unit["owner_phone"]) == ("李先生", "139****5678")  # the primary contact, masked
    assert unit["project_id"] == a.project.sync_id and unit["building_name"] == a.unit.building.name

    step = next(e for e in changes["work_order_events"]["created"] if e["to_state"] == "en_route")
    assert step["device_at"] == epoch_ms(AT - timedelta(seconds=30)) and step["server_at"] == epoch_ms(AT)
    assert (step["from_state"], step["status"], step["reason"]) == ("assigned", "applied", None)
    [opening] = [e for e in changes["work_order_events"]["created"] if e["work_order_id"] == area_order.sync_id]
    assert (opening["from_state"], opening["to_state"], opening["device_at"]) == (None, "submitted", None)

    comments = {c["body"]: c for c in changes["comments"]["created"]}
    assert comments["已到楼下"]["author_name"] == a.technician.display_name
    assert comments["已到楼下"]["owner_visible"] is True and comments["系统备注"]["owner_visible"] is False
    assert comments["系统备注"]["author_name"] == ""
    [part] = changes["part_usages"]["created"]
    assert (part["quantity"], part["unit_price_yuan"], part["created_at"]) == (1.5, 12.3, epoch_ms(AT))
    attachments = {x["content_type"]: x for x in changes["attachments"]["created"]}
    assert attachments["image/jpeg"]["url"].endswith("attachments/2026/03/a.jpg")
    assert attachments["image/jpeg"]["thumbnail_url"].endswith("thumbnails/2026/03/a.jpg")
    assert attachments["image/png"]["thumbnail_url"] is None and attachments["image/png"]["size_bytes"] == 4096
    [profile] = changes["technician_profiles"]["created"]
    assert profile["name"] == a.technician.display_name and profile["on_duty"] is True
    assert json.loads(profile["skills"]) == {"plumbing": 3, "electrical": 2}
    assert (profile["last_latitude"], profile["last_longitude"]) == (30.27, 120.15)
    assert profile["last_position_at"] == epoch_ms(AT)


def test_a_first_pull_records_every_row_it_sent_at_the_stamp_it_read():
    a, _area_order = a_busy_scope()
    device = Device(a.technician)
    _refuse_one_step(device, a.order)
    body = device.pull()
    changes = body["changes"]
    # Kept under the cursor it issued, and what the device holds only once it presents that cursor back.
    held = device_state_at(device=_token(device), cursor=body["timestamp"])
    assert device_state_load(device=_token(device)) == {}
    for table in TABLES:
        sent = {r["id"] for r in changes[table.name]["created"]}
        stored = dict(table.scope(a.technician, _token(device)).values_list("sync_id", "sync_stamp"))
        if table.name == "work_order_events":
            stored["refusedAAAAAAAAA"] = SyncEvent.objects.get(client_id="refusedAAAAAAAAA").sync_stamp
        assert sent == set(stored) and held[table.name] == stored, table.name
    assert set(held["categories"]) == {c["id"] for c in changes["categories"]["created"]}
    device.pull()
    assert device_state_load(device=_token(device)) == held
    refused = [e for e in changes["work_order_events"]["created"] if e["status"] == "refused"]
    assert [(e["id"], e["reason"]) for e in refused] == [("refusedAAAAAAAAA", "invalid_transition: cancelled")]


def test_an_incremental_pull_sends_a_changed_row_with_every_column_again():
    a, _area_order = a_busy_scope()
    device = Device(a.technician)
    first = device.pull()["changes"]
    WorkOrder.objects.filter(id=a.order.id).update(location_detail="卫生间")
    changes = device.pull()["changes"]
    [row] = changes["work_orders"]["updated"]
    before = next(o for o in first["work_orders"]["created"] if o["id"] == a.order.sync_id)
    assert row == {**before, "location_detail": "卫生间"} and not changes["work_orders"]["created"]
    assert set(row) == set(TABLES_BY_NAME["work_orders"].names)


def test_the_pull_answer_keeps_the_documented_response_schema():
    from mobile_sync.api import PullOut

    a, _area_order = a_busy_scope()
    response = Device(a.technician).pull_raw()
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    body = PullOut.model_validate(response.json())
    assert body.timestamp > 0 and set(body.changes) == set(ALL_TABLE_NAMES)
