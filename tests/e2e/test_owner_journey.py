"""The homeowner's journey in a real Chromium on a 375 px phone: scan → verify → report a leak with two
photos → a dispatcher assigns through the API → the page shows 已派单 without a reload → the
technician's steps → complete → rate; then reopen. Also: a revoked code, the OTP lockout, English.

On PostgreSQL the pages are served by a real daphne process (HTTP and WebSockets, as in production)
on the test database, so the update arrives over the WebSocket. On the embedded SQLite database (in
memory, invisible to another process) the pages are served by the in-process live server, which has
no WebSockets: the page's polling fallback brings the update instead. Each run asserts which path it took.
"""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from backend.accounts.models import TechnicianProfile
from backend.properties.qr import qr_token_rotate
from backend.workorders.models import WorkOrder
from owner_portal.models import Article, ArticleStep
from owner_portal.services import article_reindex
from tests.e2e.conftest import shot
from tests.factories import bearer_for, registry_admin
from tests.owner_portal.helpers import home_with_owner, last_code

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def portal_server(live_site):
    return live_site


def api(base: str, user, method: str, path: str, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json", **{k.removeprefix("HTTP_").title(): v
                                                     for k, v in bearer_for(user, device=f"e2e-{path}").items()}}
    req = urllib.request.Request(f"{base}{path}", data=json.dumps(body or {}).encode(), method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=20) as response:
        return json.loads(response.read())


def photo_file(folder: Path, name: str, color: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), color).save(buffer, "JPEG", quality=90)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return str(path)


def leak_article() -> Article:
    article = Article.objects.create(category_code="bathroom-leak", title="卫生间天花板滴水怎么办",
                                     summary="先关闭楼上用水，判断是冷凝水还是渗漏", keywords="漏水 滴水 渗水 天花板")
    ArticleStep.objects.create(article=article, position=1, text="请楼上住户暂停使用淋浴，观察 30 分钟是否仍滴水。")
    ArticleStep.objects.create(article=article, position=2, text="若持续滴水，请拍下天花板照片并报修。")
    article_reindex(article_id=article.id)
    return article


def verify_in_browser(page, phone: str) -> None:
    page.fill("#phone", phone)
    page.click("#send-code")
    page.wait_for_selector("#code")
    page.fill("#code", last_code(phone))
    page.click("#check-code")


