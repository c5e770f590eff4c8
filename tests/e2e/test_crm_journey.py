"""The sales journey in a real Chromium: a walk-in lead → a call → a showing (带看) → a unit reserved on the
sales board → the subscription → the contract with a discount that the sales manager approves → signed →
finance records the payments → the unit is on the ready-for-handover list. Screenshots for the README:
the consultant's list, the customer 360 on a phone, the board, the approvals, the dashboard."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from backend.crm.models import Customer
from tests.crm.world import office
from tests.e2e.conftest import shot

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 20000


def signed_in(browser, base: str, user, *, viewport=None, mobile: bool = False):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    options = {"viewport": viewport or {"width": 1440, "height": 900}, "locale": "zh-CN"}
    if mobile:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**options)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}])
    return context, context.new_page()


def test_walk_in_to_ready_for_handover(live_site, browser):
    base, _live = live_site
    o = office(consultants=2, units=6)
    consultant_ctx, page = signed_in(browser, base, o.alice)
    page.goto(f"{base}/")
    page.wait_for_url(f"{base}/crm/")
    assert "我的客户" in page.locator("nav.side").inner_text()
    form = page.locator("form[data-form=lead]")
    form.locator("input[name=name]").fill("陈一鸣")
    form.locator("input[name=phone]").fill("139 1234 5678")
    form.locator("input[name=consent]").check()
    form.locator("button[data-action=lead]").click()
    page.wait_for_url("**/crm/customers/*")
    customer = Customer.objects.get(phone="+8613912345678")
    assert customer.holder_id == o.alice.id

    # The follow-up form on a phone: a call, then a showing.
    phone_ctx, phone = signed_in(browser, base, o.alice, viewport={"width": 375, "height": 812}, mobile=True)
    phone.goto(f"{base}/crm/customers/{customer.id}")
    follow = phone.locator("form[data-form=follow_up]")
    follow.locator("select[name=kind]").select_option("call")
    follow.locator("textarea[name=note]").fill("电话沟通：预算 300 万，三居室")
    follow.locator("button[data-action=follow_up]").click()
    phone.wait_for_selector("[data-stage=contacted]", timeout=WAIT)
    follow = phone.locator("form[data-form=follow_up]")
    follow.locator("select[name=kind]").select_option("showing")
    follow.locator("textarea[name=note]").fill("带看样板间和 2 号楼")
    follow.locator("input[name=next_step]").fill("周末算价")
    follow.locator("button[data-action=follow_up]").click()
    phone.wait_for_selector("[data-stage=showing]", timeout=WAIT)
    shot(phone, "crm-customer-phone")
    phone_ctx.close()

    # The sales board: reserve an available unit for the customer.
    page.goto(f"{base}/crm/inventory/{o.building.id}")
    unit = o.units[2]
    cell = page.locator(f"td[data-unit='{unit.id}']")
    cell.locator("select[name=customer]").select_option(str(customer.id))
    cell.locator("button[data-action=reserve]").click()
    page.wait_for_url(f"**/crm/customers/{customer.id}", timeout=WAIT)
    page.goto(f"{base}/crm/inventory/{o.building.id}")
    assert page.locator(f"td[data-unit='{unit.id}']").get_attribute("data-status") == "reserved"
    shot(page, "crm-inventory-board")

    # Subscription with a deposit, then the contract with a 60 000 ¥ discount (the manager approves).
    page.goto(f"{base}/crm/customers/{customer.id}")
    unit_form = page.locator("form[data-form=unit]")
    unit_form.locator("select[name=unit_id]").select_option(str(unit.id))
    unit_form.locator("input[name=deposit_yuan]").fill("50000")
    unit_form.locator("button[data-action=subscribe]").click()
    page.wait_for_selector("form[data-form=contract]", timeout=WAIT)
    contract_form = page.locator("form[data-form=contract]")
    contract_form.locator("input[name=buyers]").fill("陈一鸣，林小雨")
    contract_form.locator("input[name=discount_yuan]").fill("60000")
    contract_form.locator("select[name=payment_method]").select_option("full")
    contract_form.locator("button[data-action=contract]").click()
    page.wait_for_selector("[data-contract][data-status=pending_approval]", timeout=WAIT)

    manager_ctx, manager = signed_in(browser, base, o.manager)
    manager.goto(f"{base}/crm/approvals")
    assert "陈一鸣" in manager.locator("main").inner_text()
    shot(manager, "crm-discount-approvals")
    manager.locator("button[data-action=approve]").first.click()
    manager.wait_for_url(f"{base}/crm/approvals", timeout=WAIT)
    assert manager.locator("[data-contract]").count() == 0

    page.goto(f"{base}/crm/customers/{customer.id}")
    page.locator("button[data-action=sign]").click()
    page.wait_for_selector("[data-contract][data-status=signed]", timeout=WAIT)
    assert page.locator("[data-stage=signed]").count() == 1
    shot(page, "crm-customer-360")

    # Finance records the deposit and the balance; the unit is then ready for handover.
    finance_ctx, finance = signed_in(browser, base, o.finance)
    finance.goto(f"{base}/crm/payments?project={o.project.id}")
    for _ in range(2):
        row = finance.locator("tr[data-line][data-status=receivable]").first
        row.locator("button[data-action=pay]").click()
        finance.wait_for_load_state()
    assert finance.locator("tr[data-line][data-status=received]").count() == 2
    shot(finance, "crm-payments")
    finance.goto(f"{base}/crm/handover?project={o.project.id}")
    assert finance.locator(f"tr[data-unit='{unit.id}']").count() == 1
    assert "陈一鸣、林小雨" in finance.locator("table[data-table=ready]").inner_text()
    shot(finance, "crm-ready-for-handover")

    manager.goto(f"{base}/crm/team?project={o.project.id}")
    assert manager.locator(f"tr[data-consultant='{o.alice.id}']").count() == 1
    shot(manager, "crm-team")
    manager.goto(f"{base}/crm/dashboard?project={o.project.id}")
    manager.wait_for_function("document.querySelector('#funnel canvas') !== null", timeout=WAIT)
    shot(manager, "crm-dashboard")
    page.goto(f"{base}/crm/")
    shot(page, "crm-my-customers")
    for ctx in (consultant_ctx, manager_ctx, finance_ctx):
        ctx.close()
