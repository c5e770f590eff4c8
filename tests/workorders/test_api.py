from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from backend.workorders.models import Attachment, TimelineEvent, WorkOrder
from backend.workorders.states import State
from tests.factories import bearer_for
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def api(user, method, url, body=None, **extra):
    client = Client()
    headers = bearer_for(user, device=f"api-{user.username}-{method}-{len(url)}")
    if body is not None:
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **headers, **extra)
    return getattr(client, method)(url, **headers, **extra)


def test_agent_reports_by_phone_and_gets_number_routing_and_duplicates():
    a, _b = two_sides()
    body = {"channel": "phone", "unit_id": str(a.unit.id), "category_code": "drainage", "description": "卫生间地漏反味",
            "contact_name": "王女士", "contact_phone": "139 0013 9000"}
    response = api(a.agent, "post", "/api/v1/orders", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["order"]["number"].startswith("WX")
    assert data["order"]["contact_phone"] == "+8613900139000"
    assert data["duplicates"] == [a.order.number]
    assert data["order"]["routing_explanation"]["rule"] == "plumbing"
    assert [t["target"] for t in data["order"]["sla"]] == ["response", "arrival", "resolution"]


def test_list_is_scoped_filtered_and_cursor_paginated():
    a, b = two_sides()
    for _ in range(4):
        api(a.agent, "post", "/api/v1/orders", {"channel": "walk_in", "unit_id": str(a.unit.id),
                                                 "category_code": "wall-crack", "description": "墙面裂缝",
                                                 "contact_name": "赵先生", "contact_phone": "13700137000"})
    first = api(a.dispatcher, "get", "/api/v1/orders?limit=3").json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = api(a.dispatcher, "get", f"/api/v1/orders?limit=3&cursor={first['next_cursor']}").json()
    numbers = [o["number"] for o in first["items"] + second["items"]]
    assert len(numbers) == 5 == len(set(numbers)) and second["next_cursor"] is None
    assert b.order.number not in numbers
    structure = api(a.dispatcher, "get", "/api/v1/orders?category=structure").json()["items"]
    assert len(structure) == 4 and all(o["category_code"] == "wall-crack" for o in structure)
    mine = api(a.technician, "get", "/api/v1/orders").json()["items"]
    assert {o["technician_id"] for o in mine} == {str(a.technician.id)}
    bad = api(a.dispatcher, "get", "/api/v1/orders?cursor=%%%")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"


def test_technician_walks_the_order_through_the_machine_and_a_wrong_step_is_409():
    a, _b = two_sides()
    url = f"/api/v1/orders/{a.order.id}/transitions"
    assert api(a.technician, "post", url, {"to": "en_route"}).json()["state"] == "en_route"
    refused = api(a.technician, "post", url, {"to": "completed"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_transition"
    assert refused.json()["details"] == {"from": "en_route", "to": "completed", "order": a.order.number}
    for step in ("on_site", "in_progress"):
        assert api(a.technician, "post", url, {"to": step}).status_code == 200
    waiting = api(a.technician, "post", url, {"to": "waiting"})
    assert waiting.status_code == 422 and waiting.json()["code"] == "precondition_failed"
    assert api(a.technician, "post", url, {"to": "waiting", "waiting_reason": "parts"}).json()["waiting_reason"] == "parts"
    assert api(a.technician, "post", url, {"to": "in_progress"}).status_code == 200
    done = api(a.technician, "post", url, {"to": "completed", "note": "已疏通", "device_at": "2026-11-25T10:00:00+08:00"})
    assert done.json()["state"] == State.COMPLETED
    last = TimelineEvent.objects.filter(order=a.order, kind="state").last()
    assert last.note == "已疏通" and last.device_at.isoformat() == "2026-11-25T02:00:00+00:00"


def test_events_since_returns_what_a_live_client_missed():
    a, _b = two_sides()
    seen = TimelineEvent.objects.filter(order=a.order).order_by("-id").first().id
    api(a.agent, "post", f"/api/v1/orders/{a.order.id}/comments", {"body": "已电话联系业主"})
    missed = api(a.dispatcher, "get", f"/api/v1/orders/events?since={seen}").json()
    assert [e["kind"] for e in missed] == ["comment"] and missed[0]["note"] == "已电话联系业主"


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 90, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_photo_upload_is_cleaned_and_deduplicated():
    a, _b = two_sides()
    url = f"/api/v1/orders/{a.order.id}/attachments"
    headers = bearer_for(a.technician, device="camera")
    data = _jpeg()
    first = Client().post(url, {"file": SimpleUploadedFile("a.jpg", data, "image/jpeg")}, **headers)
    again = Client().post(url, {"file": SimpleUploadedFile("b.jpg", data, "image/jpeg")}, **headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and Attachment.objects.count() == 1
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG", optimize=True)
    refused = Client().post(url, {"file": SimpleUploadedFile("bomb.png", bomb.getvalue(), "image/png")}, **headers)
    assert refused.status_code == 400 and refused.json()["code"] == "upload_rejected"
    assert Attachment.objects.count() == 1


def test_unknown_fields_and_bad_values_are_refused_and_nothing_is_saved():
    a, _b = two_sides()
    before = WorkOrder.objects.count()
    response = api(a.agent, "post", "/api/v1/orders", {"channel": "phone", "unit_id": str(a.unit.id),
                                                        "category_code": "drainage", "description": "x",
                                                        "contact_name": "x", "contact_phone": "13800138000",
                                                        "state": "closed"})
    assert response.status_code == 422 and response.json()["details"]["errors"][0]["field"] == "state"
    response = api(a.agent, "post", "/api/v1/orders", {"channel": "phone", "unit_id": str(a.unit.id),
                                                        "category_code": "drainage", "description": "x",
                                                        "contact_name": "x", "contact_phone": "555"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_order"
    assert WorkOrder.objects.count() == before


def test_dispatcher_sees_technicians_with_load_and_technician_reports_position():
    a, _b = two_sides()
    status = api(a.technician, "post", "/api/v1/technicians/me/status",
                 {"on_duty": False, "latitude": "31.230416", "longitude": "121.473701"}).json()
    assert status["on_duty"] is False and status["last_latitude"] == "31.230416"
    techs = {t["id"]: t for t in api(a.dispatcher, "get", "/api/v1/technicians").json()}
    assert techs[str(a.technician.id)]["open_orders"] == 1
    assert techs[str(a.technician.id)]["on_duty"] is False


def test_nul_characters_in_a_request_body_are_dropped_not_a_server_error():
    a, _b = two_sides()
    body = {"channel": "phone", "unit_id": str(a.unit.id), "category_code": "drainage", "description": "地漏\u0000反味",
            "contact_name": "王\u0000女士", "contact_phone": "139 0013 9000"}
    response = api(a.agent, "post", "/api/v1/orders", body)
    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get(number=response.json()["order"]["number"])
    assert (order.description, order.contact_name) == ("地漏反味", "王女士")


def test_an_agent_can_take_an_order_for_a_contact_who_reads_english():
    a, _b = two_sides()
    body = {"channel": "phone", "unit_id": str(a.unit.id), "category_code": "drainage", "description": "Drain smells",
            "contact_name": "Ms Smith", "contact_phone": "13900139001", "contact_language": "en"}
    response = api(a.agent, "post", "/api/v1/orders", body)
    assert response.status_code == 201, response.content
    assert response.json()["order"]["contact_language"] == "en"
    before = WorkOrder.objects.count()
    refused = api(a.agent, "post", "/api/v1/orders", {**body, "contact_language": "fr"})
    assert refused.status_code == 422 and refused.json()["details"]["errors"][0]["field"] == "contact_language"
    assert WorkOrder.objects.count() == before
