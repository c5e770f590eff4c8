from __future__ import annotations

import pytest
from django.utils import timezone

from backend.workorders.actors import Actor
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.effects import order_transition
from backend.workorders.models import Comment, PartUsage, TimelineEvent, WorkOrder
from backend.workorders.states import State
from mobile_sync.models import SyncEvent
from mobile_sync.tables import ALL_TABLE_NAMES
from tests.mobile_sync.helpers import Device, client_id
from tests.workorders.world import two_sides

# Every request is its own transaction, as in production: on PostgreSQL a row's sync stamp is the id of the
# transaction that wrote it, so writes inside one test transaction would share a stamp.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_schema_lists_every_table_with_typed_columns():
    a, _b = two_sides()
    from django.test import Client

    device = Device(a.technician)
    schema = Client().get("/api/v1/sync/schema", **device.auth).json()
    assert schema["version"] == 1
    names = {t["name"] for t in schema["tables"]}
    assert names == set(ALL_TABLE_NAMES)
    for table in schema["tables"]:
        for column in table["columns"]:
            assert column["type"] in {"string", "number", "boolean"} and column["name"] != "id"


def test_the_first_pull_brings_exactly_the_technicians_orders_and_what_they_reference():
    a, b = two_sides()
    device = Device(a.technician)
    body = device.pull()
    changes = body["changes"]
    assert set(changes) == set(ALL_TABLE_NAMES)
    for entry in changes.values():
        assert set(entry) == {"created", "updated", "deleted"}
        ids = [r["id"] for r in entry["created"] + entry["updated"]]
        assert len(ids) == len(set(ids))
        assert all(isinstance(i, str) and "_status" not in r for r, i in zip(entry["created"], ids, strict=False))
    assert [o["id"] for o in changes["work_orders"]["created"]] == [a.order.sync_id]
    assert b.order.sync_id not in {o["id"] for o in changes["work_orders"]["created"]}
    assert [u["id"] for u in changes["units"]["created"]] == [a.unit.sync_id]
    assert changes["categories"]["created"]
    assert body["timestamp"] > 0


def test_an_incremental_pull_sends_known_rows_as_updated_and_nothing_unchanged():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    quiet = device.pull()
    assert all(not e["created"] and not e["updated"] and not e["deleted"] for e in quiet["changes"].values())
    order_transition(order_id=a.order.id, actor=Actor(user=a.dispatcher), to=State.ACCEPTED, now=timezone.now(),
                     note="改派前退回")
    changes = device.pull()["changes"]
    # The order left the technician (back to the queue): a tombstone, and the rows it brought.
    assert a.order.sync_id in changes["work_orders"]["deleted"]
    assert a.unit.sync_id in changes["units"]["deleted"]


def test_offline_steps_are_replayed_through_the_state_machine_in_device_order():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    order_id = a.order.sync_id
    device.event(order_id, "assigned", "en_route")
    device.event(order_id, "en_route", "on_site")
    device.event(order_id, "on_site", "in_progress", note="开始疏通")
    response = device.sync()
    assert response.status_code == 200, response.content
    assert [e["status"] for e in response.json()["events"]] == ["applied"] * 3
    order = WorkOrder.objects.get(id=a.order.id)
    assert order.state == State.IN_PROGRESS
    offline = TimelineEvent.objects.filter(order=order, kind="state", data__offline=True)
    assert offline.count() == 3 and all(e.device_at is not None for e in offline)


def test_the_same_batch_twice_changes_nothing_twice():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    device.event(a.order.sync_id, "assigned", "en_route")
    comment = device.record("comments", {"id": client_id(), "work_order_id": a.order.sync_id, "body": "已到楼下",
                                         "owner_visible": False, "author_name": "", "created_at": 0})
    batch = dict(device.outbox)
    first = device.push_raw(batch)
    second = device.push_raw(batch)
    assert first.status_code == second.status_code == 200
    assert second.json()["replayed"] is True
    assert TimelineEvent.objects.filter(order=a.order, kind="state", to_state="en_route").count() == 1
    assert Comment.objects.filter(sync_id=comment["id"]).count() == 1


def test_a_step_refused_because_the_office_cancelled_is_kept_and_comes_back():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    event = device.event(a.order.sync_id, "assigned", "en_route")
    # Meanwhile, in the office:
    order_transition(order_id=a.order.id, actor=Actor(user=a.agent), to=State.CANCELLED, now=timezone.now(),
                     note="业主撤销")
    response = device.sync()
    assert response.status_code == 200
    assert response.json()["events"][0]["status"] == "refused"
    refused = SyncEvent.objects.get(client_id=event["id"])
    assert refused.status == "refused" and refused.reason_code == "invalid_transition"
    assert WorkOrder.objects.get(id=a.order.id).state == State.CANCELLED  # the cancellation is not overwritten
    changes = device.pull()["changes"]
    back = {r["id"]: r for r in changes["work_order_events"]["updated"] + changes["work_order_events"]["created"]}
    assert back[event["id"]]["status"] == "refused" and "invalid_transition" in back[event["id"]]["reason"]


