"""The report form's refusals in a real Chromium on a phone: a missing category is named on the page
(the browser cannot point at the hidden radios), and too large an upload without the script gets a
page in the portal's layout with a way back to the form."""

from __future__ import annotations

import pytest
from django.test import override_settings

from backend.workorders.models import WorkOrder
from tests.e2e.test_owner_journey import photo_file, verify_in_browser
from tests.owner_portal.helpers import home_with_owner

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_report_without_a_category_says_what_is_missing(live_server, phone):
    home, _other = home_with_owner()
    phone.goto(f"{live_server.url}/q/{home.token}/verify")
    verify_in_browser(phone, home.owner.phone)
    phone.wait_for_selector("#report-form")
    phone.fill("#description", "卫生间天花板漏水")
    phone.click("#submit-report")
    error = phone.wait_for_selector("#report-js-error:not([hidden])")
    assert "请选择问题类型" in error.inner_text()
    assert not WorkOrder.objects.filter(channel="qr").exists()
    # Choosing a kind then sends the report.
    phone.click("[data-family=waterproofing]")
    phone.click("text=卫生间渗漏")
    phone.click("#submit-report")
    phone.wait_for_url("**/portal/orders/*")
    assert WorkOrder.objects.filter(channel="qr", category_code="bathroom-leak").count() == 1


def test_too_large_an_upload_without_javascript_leads_back_to_the_form(live_server, browser, tmp_path):
    home, _other = home_with_owner()
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, locale="zh-CN",
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/q/{home.token}/verify")
        verify_in_browser(page, home.owner.phone)
        page.wait_for_selector("#report-form")
        page.check("input[name=category_code][value=bathroom-leak]")
        page.fill("#description", "卫生间天花板漏水")
        page.set_input_files("#photos", [photo_file(tmp_path, "big.jpg", (120, 130, 140))])
        with override_settings(MAX_REQUEST_BYTES=50_000):
            page.click("#submit-report")
            page.wait_for_selector("#error-page[data-status='413']")
        assert "内容过大" in page.locator("main").inner_text()
        page.click("#error-back")
        page.wait_for_selector("#report-form")
        assert not WorkOrder.objects.filter(channel="qr").exists()
    finally:
        context.close()
