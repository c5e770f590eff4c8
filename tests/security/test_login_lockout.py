"""Nobody can lock a user out of sign-in: failures count per address and per username at that address,
and a username attacked from everywhere asks its real user for the code texted to their phone."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.notifications.models import Delivery
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.owner_portal.helpers import last_code

pytestmark = pytest.mark.django_db


def _login(address: str, username: str, password: str, code: str = ""):
    client = Client(REMOTE_ADDR=address)
    data = {"username": username, "password": password, **({"code": code} if code else {})}
    return client, client.post("/accounts/login/", data)


def _error_codes(response) -> set[str]:
    return {error.code for error in response.context["form"].non_field_errors().as_data()}


def test_ten_failures_from_one_address_do_not_lock_the_user_out_elsewhere():
    UserFactory(username="cs1", phone="+8613800000001")
    for _ in range(10):
        _login("203.0.113.9", "cs1", "wrong")
    _client, refused = _login("203.0.113.9", "cs1", DEFAULT_PASSWORD)
    assert "rate_limited" in _error_codes(refused)
    client, response = _login("198.51.100.4", "cs1", DEFAULT_PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_a_username_attacked_from_many_addresses_is_opened_by_its_user_with_the_texted_code():
    user = UserFactory(username="cs2", phone="+8613800000002")
    for n in range(31):
        _login(f"192.0.2.{n}", "cs2", "wrong")
    # The real user, at the office: the right password alone is not enough now, and a code is texted.
    client, response = _login("198.51.100.7", "cs2", DEFAULT_PASSWORD)
    assert response.status_code == 200 and "login_code_required" in _error_codes(response)
    assert "_auth_user_id" not in client.session
    assert 'name="code"' in response.content.decode() and "验证码已发送" in response.content.decode()
    code = last_code(user.phone)
    # The attacker, without the code, still cannot pass with a right guess; a wrong code counts as a failure.
    _c, guessed = _login("192.0.2.200", "cs2", DEFAULT_PASSWORD, code="000000" if code != "000000" else "111111")
    assert "login_code_invalid" in _error_codes(guessed)
    client, response = _login("198.51.100.7", "cs2", DEFAULT_PASSWORD, code=code)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.id)
    # Signing in with the code lifts the lock: the next sign-in needs only the password.
    client, response = _login("198.51.100.7", "cs2", DEFAULT_PASSWORD)
    assert response.status_code == 302


def test_a_code_is_used_once_and_burned_after_five_wrong_tries():
    user = UserFactory(username="cs3", phone="+8613800000003")
    for n in range(31):
        _login(f"192.0.2.{n}", "cs3", "wrong")
    _login("198.51.100.8", "cs3", DEFAULT_PASSWORD)
    code = last_code(user.phone)
    wrong = "999999" if code != "999999" else "888888"
    for n in range(5):
        _login(f"198.51.100.{20 + n}", "cs3", DEFAULT_PASSWORD, code=wrong)
    _c, response = _login("198.51.100.30", "cs3", DEFAULT_PASSWORD, code=code)
    assert "login_code_invalid" in _error_codes(response)


def test_an_unknown_username_gets_the_same_answer_and_no_text_is_sent():
    for n in range(31):
        _login(f"192.0.2.{n}", "nobody", "wrong")
    _c, response = _login("198.51.100.9", "nobody", "whatever")
    assert "login_code_required" in _error_codes(response)
    assert not Delivery.objects.filter(event_type="sms.otp_code").exists()


def test_the_device_token_endpoint_asks_for_the_code_in_the_error_contract_and_takes_it():
    user = UserFactory(username="tech9", phone="+8613800000009")
    body = {"username": "tech9", "password": "wrong", "device_name": "phone"}
    for n in range(31):
        Client(REMOTE_ADDR=f"192.0.2.{n}").post("/api/v1/auth/tokens", body, content_type="application/json")
    right = {**body, "password": DEFAULT_PASSWORD}
    response = Client(REMOTE_ADDR="198.51.100.10").post("/api/v1/auth/tokens", right, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "login_code_required"
    response = Client(REMOTE_ADDR="198.51.100.10").post("/api/v1/auth/tokens", {**right, "code": last_code(user.phone)},
                                                        content_type="application/json")
    assert response.status_code == 201 and response.json()["token"].startswith("ax_")