def test_a_record_changed_on_the_server_since_the_pull_answers_409_then_merges_after_a_pull():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    comment = device.record("comments", {"id": client_id(), "work_order_id": a.order.sync_id, "body": "带了角阀",
                                         "owner_visible": False, "author_name": "", "created_at": 0})
    assert device.push().status_code == 200
    device.pull()
    device.record("comments", {**comment, "body": "带了角阀和生料带"}, kind="updated")
    Comment.objects.filter(sync_id=comment["id"]).update(owner_visible=True)  # an office edit
    conflict = device.push_raw()
    assert conflict.status_code == 409 and conflict.json()["code"] == "sync_conflict"
    assert device.sync().status_code == 200
    assert Comment.objects.get(sync_id=comment["id"]).body == "带了角阀和生料带"


def test_records_created_and_deleted_offline_are_ignored_and_rows_the_device_pushed_come_back_as_updated():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    part = device.record("part_usages", {"id": client_id(), "work_order_id": a.order.sync_id, "name": "角阀",
                                         "quantity": 2, "unit_price_yuan": 35, "created_at": 0})
    device.outbox["part_usages"]["deleted"].append(client_id())  # never reached the server
    assert device.sync().status_code == 200
    assert PartUsage.objects.get(sync_id=part["id"]).quantity == 2
    PartUsage.objects.filter(sync_id=part["id"]).update(name="角阀 DN15")
    changes = device.pull()["changes"]["part_usages"]
    assert [r["id"] for r in changes["updated"]] == [part["id"]] and not changes["created"]


def test_reassignment_sends_a_tombstone_to_the_old_device_and_the_order_to_the_new_one():
    a, _b = two_sides()
    first, second_tech = Device(a.technician), None
    first.pull()
    from decimal import Decimal

    from backend.accounts.models import TechnicianProfile
    from backend.accounts.roles import Role
    from tests.factories import user_with_roles

    second_tech = user_with_roles(Role.TECHNICIAN)
    TechnicianProfile.objects.create(user=second_tech, skills={"plumbing": 2}, on_duty=True,
                                     last_latitude=Decimal("30.2"), last_longitude=Decimal("120.1"))
    a.team.members.add(second_tech)
    dispatch.order_assign(actor=a.dispatcher, order_id=a.order.id, technician_id=second_tech.id, reason="改派",
                          now=timezone.now())
    assert a.order.sync_id in first.pull()["changes"]["work_orders"]["deleted"]
    second = Device(second_tech)
    assert [o["id"] for o in second.pull()["changes"]["work_orders"]["created"]] == [a.order.sync_id]


def test_a_revoked_token_cannot_pull_and_other_roles_are_refused():
    a, _b = two_sides()
    device = Device(a.technician)
    from backend.accounts.models import DeviceToken

    DeviceToken.objects.filter(user=a.technician).update(revoked_at=timezone.now())
    assert device.pull_raw().status_code == 401
    office = Device(a.dispatcher)
    assert office.pull_raw().status_code == 403


def test_malformed_batches_get_a_clear_error_and_change_nothing():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    before = TimelineEvent.objects.count()
    for changes in ({"no_such_table": {"created": [], "updated": [], "deleted": []}},
                    {"comments": {"created": [{"body": "no id"}], "updated": [], "deleted": []}},
                    {"comments": "nope"}):
        response = device.push_raw(changes)
        assert response.status_code == 422 and response.json()["code"] == "invalid_sync_batch"
    assert device.pull_raw(last_pulled_at="soon").status_code == 422
    assert TimelineEvent.objects.count() == before


def test_nul_characters_in_pushed_text_are_dropped_instead_of_failing_the_batch():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    comment = device.record("comments", {"id": client_id(), "work_order_id": a.order.sync_id, "body": "已到\x00楼下",
                                         "owner_visible": False, "author_name": "", "created_at": 0})
    response = device.sync()
    assert response.status_code == 200 and response.json()["refused"] == []
    assert Comment.objects.get(sync_id=comment["id"]).body == "已到楼下"


def test_an_owners_portal_message_reaches_the_technician_with_the_owners_name():
    from backend.workorders.owner.steps import OwnerIdentity, owner_message_add
    from tests.factories import OwnershipFactory

    a, _b = two_sides()
    owner = OwnershipFactory(unit=a.unit, owner__name="李先生").owner
    device = Device(a.technician)
    device.pull()
    owner_message_add(identity=OwnerIdentity(phone=owner.phone, owner_id=owner.id, name=owner.name),
                      order_id=a.order.id, body="家里下午有人", now=timezone.now())
    comments = device.pull()["changes"]["comments"]["created"]
    assert [(c["body"], c["author_name"], c["owner_visible"]) for c in comments] == [("家里下午有人", "李先生", True)]
