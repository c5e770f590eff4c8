"""Poison values in a pushed batch: every value is checked against its column before anything is applied; an
invalid row is refused with its column and reason, the rest of the batch is applied, and no push answers 5xx."""

from __future__ import annotations

import json
import math

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.accounts.models import TechnicianProfile
from backend.workorders.models import Comment, PartUsage, TimelineEvent, WorkOrder
from mobile_sync.models import SyncEvent
from tests.mobile_sync.helpers import Device, another_order, client_id
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)

POISON = [float("nan"), float("inf"), float("-inf"), 1e300, -1e300, 10**30, 1.001, 5e-324, "2", True, None, [], {}]
# Just past what each column holds: a quantity is DECIMAL(10, 2), a price DECIMAL(12, 2).
OUT_OF_RANGE = {"quantity": 123456789, "unit_price_yuan": 10**10}


def _part(order_id: str, **values):  # type: ignore[no-untyped-def]
    return {"id": client_id(), "work_order_id": order_id, "name": "角阀", "quantity": 2, "unit_price_yuan": 35,
            "created_at": 0, **values}


def _push(device: Device, changes: dict) -> dict:  # type: ignore[type-arg]
    # Python's json writes NaN and Infinity as the bare words a JavaScript client may send.
    body = json.dumps({"changes": changes, "last_pulled_at": device.last_pulled_at})
    response = Client().post(f"/api/v1/sync/push?last_pulled_at={device.last_pulled_at}", data=body,
                             content_type="application/json", **device.auth)
    assert response.status_code == 200, response.content
    return response.json()


def _entry(created=(), updated=(), deleted=()):  # type: ignore[no-untyped-def]
    return {"created": list(created), "updated": list(updated), "deleted": list(deleted)}


@pytest.mark.parametrize("column", ["quantity", "unit_price_yuan"])
def test_a_poison_number_refuses_its_row_and_the_rest_of_the_batch_is_applied(column):
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    good = _part(a.order.sync_id)
    bad = [_part(a.order.sync_id, **{column: value}) for value in [*POISON, OUT_OF_RANGE[column]]]
    comment = {"id": client_id(), "work_order_id": a.order.sync_id, "body": "换了角阀", "owner_visible": False}
    answer = _push(device, {"part_usages": _entry(created=[good, *bad]), "comments": _entry(created=[comment])})
    refused = {r["id"]: r for r in answer["refused"]}
    assert set(refused) == {r["id"] for r in bad}
    assert all(r["code"] == "invalid_value" and r["column"] == column and r["reason"] for r in refused.values())
    assert list(PartUsage.objects.filter(order=a.order).values_list("sync_id", flat=True)) == [good["id"]]
    assert Comment.objects.filter(sync_id=comment["id"]).exists()
    # The next sync is not jammed, and the refused rows leave the phone.
    changes = device.pull()["changes"]["part_usages"]
    assert set(changes["deleted"]) == {r["id"] for r in bad}


def test_a_poison_edit_of_an_existing_part_leaves_it_unchanged():
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    part = device.record("part_usages", _part(a.order.sync_id))
    assert device.sync().status_code == 200
    for value in [*POISON, OUT_OF_RANGE["quantity"]]:
        device.pull()  # the refused edit is undone on the phone (and pushing it again unpulled would be a 409)
        answer = _push(device, {"part_usages": _entry(updated=[{**part, "quantity": value}])})
        assert [r["code"] for r in answer["refused"]] == ["invalid_value"]
    assert PartUsage.objects.get(sync_id=part["id"]).quantity == 2


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e300, 91, -181.5, "30.1", True])
def test_a_poison_position_is_refused_and_the_profile_unchanged(value):
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    profile = TechnicianProfile.objects.get(user=a.technician)
    row = {"id": profile.sync_id, "name": "", "skills": "{}", "on_duty": False, "last_latitude": value,
           "last_longitude": 120.1, "last_position_at": 0}
    answer = _push(device, {"technician_profiles": _entry(updated=[row])})
    assert [(r["code"], r["column"]) for r in answer["refused"]] == [("invalid_value", "last_latitude")]
    profile.refresh_from_db()
    assert profile.on_duty is True and str(profile.last_latitude) == "30.270000"


@pytest.mark.parametrize("device_at", [1, -62135596800000, 253402300799000, 1e300])
def test_an_implausible_device_time_is_kept_as_evidence_and_never_stored_as_a_time(device_at):
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    event = {"id": client_id(), "work_order_id": a.order.sync_id, "from_state": "assigned", "to_state": "en_route",
             "device_at": device_at, "note": "", "status": "pending"}
    answer = _push(device, {"work_order_events": _entry(created=[event])})
    assert [e["status"] for e in answer["events"]] == ["applied"]
    step = TimelineEvent.objects.get(sync_id=event["id"])
    assert step.device_at is None and step.data["device_at_implausible"]
    assert SyncEvent.objects.get(client_id=event["id"]).device_at is None
    assert device.pull()["changes"]["work_order_events"]["updated"]  # and reading it back works


