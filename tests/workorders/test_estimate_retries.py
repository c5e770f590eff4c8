"""A cost estimate sent with the client's own id is made once, however often the phone retries it."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from backend.workorders.actors import Actor
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.effects import order_transition
from backend.workorders.models import ApprovalInstance, ApprovalPending, TimelineEvent, WorkOrder
from backend.workorders.services import order_intake
from backend.workorders.states import State
from tests.workorders.test_api import api
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def working_side():
    a, b = two_sides()
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=step, now=timezone.now())
    return a, b


def estimate(user, order_id, **body):
    return api(user, "post", f"/api/v1/orders/{order_id}/estimate", {"amount_yuan": "1200.00", "note": "更换防水层", **body})


def test_a_retried_estimate_returns_the_first_one_and_starts_one_approval_only():
    a, _b = working_side()
    first = estimate(a.technician, a.order.id, client_id="k3T9xQ2mVb7LwZ4a")
    assert first.status_code == 201, first.content
    again = estimate(a.technician, a.order.id, client_id="k3T9xQ2mVb7LwZ4a")
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["amount_yuan"] == first.json()["amount_yuan"] and again.json()["status"] == "in_progress"
    assert ApprovalInstance.objects.filter(order=a.order).count() == 1
    assert TimelineEvent.objects.filter(order=a.order, kind="estimate").count() == 1
    assert ApprovalPending.objects.filter(approval_id=first.json()["id"]).count() == 1
    order = WorkOrder.objects.get(id=a.order.id)
    assert (order.state, order.waiting_reason) == (State.WAITING, "approval")


def test_a_retry_after_the_approval_closed_still_returns_that_estimate_instead_of_a_new_one():
    a, _b = working_side()
    first = estimate(a.technician, a.order.id, client_id="retry-after-approval", amount_yuan="300.00")
    assert first.status_code == 201 and first.json()["status"] == "approved"  # small: no approval needed
    again = estimate(a.technician, a.order.id, client_id="retry-after-approval", amount_yuan="300.00")
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert ApprovalInstance.objects.filter(order=a.order).count() == 1


def test_the_same_client_id_with_another_amount_or_note_is_a_conflict_and_changes_nothing():
    a, _b = working_side()
    first = estimate(a.technician, a.order.id, client_id="k3T9xQ2mVb7LwZ4a")
    other_amount = estimate(a.technician, a.order.id, client_id="k3T9xQ2mVb7LwZ4a", amount_yuan="1300.00")
    assert other_amount.status_code == 409
    body = other_amount.json()
    assert body["code"] == "estimate_client_id_reused" and body["message"]
    assert body["details"] == {"approval_id": first.json()["id"], "fields": ["amount_yuan"]}
    other_note = estimate(a.technician, a.order.id, client_id="k3T9xQ2mVb7LwZ4a", note="另一项")
    assert other_note.status_code == 409 and other_note.json()["details"]["fields"] == ["note"]
    assert ApprovalInstance.objects.filter(order=a.order).count() == 1


def test_the_same_client_id_on_another_order_is_a_conflict():
    a, _b = working_side()
    estimate(a.technician, a.order.id, client_id="k3T9xQ2mVb7LwZ4a")
    other = order_intake(actor=Actor(user=a.agent), channel="phone", category_code="drainage", description="阳台地漏堵塞",
                         contact_name="李先生", contact_phone="13900139001", now=timezone.now(), unit_id=a.unit.id,
                         route_now=False).order
    dispatch.order_assign(actor=a.dispatcher, order_id=other.id, technician_id=a.technician.id, reason="同一师傅",
                          now=timezone.now())
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=other.id, actor=Actor(user=a.technician), to=step, now=timezone.now())
    response = estimate(a.technician, other.id, client_id="k3T9xQ2mVb7LwZ4a")
    assert response.status_code == 409 and response.json()["details"]["fields"] == ["order_id"]
    assert not ApprovalInstance.objects.filter(order=other).exists()


def test_client_ids_are_per_user_so_two_technicians_never_share_an_estimate():
    a, _b = working_side()
    manager = a.team.supervisor
    mine = estimate(a.technician, a.order.id, client_id="shared-client-id", amount_yuan="300.00")
    theirs = estimate(manager, a.order.id, client_id="shared-client-id", amount_yuan="300.00")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize("client_id", ["short", "x" * 65, "has space!", "中文标识中文标识"])
def test_a_malformed_client_id_is_refused_in_the_error_contract(client_id):
    a, _b = working_side()
    response = estimate(a.technician, a.order.id, client_id=client_id)
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert not ApprovalInstance.objects.exists()


def test_without_a_client_id_each_estimate_is_new_as_before():
    a, _b = working_side()
    first = estimate(a.technician, a.order.id, amount_yuan="300.00")
    second = estimate(a.technician, a.order.id, amount_yuan="300.00")
    assert (first.status_code, second.status_code) == (201, 201)
    assert ApprovalInstance.objects.filter(order=a.order).count() == 2


def test_another_technician_cannot_replay_or_probe_an_estimate():
    a, b = working_side()
    estimate(a.technician, a.order.id, client_id="k3T9xQ2mVb7LwZ4a")
    stranger = estimate(b.technician, a.order.id, client_id="k3T9xQ2mVb7LwZ4a")
    assert stranger.status_code == 404
    assert ApprovalInstance.objects.filter(order=a.order).count() == 1


def test_the_openapi_document_shows_the_client_id_and_the_replay_answer():
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/orders/{order_id}/estimate"]["post"]
    assert {"200", "201", "409"} <= set(operation["responses"])
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    field = schema["components"]["schemas"][ref]["properties"]["client_id"]
    text = json.dumps(field)
    assert "A-Za-z0-9_-" in text and "8,64" in text
