"""Input no person sends gets a 4xx in the error contract, never a 500 — and changes nothing."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from backend.accounts.roles import Role
from tests.authz.framework import database_snapshot
from tests.factories import bearer_for, user_with_roles
from tests.owner_portal.helpers import home_with_owner, verified_client
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def _cursor(created: str, order_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created, order_id]).encode()).decode().rstrip("=")


def _assert_contract(response, status: int) -> None:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["message"]


@pytest.mark.parametrize("url", [
    "/api/v1/orders?state=%00",
    "/api/v1/properties/projects?search=%00",
    "/api/v1/orders?text=a%00b",
])
def test_nul_in_an_api_query_string_is_a_400(url):
    admin = bearer_for(user_with_roles(Role.ADMINISTRATOR))
    response = Client().get(url, **admin)
    _assert_contract(response, 400)
    assert response.json()["details"]["reason"] == "nul_character"
    assert response.json()["message"] == "请求中含有不允许的字符（NUL）。"


def test_nul_in_a_public_portal_query_is_a_400_page():
    response = Client().get("/portal/kb/suggest?category=%00")
    assert response.status_code == 400 and b"<html" in response.content


@pytest.mark.parametrize("url", [
    "/api/v1/orders?cursor=" + _cursor("0001-01-01T00:00:00+00:00", "7f5a4c1e-0a55-4b1b-8d5e-1a2b3c4d5e6f"),
    "/api/v1/orders?cursor=" + _cursor("2026-01-01T00:00:00+00:00", "not-a-uuid"),
    "/api/v1/orders?cursor=" + _cursor("9999-12-31T23:59:59+00:00", "7f5a4c1e-0a55-4b1b-8d5e-1a2b3c4d5e6f"),
    "/api/v1/orders?cursor=bm90IGpzb24",
    "/api/v1/orders?created_from=0001-01-01T00:00:00Z",
    "/api/v1/orders?created_to=9999-12-31T23:59:59-14:00",
    "/api/v1/properties/projects?offset=1e23",
    "/api/v1/properties/projects?offset=100000000000000000000000",
])
def test_cursors_dates_and_offsets_out_of_range_are_a_422(url):
    admin = bearer_for(user_with_roles(Role.ADMINISTRATOR))
    _assert_contract(Client().get(url, **admin), 422)


@pytest.mark.parametrize("device_at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00",
                                       "1970-01-01T00:00:00Z"])
def test_an_extreme_device_time_is_kept_as_implausible_and_every_page_of_the_order_still_reads(device_at):
    from backend.workorders.models import TimelineEvent

    home, _other = home_with_owner()
    a = home.side
    technician, dispatcher = bearer_for(a.technician, device="phone-2"), bearer_for(a.dispatcher, device="desk")
    response = Client().post(f"/api/v1/orders/{a.order.id}/transitions", content_type="application/json",
                             data=json.dumps({"to": "en_route", "device_at": device_at}), **technician)
    assert response.status_code == 200, response.content[:300]
    event = TimelineEvent.objects.get(order=a.order, to_state="en_route")
    assert event.device_at is None and event.data["device_at_implausible"].startswith(device_at[:4])
    assert Client().get(f"/api/v1/orders/{a.order.id}", **dispatcher).status_code == 200
    assert Client().get("/api/v1/orders/events", **dispatcher).status_code == 200
    assert verified_client(home).get(f"/portal/orders/{a.order.id}").status_code == 200


def test_a_plausible_device_time_is_stored():
    from backend.workorders.models import TimelineEvent

    a, _b = two_sides()
    Client().post(f"/api/v1/orders/{a.order.id}/transitions", content_type="application/json",
                  data=json.dumps({"to": "en_route", "device_at": "2026-06-01T08:00:00+08:00"}),
                  **bearer_for(a.technician))
    event = TimelineEvent.objects.get(order=a.order, to_state="en_route")
    assert event.device_at is not None and "device_at_implausible" not in event.data


def test_an_order_with_a_slot_out_of_range_is_refused():
    a, _b = two_sides()
    response = Client().post("/api/v1/orders", content_type="application/json", **bearer_for(a.agent),
                             data=json.dumps({"channel": "phone", "unit_id": str(a.unit.id), "category_code": "drainage",
                                              "description": "漏水", "contact_name": "张", "contact_phone": "13800138000",
                                              "preferred_slots": [{"start": "0001-01-01T09:00:00Z",
                                                                   "end": "0001-01-01T10:00:00Z"}]}))
    _assert_contract(response, 422)


def test_multipart_without_a_boundary_is_a_400_before_anything_is_read():
    a, _b = two_sides()
    headers = bearer_for(a.technician, device="phone-2")
    before = database_snapshot()
    response = Client().post(f"/api/v1/orders/{a.order.id}/attachments", data=b"--x\r\n\r\n",
                             content_type="multipart/form-data", **headers)
    _assert_contract(response, 400)
    assert response.json()["details"]["reason"] == "multipart_boundary"
    assert database_snapshot() == before


def test_a_malformed_multipart_body_gets_the_error_body():
    a, _b = two_sides()
    response = Client().post(f"/api/v1/orders/{a.order.id}/attachments", data=b"garbage without parts",
                             content_type="multipart/form-data; boundary=abc", **bearer_for(a.technician))
    assert 400 <= response.status_code < 500
    _assert_contract(response, response.status_code)


def test_portal_forms_with_bad_ids_and_impossible_slots_are_field_errors():
    home, _other = home_with_owner()
    client = verified_client(home)
    order = home.side.order
    before = database_snapshot()
    existing = client.post(f"/q/{home.token}/report", {"choice": "existing:x", "description": "又漏了"})
    assert existing.status_code == 422
    quote = client.post(f"/portal/orders/{order.id}/quote", {"quote_id": "x", "decision": "accept"})
    assert quote.status_code == 422
    slot = client.post(f"/portal/orders/{order.id}/reschedule",
                       {"slot_start": "2026-13-45T99:00", "slot_end": "2026-13-45T99:30", "note": "改约"})
    assert slot.status_code == 422
    far = client.post(f"/portal/orders/{order.id}/reschedule",
                      {"slot_start": "0001-01-01T09:00", "slot_end": "0001-01-01T10:00"})
    assert far.status_code == 422
    json_slot = client.post(f"/portal/orders/{order.id}/reschedule", {"slot_start": "2026-13-45T99:00"},
                            HTTP_ACCEPT="application/json")
    assert json_slot.status_code == 422
    assert database_snapshot() == before


def test_validation_reasons_are_never_pydantics_english_text():
    from django.utils import translation

    from backend.core.api_errors import validation_details

    with translation.override("zh-hans"):
        details = validation_details([
            {"type": "url_parsing", "loc": ("body", "payload", "link"), "msg": "Input should be a valid URL"},
            {"type": "too_long", "loc": ("body", "payload", "slots"), "msg": "List should have at most 5 items"},
        ])
    reasons = [error["reason"] for error in details["errors"]]
    assert reasons == ["取值无效。", "列表中的项目过多或过少。"]


def test_the_openapi_document_does_not_show_the_demo_password():
    from backend.properties.demo import DEMO_PASSWORD

    assert DEMO_PASSWORD not in Client().get("/api/v1/openapi.json").content.decode()


@pytest.mark.parametrize("raw", ["0224-06-30", "9999-12-31", "1066/10/14"])
def test_an_import_cell_with_a_date_out_of_range_is_a_cell_error(raw):
    from backend.properties.imports.base import CellError, a_date

    with pytest.raises(CellError):
        a_date(raw)
    assert str(a_date("2024-06-30")) == "2024-06-30"


def test_the_refusal_follows_the_callers_language():
    admin = bearer_for(user_with_roles(Role.ADMINISTRATOR))
    response = Client().get("/api/v1/orders?state=%00", HTTP_ACCEPT_LANGUAGE="en", **admin)
    assert response.json()["message"] == "The request contains a character that is not allowed (NUL)."
