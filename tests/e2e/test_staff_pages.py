"""Staff pages in a real headless Chromium: sign-in, the Chinese admin with live work orders, the
English switch, and the QR page on a phone."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from backend.properties.qr import qr_token_ensure
from tests.e2e.conftest import shot
from tests.factories import DEFAULT_PASSWORD, user_with_roles
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("button[type=submit]")


def test_a_dispatcher_signs_in_and_sees_their_roles_in_chinese(live_server, desktop):
    a, _b = two_sides()
    desktop.goto(f"{live_server.url}/accounts/login/")
    assert desktop.locator("h1").inner_text() == "员工登录"
    shot(desktop, "staff-sign-in")
    sign_in(desktop, live_server.url, a.dispatcher.username)
    desktop.wait_for_url(f"{live_server.url}/console/")  # office staff land on their console start page
    assert "调度员" in desktop.locator("main").inner_text()
    shot(desktop, "staff-home")


def test_a_wrong_password_is_refused_with_a_readable_message(live_server, desktop):
    user = user_with_roles(Role.DISPATCHER)
    desktop.goto(f"{live_server.url}/accounts/login/")
    desktop.fill("#id_username", user.username)
    desktop.fill("#id_password", "wrong-password")
    desktop.click("button[type=submit]")
    assert "用户名" in desktop.locator("[role=alert]").inner_text()


def test_the_admin_lists_work_orders_in_chinese_and_switches_to_english(live_server, desktop):
    a, _b = two_sides()
    user_with_roles(Role.ADMINISTRATOR, username="boss", is_staff=True, is_superuser=True)
    sign_in(desktop, live_server.url, "boss")
    desktop.goto(f"{live_server.url}/admin/workorders/workorder/")
    assert "工单" in desktop.locator("#content").inner_text()
    assert a.order.number in desktop.locator("#result_list").inner_text()
    shot(desktop, "admin-work-orders")
    desktop.goto(f"{live_server.url}/")
    desktop.click("form.lang button")
    desktop.wait_for_load_state()
    assert "Welcome" in desktop.locator("main").inner_text()


def test_a_scanned_qr_code_shows_only_the_place_on_a_phone(live_server, phone):
    a, _b = two_sides()
    token = qr_token_ensure(unit=a.unit, now=timezone.now())
    phone.goto(f"{live_server.url}/q/{token.token}")
    text = phone.locator("main").inner_text()
    assert a.unit.number in text and a.project.name in text
    assert "138" not in text  # no owner phone on an unverified page
    shot(phone, "qr-place-phone")
    phone.goto(f"{live_server.url}/q/forged-token-000000000000")
    assert "此二维码无效" in phone.locator("main").inner_text()
