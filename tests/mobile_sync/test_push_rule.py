"""The push rule of docs/sync-protocol.md, cell by cell: for every table and for created / updated / deleted,
what the server does with a pushed row, what the push answers, and what the device sees on its next pull.

A refused or ignored change is undone on the device: its next pull sends the server's version in ``updated``,
in ``created`` when the device deleted the record, or the id in ``deleted`` when the server has no such record.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.models import TechnicianProfile
from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.models import Attachment, Comment, PartUsage, TimelineEvent, WorkOrder
from backend.workorders.services import comment_add, part_add
from backend.workorders.states import State
from tests.mobile_sync.helpers import Device, client_id, server_view
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)


def _synced(a):  # type: ignore[no-untyped-def]
    """Side A's technician with a part, an office comment, the technician's own comment and a photo; synced."""
    Attachment.objects.create(order=a.order, content_type="image/jpeg", size_bytes=10, sha256="0" * 64,
                              file="attachments/x.jpg", created_at=timezone.now())
    comment_add(actor=a.dispatcher, order_id=a.order.id, body="业主下午在家", owner_visible=False, now=timezone.now())
    device = Device(a.technician)
    device.pull()
    device.record("comments", {"id": client_id(), "work_order_id": a.order.sync_id, "body": "已到楼下",
                               "owner_visible": False, "author_name": "", "created_at": 0})
    device.record("part_usages", {"id": client_id(), "work_order_id": a.order.sync_id, "name": "角阀",
                                  "quantity": 2, "unit_price_yuan": 35, "created_at": 0})
    assert device.sync().status_code == 200
    device.pull()
    return device


def _one(device: Device, table: str, *, own: bool | None = None) -> dict:  # type: ignore[type-arg]
    rows = list(device.db[table].values())
    if own is not None and table == "comments":
        rows = [r for r in rows if (r["body"] == "已到楼下") == own]
    return dict(rows[0])


def _push(device: Device, table: str, kind: str, row_or_id) -> dict:  # type: ignore[no-untyped-def,type-arg]
    entry = {"created": [], "updated": [], "deleted": []}
    entry[kind].append(row_or_id)
    response = device.push_raw({table: entry})
    assert response.status_code == 200, response.content
    return response.json()


def _where(body: dict, table: str, record_id: str) -> str | None:  # type: ignore[type-arg]
    entry = body["changes"][table]
    for kind in ("created", "updated"):
        if record_id in {r["id"] for r in entry[kind]}:
            return kind
    return "deleted" if record_id in entry["deleted"] else None


def _refused(answer: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(r["table"], r["code"]) for r in answer["refused"]]


READ_ONLY = ["projects", "units", "attachments", "categories", "work_orders"]


@pytest.mark.parametrize("table", READ_ONLY)
@pytest.mark.parametrize("kind", ["created", "updated"])
def test_a_pushed_edit_of_a_read_only_table_is_refused_and_undone(table, kind):
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, table)
    edited = {**row, "name": "改了", "state": "completed", "description": "改了", "sha256": "f" * 64}
    device.db[table][row["id"]] = edited
    before = WorkOrder.objects.get(id=a.order.id).state
    answer = _push(device, table, kind, edited)
    assert _refused(answer) == [(table, "read_only")]
    assert _where(device.pull(), table, row["id"]) == "updated"
    assert device.db[table][row["id"]] == row  # the server's version is back
    assert WorkOrder.objects.get(id=a.order.id).state == before


@pytest.mark.parametrize("table", READ_ONLY)
def test_a_record_of_a_read_only_table_deleted_on_the_phone_comes_back_created(table):
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, table)
    device.delete(table, row["id"])
    answer = _push(device, table, "deleted", row["id"])
    assert _refused(answer) == [(table, "read_only")]
    device.outbox = {}
    assert _where(device.pull(), table, row["id"]) == "created"
    assert device.db[table][row["id"]] == row


def test_a_record_the_phone_invented_in_a_read_only_table_is_deleted_from_it():
    a, _b = two_sides()
    device = _synced(a)
    phantom = {"id": client_id(), "name": "不存在的项目", "city": "", "address": "", "latitude": 0, "longitude": 0,
               "service_phone": None}
    answer = _push(device, "projects", "created", phantom)
    assert _refused(answer) == [("projects", "read_only")]
    assert _where(device.pull(), "projects", phantom["id"]) == "deleted"


def test_an_offline_step_is_applied_and_an_edit_of_a_recorded_step_is_refused_and_undone():
    a, _b = two_sides()
    device = _synced(a)
    step = device.event(a.order.sync_id, "assigned", "en_route", note="出发")
    assert device.sync().status_code == 200
    body = device.pull()
    assert _where(body, "work_order_events", step["id"]) == "updated"
    server_row = dict(device.db["work_order_events"][step["id"]])
    answer = _push(device, "work_order_events", "updated", {**server_row, "note": "改过的备注", "to_state": "completed"})
    assert _refused(answer) == [("work_order_events", "events_are_kept")]
    assert _where(device.pull(), "work_order_events", step["id"]) == "updated"
    assert TimelineEvent.objects.get(sync_id=step["id"]).note == "出发"
    # The same step pushed again as created is idempotent: nothing refused, nothing doubled.
    assert _refused(_push(device, "work_order_events", "created", server_row)) == []
    assert TimelineEvent.objects.filter(sync_id=step["id"]).count() == 1


def test_a_recorded_step_deleted_on_the_phone_comes_back_created_and_an_unknown_one_is_ignored():
    a, _b = two_sides()
    device = _synced(a)
    step = next(r for r in device.db["work_order_events"].values())
    unknown = client_id()
    answer = _push(device, "work_order_events", "deleted", step["id"])
    assert _refused(answer) == [("work_order_events", "events_are_kept")]
    assert _refused(_push(device, "work_order_events", "deleted", unknown)) == []
    body = device.pull()
    assert _where(body, "work_order_events", step["id"]) == "created"
    assert _where(body, "work_order_events", unknown) is None


def test_a_refused_offline_step_comes_back_refused_and_if_deleted_created_again():
    a, _b = two_sides()
    device = _synced(a)
    order_transition(order_id=a.order.id, actor=Actor(user=a.agent), to=State.CANCELLED, now=timezone.now(),
                     note="业主撤销")
    step = device.event(a.order.sync_id, "assigned", "en_route")
    answer = device.sync().json()
    assert [e["status"] for e in answer["events"]] == ["refused"]
    device.pull()
    assert device.db["work_order_events"][step["id"]]["status"] == "refused"
    assert _refused(_push(device, "work_order_events", "deleted", step["id"])) == [
        ("work_order_events", "events_are_kept")]
    assert _where(device.pull(), "work_order_events", step["id"]) == "created"


@pytest.mark.parametrize("kind", ["created", "updated"])
def test_the_authors_comment_edit_is_applied_and_comes_back_updated(kind):
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "comments", own=True)
    answer = _push(device, "comments", kind, {**row, "body": "已到楼下，正在检查"})
    assert answer["refused"] == []
    assert Comment.objects.get(sync_id=row["id"]).body == "已到楼下，正在检查"
    assert _where(device.pull(), "comments", row["id"]) == "updated"
    assert TimelineEvent.objects.filter(order=a.order, data__comment_id=str(Comment.objects.get(
        sync_id=row["id"]).id), note__startswith="comment edited").count() == 1


@pytest.mark.parametrize("body", ["长" * 2001, "   ", ""])
def test_a_comment_edit_the_api_would_refuse_is_refused_with_the_same_reason_and_undone(body):
    from backend.core.errors import AppError

    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "comments", own=True)
    with pytest.raises(AppError) as api:
        comment_add(actor=a.technician, order_id=a.order.id, body=body, owner_visible=False, now=timezone.now())
    answer = _push(device, "comments", "updated", {**row, "body": body})
    [refused] = answer["refused"]
    assert (refused["code"], refused["reason"]) == (api.value.code, api.value.details["errors"][0]["reason"])
    assert Comment.objects.get(sync_id=row["id"]).body == "已到楼下"  # never cut to 2 000 characters
    assert _where(device.pull(), "comments", row["id"]) == "updated"
    assert device.db["comments"][row["id"]]["body"] == "已到楼下"


def test_an_edit_of_someone_elses_comment_is_refused_and_undone():
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "comments", own=False)
    assert _refused(_push(device, "comments", "updated", {**row, "body": "改别人的"})) == [("comments", "not_author")]
    assert Comment.objects.get(sync_id=row["id"]).body == "业主下午在家"
    assert _where(device.pull(), "comments", row["id"]) == "updated"


def test_a_new_comment_that_is_too_long_is_refused_and_leaves_the_phone():
    a, _b = two_sides()
    device = _synced(a)
    row = {"id": client_id(), "work_order_id": a.order.sync_id, "body": "长" * 2001, "owner_visible": False}
    assert _refused(_push(device, "comments", "created", row)) == [("comments", "invalid_order")]
    assert not Comment.objects.filter(sync_id=row["id"]).exists()
    assert _where(device.pull(), "comments", row["id"]) == "deleted"


def test_a_comment_deleted_on_the_phone_is_kept_and_comes_back_created():
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "comments", own=True)
    device.delete("comments", row["id"])
    assert _refused(_push(device, "comments", "deleted", row["id"])) == [("comments", "comments_are_kept")]
    device.outbox = {}
    assert _where(device.pull(), "comments", row["id"]) == "created"
    assert Comment.objects.filter(sync_id=row["id"]).exists()


@pytest.mark.parametrize("kind", ["created", "updated"])
def test_the_authors_part_edit_goes_through_the_part_service(kind):
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "part_usages")
    answer = _push(device, "part_usages", kind, {**row, "quantity": 3, "unit_price_yuan": 36.5})
    assert answer["refused"] == []
    part = PartUsage.objects.get(sync_id=row["id"])
    assert (part.quantity, part.unit_price_yuan) == (Decimal("3.00"), Decimal("36.50"))
    assert TimelineEvent.objects.filter(order=a.order, data__part_id=str(part.id),
                                        note__startswith="part changed").count() == 1
    assert _where(device.pull(), "part_usages", row["id"]) == "updated"


@pytest.mark.parametrize(("change", "code"), [
    ({"quantity": 0}, "invalid_order"), ({"unit_price_yuan": -1}, "invalid_order"), ({"name": " "}, "invalid_order"),
    ({"name": "阀" * 101}, "invalid_order")])
def test_a_part_edit_the_service_refuses_is_refused_with_its_reason_and_undone(change, code):
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "part_usages")
    answer = _push(device, "part_usages", "updated", {**row, **change})
    [refused] = answer["refused"]
    assert refused["code"] == code and refused["reason"]
    assert PartUsage.objects.get(sync_id=row["id"]).quantity == 2
    assert _where(device.pull(), "part_usages", row["id"]) == "updated"


def test_a_part_edit_on_a_closed_order_or_by_another_is_refused_as_the_api_refuses_it():
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "part_usages")
    office_part = part_add(actor=a.dispatcher, order_id=a.order.id, name="密封圈", quantity=Decimal(1),
                           unit_price_yuan=Decimal(5), now=timezone.now())
    device.pull()
    office_row = device.db["part_usages"][office_part.sync_id]
    assert _refused(_push(device, "part_usages", "updated", {**office_row, "quantity": 9})) == [
        ("part_usages", "not_author")]
    device.pull()
    order_transition(order_id=a.order.id, actor=Actor(user=a.agent), to=State.CANCELLED, now=timezone.now(), note="撤销")
    answer = _push(device, "part_usages", "updated", {**row, "quantity": 5})
    # The order left the device's scope: the part is not the technician's to change any more.
    assert answer["refused"] and answer["refused"][0]["code"] in {"not_found", "invalid_order"}
    assert PartUsage.objects.get(sync_id=row["id"]).quantity == 2


def test_a_part_deleted_by_its_author_is_removed_with_a_timeline_event_and_by_another_comes_back():
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "part_usages")
    office_part = part_add(actor=a.dispatcher, order_id=a.order.id, name="密封圈", quantity=Decimal(1),
                           unit_price_yuan=Decimal(5), now=timezone.now())
    device.pull()
    device.delete("part_usages", row["id"])
    device.delete("part_usages", office_part.sync_id)
    answer = device.push().json()
    assert _refused(answer) == [("part_usages", "not_author")]
    assert not PartUsage.objects.filter(sync_id=row["id"]).exists()
    assert TimelineEvent.objects.filter(order=a.order, note="part removed: 角阀").exists()
    body = device.pull()
    assert _where(body, "part_usages", office_part.sync_id) == "created"
    assert _where(body, "part_usages", row["id"]) is None


def test_the_own_profile_is_updated_through_the_status_service_and_another_is_refused():
    a, b = two_sides()
    device = _synced(a)
    row = _one(device, "technician_profiles")
    assert _push(device, "technician_profiles", "updated", {**row, "on_duty": False})["refused"] == []
    assert TechnicianProfile.objects.get(user=a.technician).on_duty is False
    assert _where(device.pull(), "technician_profiles", row["id"]) == "updated"
    theirs = TechnicianProfile.objects.get(user=b.technician)
    answer = _push(device, "technician_profiles", "updated", {**row, "id": theirs.sync_id, "on_duty": False})
    assert _refused(answer) == [("technician_profiles", "not_yours")]
    assert TechnicianProfile.objects.get(user=b.technician).on_duty is True
    assert _where(device.pull(), "technician_profiles", theirs.sync_id) == "deleted"


def test_the_own_profile_deleted_on_the_phone_comes_back_created():
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "technician_profiles")
    assert _refused(_push(device, "technician_profiles", "deleted", row["id"])) == [
        ("technician_profiles", "read_only")]
    assert _where(device.pull(), "technician_profiles", row["id"]) == "created"


def test_after_every_kind_of_refusal_the_phone_holds_exactly_the_servers_rows():
    a, _b = two_sides()
    device = _synced(a)
    for table in ("work_orders", "units", "comments", "work_order_events"):
        device.delete(table, _one(device, table)["id"])
    row = _one(device, "projects")
    device.record("projects", {**row, "name": "改了"}, kind="updated")
    device.record("part_usages", {**_one(device, "part_usages"), "quantity": float("nan")}, kind="updated")
    assert device.sync().status_code == 200
    device.sync()
    assert device.holds() == server_view(a.technician)


def test_a_merge_after_a_conflict_is_marked_on_the_timeline():
    a, _b = two_sides()
    device = _synced(a)
    row = _one(device, "comments", own=True)
    device.record("comments", {**row, "body": "已到楼下，带了扳手"}, kind="updated")
    Comment.objects.filter(sync_id=row["id"]).update(owner_visible=True)  # the office's change meanwhile
    assert device.push_raw().status_code == 409
    assert device.sync().status_code == 200
    comment = Comment.objects.get(sync_id=row["id"])
    assert comment.body == "已到楼下，带了扳手"
    merged = TimelineEvent.objects.get(order=a.order, data__comment_id=str(comment.id), note__startswith="comment edited")
    assert merged.data["merged_after_conflict"] is True and "merged after a sync conflict" in merged.note
