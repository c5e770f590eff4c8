"""Every API failure has the shape {code, message, details}, in the caller's language."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from backend.accounts.roles import Role
from tests.factories import bearer_for, user_with_roles

pytestmark = pytest.mark.django_db


def assert_contract(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.content.decode()
    return body


def test_malformed_json_is_a_400_in_chinese_by_default():
    body = assert_contract(
        Client().post("/api/v1/auth/tokens", data="{not json", content_type="application/json"), 400, "malformed_request"
    )
    assert body["message"] == "请求内容不是有效的 JSON。"


def test_english_is_chosen_by_accept_language():
    response = Client().post("/api/v1/auth/tokens", data="{not json", content_type="application/json",
                             HTTP_ACCEPT_LANGUAGE="en")
    assert assert_contract(response, 400, "malformed_request")["message"] == "The request body is not valid JSON."


def test_unknown_fields_are_refused_with_the_field_named():
    response = Client().post(
        "/api/v1/auth/tokens",
        data=json.dumps({"username": "a", "password": "b", "device_name": "c", "is_superuser": True}),
        content_type="application/json",
    )
    body = assert_contract(response, 422, "validation_error")
    errors = body["details"]["errors"]
    assert errors == [{"source": "body", "field": "is_superuser", "reason": "不允许提交此字段。", "type": "extra_forbidden"}]


def test_wrong_types_and_missing_fields_are_listed_each():
    response = Client().post("/api/v1/auth/tokens", data=json.dumps({"username": 5, "password": "x"}),
                             content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    body = assert_contract(response, 422, "validation_error")
    by_field = {e["field"]: e for e in body["details"]["errors"]}
    assert by_field["username"]["reason"] == "Expected text."
    assert by_field["device_name"]["reason"] == "This field is required."


def test_missing_credentials_get_401():
    assert_contract(Client().get("/api/v1/auth/me"), 401, "not_authenticated")


def test_wrong_role_gets_403():
    homeowner = user_with_roles(Role.HOMEOWNER)
    assert_contract(Client().get("/api/v1/teams", **bearer_for(homeowner)), 403, "permission_denied")


def test_unknown_api_url_gets_404_json_not_html():
    assert_contract(Client().get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_gets_405_json():
    assert_contract(Client().put("/api/v1/health"), 405, "method_not_allowed")


@override_settings(MAX_REQUEST_BYTES=1024)
def test_oversized_body_gets_413_before_anything_is_read():
    response = Client().post("/api/v1/auth/tokens", data="x" * 2048, content_type="application/json")
    body = assert_contract(response, 413, "payload_too_large")
    assert body["details"] == {"max_bytes": 1024, "received_bytes": 2048}


def test_too_many_token_attempts_get_429_with_retry_after():
    client = Client()
    payload = json.dumps({"username": "nobody", "password": "wrong", "device_name": "d"})
    statuses = [client.post("/api/v1/auth/tokens", data=payload, content_type="application/json").status_code
                for _ in range(11)]
    assert statuses[:10] == [401] * 10
    response = client.post("/api/v1/auth/tokens", data=payload, content_type="application/json")
    body = assert_contract(response, 429, "rate_limited")
    assert int(response["Retry-After"]) == body["details"]["retry_after_seconds"] > 0


def test_unhandled_error_is_a_500_without_a_stack_trace(monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("backend.accounts.selectors.me_get", explode)
    user = user_with_roles(Role.DISPATCHER)
    response = Client(raise_request_exception=False).get("/api/v1/auth/me", **bearer_for(user))
    body = assert_contract(response, 500, "server_error")
    assert "secret internal detail" not in json.dumps(body)


def test_html_pages_keep_html_errors():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