def test_an_owner_reports_a_leak_and_follows_it_live_to_the_rating(portal_server, phone, tmp_path):
    base, live_path = portal_server
    home, _other = home_with_owner()
    leak_article()
    a = home.side
    # Nobody is on duty, so routing leaves the order in the queue and the dispatcher assigns it.
    TechnicianProfile.objects.update(on_duty=False)

    phone.goto(f"{base}/q/{home.token}")
    assert home.unit.number in phone.locator("main").inner_text()
    shot(phone, "portal-1-scan")
    phone.click("#choice-report")
    phone.wait_for_selector("#phone")
    phone.fill("#phone", home.owner.phone)
    phone.click("#send-code")
    phone.wait_for_selector("#code")
    shot(phone, "portal-2-verify")
    phone.fill("#code", last_code(home.owner.phone))
    phone.click("#check-code")

    phone.wait_for_selector("#report-form")
    phone.click("[data-family=waterproofing]")
    phone.click("text=卫生间渗漏")
    phone.fill("#description", "卫生间天花板漏水，楼上洗澡时一直滴水")
    phone.wait_for_selector("#suggestion-list a")
    assert "天花板滴水" in phone.locator("#suggestion-list").inner_text()
    phone.fill("#location_detail", "主卫")
    phone.set_input_files("#photos", [photo_file(tmp_path, "leak-1.jpg", (120, 130, 140)),
                                      photo_file(tmp_path, "leak-2.jpg", (60, 70, 200))])
    phone.wait_for_selector("#photo-previews[data-count='2']")
    shot(phone, "portal-3-report")
    phone.click("#submit-report")
    phone.wait_for_url("**/portal/orders/*")

    order = WorkOrder.objects.get(channel="qr")
    assert order.attachments.count() == 2
    assert max(order.attachments.values_list("width", flat=True)) <= 1600  # resized in the browser
    assert phone.locator("#owner-state").inner_text() == "已受理"
    phone.fill("#message-body", "请尽量安排周末上门")
    phone.click("#send-message")
    phone.wait_for_selector(".bubble.mine")
    phone.evaluate("window.__notReloaded = true")
    shot(phone, "portal-4-received")

    api(base, a.dispatcher, "POST", f"/api/v1/orders/{order.id}/assign",
        {"technician_id": str(a.technician.id), "reason": "就近派单"})
    phone.wait_for_function("document.querySelector('#owner-state').textContent.trim() === '已派单'", timeout=20000)
    assert phone.evaluate("window.__notReloaded === true"), "the page reloaded"
    assert phone.locator("#order-live").get_attribute("data-updated-via") == live_path
    assert (a.technician.display_name or a.technician.username) in phone.locator("#technician").inner_text()
    shot(phone, "portal-5-dispatched")

    api(base, a.technician, "POST", "/api/v1/technicians/me/status", {"latitude": "30.2901", "longitude": "120.1602"})
    api(base, a.technician, "POST", f"/api/v1/orders/{order.id}/transitions", {"to": "en_route"})
    phone.wait_for_function("document.querySelector('#owner-state').textContent.trim() === '工程师已出发'",
                            timeout=20000)
    assert "公里" in phone.locator("#eta").inner_text()
    api(base, a.agent, "POST", f"/api/v1/orders/{order.id}/comments",
        {"body": "师傅十分钟后到，请留意门铃", "owner_visible": True})
    phone.wait_for_selector("text=师傅十分钟后到", timeout=20000)
    # Sections that appeared live keep the page's order.
    assert phone.evaluate("[...document.querySelectorAll('#order-live > [id]')].map(e => e.id)")[:3] == [
        "order-head", "technician", "progress"]
    shot(phone, "portal-6-on-the-way")
    for step in ("on_site", "in_progress", "completed"):
        api(base, a.technician, "POST", f"/api/v1/orders/{order.id}/transitions", {"to": step})
    phone.wait_for_function("document.querySelector('#owner-state').textContent.trim() === '待评价'", timeout=20000)
    assert phone.evaluate("window.__notReloaded === true")
    shot(phone, "portal-7-to-rate")

    for aspect, stars in (("timeliness", 5), ("attitude", 5), ("quality", 4)):
        phone.click(f"label[for={aspect}-{stars}]")
    phone.fill("#rating-comment", "师傅很专业，准时到达")
    phone.click("#submit-rating")
    phone.wait_for_function("document.querySelector('#owner-state').textContent.trim() === '已完成'", timeout=20000)
    order.refresh_from_db()
    assert (order.state, order.rating_timeliness, order.rating_quality) == ("closed", 5, 4)
    shot(phone, "portal-8-rated")

    phone.click("#reopen summary")
    phone.fill("#reopen-reason", "第二天又开始滴水")
    phone.click("#submit-reopen")
    phone.wait_for_function("document.querySelector('#owner-state').textContent.trim() === '已受理'", timeout=20000)
    order.refresh_from_db()
    assert order.state == "reopened"
    shot(phone, "portal-9-reopened")


def test_a_revoked_code_gets_a_friendly_page(portal_server, phone):
    base, _path = portal_server
    home, _other = home_with_owner()
    qr_token_rotate(actor=registry_admin(), unit_id=home.unit.id, now=timezone.now())
    phone.goto(f"{base}/q/{home.token}")
    assert "此二维码已更换" in phone.locator("main").inner_text()
    shot(phone, "portal-revoked-code")


def test_five_wrong_codes_lock_the_code(portal_server, phone):
    base, _path = portal_server
    home, _other = home_with_owner()
    phone.goto(f"{base}/q/{home.token}/verify")
    phone.fill("#phone", home.owner.phone)
    phone.click("#send-code")
    right = last_code(home.owner.phone)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        phone.fill("#code", wrong)
        phone.click("#check-code")
        assert "验证码不正确" in phone.locator("#verify-error").inner_text()
    phone.fill("#code", wrong)
    phone.click("#check-code")
    assert "重新获取" in phone.locator("#verify-error").inner_text()
    assert phone.locator("#phone").is_visible()  # back to the phone step: the old code is dead
    shot(phone, "portal-otp-locked")


def test_the_portal_speaks_english(portal_server, phone):
    base, _path = portal_server
    home, _other = home_with_owner()
    phone.goto(f"{base}/q/{home.token}")
    phone.click("form.lang button")
    phone.wait_for_selector("text=Report a repair")
    phone.click("#choice-report")
    verify_in_browser(phone, home.owner.phone)
    phone.wait_for_selector("#report-form")
    assert "What is the problem?" in phone.locator("main").inner_text()
    shot(phone, "portal-english-report")
