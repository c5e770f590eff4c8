"""Answers lost on the way (a network cut in a lift shaft): the device retries with the cursor it still has and
converges to the server; nothing it did is lost or applied twice.

The server commits what a device holds only when the device presents the cursor of the answer back
(mobile_sync/device_state.py), so a pull retried after a lost answer sends the same changes again.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from backend.workorders.dispatch import routing as dispatch
from backend.workorders.models import Comment, TimelineEvent
from backend.workorders.services import comment_add
from mobile_sync.device_state import device_state_load
from mobile_sync.models import MAX_PENDING, DevicePull
from tests.mobile_sync.helpers import Device, another_order, client_id, second_technician, server_view
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)


def _office_changes(a, order):  # type: ignore[no-untyped-def]
    """The dispatcher comments on one order and hands the other to a colleague."""
    comment = comment_add(actor=a.dispatcher, order_id=a.order.id, body="业主下午三点后在家", owner_visible=False,
                          now=timezone.now())
    colleague = second_technician(a)
    dispatch.order_assign(actor=a.dispatcher, order_id=order.id, technician_id=colleague.id, reason="改派",
                          now=timezone.now())
    return comment


def _ids(body, table, kind):  # type: ignore[no-untyped-def]
    entry = body["changes"][table][kind]
    return sorted(r if isinstance(r, str) else r["id"] for r in entry)


def test_a_lost_pull_answer_is_sent_again_by_the_retried_pull():
    a, _b = two_sides()
    other = another_order(a)
    device = Device(a.technician)
    device.pull()
    comment = _office_changes(a, other)
    lost = device.pull(lose=True)
    assert _ids(lost, "comments", "created") == [Comment.objects.get(id=comment.id).sync_id]
    assert _ids(lost, "work_orders", "deleted") == [other.sync_id]
    retried = device.pull()
    # The same changes, in the same lists: the comment is new to the device, the order leaves it.
    for table in lost["changes"]:
        for kind in ("created", "updated", "deleted"):
            assert _ids(retried, table, kind) == _ids(lost, table, kind), (table, kind)
    assert retried["timestamp"] > lost["timestamp"]
    device.pull()
    device.pull()
    assert device.holds() == server_view(a.technician)


def test_a_pull_answer_lost_twice_in_a_row_still_arrives_once():
    a, _b = two_sides()
    other = another_order(a)
    device = Device(a.technician)
    device.pull()
    comment = _office_changes(a, other)
    device.pull(lose=True)
    device.pull(lose=True)
    body = device.pull()
    assert Comment.objects.get(id=comment.id).sync_id in _ids(body, "comments", "created")
    assert other.sync_id in _ids(body, "work_orders", "deleted")
    assert device.holds() == server_view(a.technician)
    # Presenting the received cursor confirms it and drops the two answers that were never received.
    device.pull()
    assert not DevicePull.objects.filter(device__user=a.technician, device__name="phone").exists()


def test_a_lost_first_pull_is_a_first_pull_again():
    a, _b = two_sides()
    device = Device(a.technician)
    first = device.pull(lose=True)
    again = device.pull()
    assert _ids(again, "work_orders", "created") == _ids(first, "work_orders", "created") == [a.order.sync_id]


def test_a_lost_push_answer_applies_once_and_the_device_converges():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    event = device.event(a.order.sync_id, "assigned", "en_route")
    comment = device.record("comments", {"id": client_id(), "work_order_id": a.order.sync_id, "body": "电梯里没信号",
                                         "owner_visible": False, "author_name": "", "created_at": 0})
    device.pull()
    assert device.push(lose=True).status_code == 200  # applied; the phone never hears so and keeps its outbox
    assert device.sync().status_code == 200  # pull, then the same changes again under the new cursor
    device.sync()
    assert TimelineEvent.objects.filter(sync_id=event["id"]).count() == 1
    assert Comment.objects.filter(sync_id=comment["id"]).count() == 1
    assert device.holds() == server_view(a.technician)


def test_a_pull_lost_after_a_push_brings_the_pushed_records_back():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    device.event(a.order.sync_id, "assigned", "en_route")
    assert device.sync().status_code == 200
    device.pull(lose=True)
    device.pull()
    assert device.holds() == server_view(a.technician)
    assert device.holds()["work_orders"][a.order.sync_id]["state"] == "en_route"


def test_two_devices_of_one_technician_each_keep_their_own_state():
    a, _b = two_sides()
    other = another_order(a)
    phone, tablet = Device(a.technician, name="phone"), Device(a.technician, name="tablet")
    phone.pull()
    tablet.pull()
    comment = _office_changes(a, other)
    phone.pull(lose=True)
    tablet_body = tablet.pull()
    phone_body = phone.pull()
    sync_id = Comment.objects.get(id=comment.id).sync_id
    assert sync_id in _ids(tablet_body, "comments", "created") and sync_id in _ids(phone_body, "comments", "created")
    assert phone.holds() == tablet.holds() == server_view(a.technician)


def test_unconfirmed_answers_are_bounded_per_device():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    for n in range(MAX_PENDING + 3):
        comment_add(actor=a.dispatcher, order_id=a.order.id, body=f"第{n}次", owner_visible=False, now=timezone.now())
        device.pull(lose=True)
    assert DevicePull.objects.filter(device__user=a.technician).count() == MAX_PENDING
    device.pull()
    assert device.holds() == server_view(a.technician)


def test_a_quiet_pull_keeps_the_cursor_and_writes_nothing():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    cursor = device.pull()["timestamp"]  # confirms the first pull
    held = device_state_load(device=_token(device))
    assert device.pull()["timestamp"] == cursor
    assert not DevicePull.objects.filter(device__user=a.technician).exists()
    assert device_state_load(device=_token(device)) == held


def _token(device):  # type: ignore[no-untyped-def]
    from backend.accounts.models import DeviceToken

    return DeviceToken.objects.get(user=device.user, name=device.name)


def test_a_push_without_a_cursor_keeps_what_the_device_holds():
    a, _b = two_sides()
    comment_add(actor=a.dispatcher, order_id=a.order.id, body="先打电话", owner_visible=False, now=timezone.now())
    device = Device(a.technician)
    device.pull()
    device.pull()  # confirms the first pull
    held = device_state_load(device=_token(device))
    assert held["comments"]
    device.record("comments", {"id": client_id(), "work_order_id": a.order.sync_id, "body": "无游标的推送",
                               "owner_visible": False})
    body = json.dumps({"changes": device.outbox, "last_pulled_at": None})
    response = Client().post("/api/v1/sync/push", data=body, content_type="application/json", **device.auth)
    assert response.status_code == 200, response.content
    after = device_state_load(device=_token(device))
    assert all(set(held[t]) <= set(after[t]) for t in held)  # marks added, nothing the device holds forgotten