@pytest.mark.parametrize("device_at", ["soon", float("nan"), True, [1]])
def test_a_device_time_that_is_not_a_number_refuses_the_step(device_at):
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    event = {"id": client_id(), "work_order_id": a.order.sync_id, "from_state": "assigned", "to_state": "en_route",
             "device_at": device_at, "note": ""}
    answer = _push(device, {"work_order_events": _entry(created=[event])})
    assert [(r["code"], r["column"]) for r in answer["refused"]] == [("invalid_value", "device_at")]
    assert WorkOrder.objects.get(id=a.order.id).state == "assigned"


@pytest.mark.parametrize("cursor", ["1e30", "1" * 40, str(2**63), str(2**53), "-1", "nan", "0x10", "1.5"])
def test_an_absurd_cursor_is_a_4xx_in_the_error_contract(cursor):
    a, _b = two_sides()
    device = Device(a.technician)
    for response in (device.pull_raw(last_pulled_at=cursor),
                     Client().post(f"/api/v1/sync/push?last_pulled_at={cursor}", data=json.dumps({"changes": {}}),
                                   content_type="application/json", **device.auth)):
        assert 400 <= response.status_code < 500, response.content
        assert response.json()["code"] in {"invalid_sync_batch", "validation_error"}


def test_a_cursor_never_issued_to_the_device_is_refused():
    a, _b = two_sides()
    device = Device(a.technician)
    issued = device.pull()["timestamp"]
    response = device.pull_raw(last_pulled_at=issued + 1000)
    assert response.status_code == 422 and response.json()["code"] == "invalid_sync_batch"
    body = json.dumps({"changes": {}, "last_pulled_at": 1e30})
    response = Client().post("/api/v1/sync/push", data=body, content_type="application/json", **device.auth)
    assert 400 <= response.status_code < 500


# --- the property: random, type-confused and out-of-range values in every pushable column ----------------------
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.text(min_size=2001, max_size=2100),
    st.sampled_from([float("nan"), float("inf"), 1e300, 123456789, 1.005, -0.0, "", "\x00", "2"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
PUSHABLE = {
    "work_order_events": ["work_order_id", "from_state", "to_state", "device_at", "note", "waiting_reason"],
    "comments": ["work_order_id", "body", "owner_visible"],
    "part_usages": ["work_order_id", "name", "quantity", "unit_price_yuan"],
    "technician_profiles": ["on_duty", "last_latitude", "last_longitude"],
}


def _valid_row(table: str, order_id: str, profile_id: str) -> dict:  # type: ignore[type-arg]
    if table == "work_order_events":
        return {"id": client_id(), "work_order_id": order_id, "from_state": "assigned", "to_state": "en_route",
                "device_at": None, "note": ""}
    if table == "comments":
        return {"id": client_id(), "work_order_id": order_id, "body": "已到楼下", "owner_visible": False}
    if table == "part_usages":
        return _part(order_id)
    return {"id": profile_id, "on_duty": True, "last_latitude": 30.2, "last_longitude": 120.1}


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    a, _b = two_sides()
    return a


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_values_in_every_pushable_column_never_fail_the_push(world, data):
    a = world
    order_id = another_order(a).sync_id  # a fresh order for each example: its first step is always possible
    device = Device(a.technician, name=f"phone-{client_id()}")
    device.pull()
    profile_id = TechnicianProfile.objects.get(user=a.technician).sync_id
    changes: dict = {}  # type: ignore[type-arg]
    poisoned: set[str] = set()
    valid: dict[str, str] = {}
    for table, columns in PUSHABLE.items():
        row = _valid_row(table, order_id, profile_id)
        spoiled = data.draw(st.lists(st.sampled_from(columns), unique=True, max_size=2), label=f"{table} columns")
        for column in spoiled:
            row[column] = data.draw(ANY_VALUE, label=f"{table}.{column}")
        if spoiled:
            poisoned.add(row["id"])
        else:
            valid[table] = row["id"]
        changes[table] = _entry(created=[row])
    # A valid row beside the spoiled ones (``updated`` for an id the server lacks is a create).
    extra = _valid_row("comments", order_id, profile_id)
    changes["comments"]["updated"].append(extra)
    valid["comments+"] = extra["id"]
    body = json.dumps({"changes": changes, "last_pulled_at": device.last_pulled_at})
    response = Client().post("/api/v1/sync/push", data=body, content_type="application/json", **device.auth)
    assert response.status_code == 200, response.content
    answer = response.json()
    reported = {r["id"] for r in answer["refused"]} | {e["id"] for e in answer["events"] if e["status"] == "refused"}
    # Every valid row is applied, none of them refused.
    assert not reported & set(valid.values()), answer
    assert Comment.objects.filter(sync_id=valid["comments+"]).exists()
    if "part_usages" in valid:
        assert PartUsage.objects.filter(sync_id=valid["part_usages"]).exists()
    if "work_order_events" in valid:
        assert TimelineEvent.objects.filter(sync_id=valid["work_order_events"]).exists()
    # A spoiled row is either applied with values its columns hold or reported; never half-applied.
    for record_id in poisoned - {profile_id}:
        applied = (Comment.objects.filter(sync_id=record_id).exists()
                   or PartUsage.objects.filter(sync_id=record_id).exists()
                   or TimelineEvent.objects.filter(sync_id=record_id).exists())
        assert applied or record_id in reported, (record_id, answer)
    for part in PartUsage.objects.all():
        assert math.isfinite(part.quantity) and 0 < part.quantity < 10**8
    assert device.pull_raw().status_code == 200  # and the device is not jammed
