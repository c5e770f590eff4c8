"""到达现场 confirmed by the unit's QR label in the technician app (Chromium, 390×844), offline: by the check code
printed under the label, and by the camera (Chromium's fake camera shows the label: jsQR reads it, since Linux
Chromium has no BarcodeDetector). The wrong unit's label is refused and records nothing. The order's knowledge-base
articles open offline too."""

from __future__ import annotations

import io
import os

import pytest
import segno
from django.utils import timezone
from PIL import Image

from backend.properties import qr
from backend.properties.models import QrToken
from backend.workorders.models import TimelineEvent
from owner_portal.models import Article, ArticleStep
from tests.e2e.conftest import shot
from tests.e2e.test_technician_app import WAIT, open_order, sign_in, step, synced, tech_phone  # noqa: F401
from tests.mobile_sync.helpers import another_order
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)
# The label the fake camera shows: made before the browser starts, given to the order's unit by the test.
CAMERA_TOKEN = qr.token_generate()


def y4m_of_label(path: str, url: str) -> None:
    """One 640×480 frame (YUV 4:2:0) of a printed label: the QR code on white. Chromium loops it as the camera."""
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=9, border=4)
    code = Image.open(png).convert("L")
    frame = Image.new("L", (640, 480), 255)
    code.thumbnail((440, 440))
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        out.write(b"FRAME\n" + frame.tobytes() + bytes([128]) * (320 * 240 * 2))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """This module's Chromium has a fake camera showing CAMERA_TOKEN's label (and grants it without asking)."""
    from playwright.sync_api import sync_playwright

    camera = str(tmp_path_factory.mktemp("camera") / "label.y4m")
    y4m_of_label(camera, f"http://127.0.0.1:8000/q/{CAMERA_TOKEN}")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync",
                      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-video-capture={camera}"],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def arrivals(order):  # type: ignore[no-untyped-def]
    return list(TimelineEvent.objects.filter(order=order, kind="state", to_state="on_site").values_list("note", flat=True))


def test_arrival_by_the_check_code_on_the_label_offline_and_a_wrong_code_records_nothing(tech_phone, live_site):  # noqa: F811
    base, _live = live_site
    a, _b = two_sides()
    label = qr.qr_token_ensure(unit=a.unit, now=timezone.now())
    elsewhere = qr.qr_token_ensure(unit=another_order(a).unit, now=timezone.now())
    kb = Article.objects.create(title="地漏反味怎么办", summary="多半是存水弯干了", category_code="drainage")
    ArticleStep.objects.create(article=kb, position=1, text="往地漏里倒一盆水，十分钟后再闻")
    Article.objects.create(title="燃气报警", summary="立即开窗", category_code="gas")  # not this order's category
    page = tech_phone.new_page()
    sign_in(page, base, a.technician.username)
    page.wait_for_function("document.querySelectorAll('[data-testid=order]').length === 2", timeout=WAIT)
    synced(page)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=WAIT)

    tech_phone.set_offline(True)
    page.wait_for_selector(".net.off", timeout=WAIT)
    open_order(page, a.order.number)
    # The category's article, offline: from the synced read-only table.
    assert page.locator("[data-testid=article]").count() == 1
    page.click("[data-testid=article] summary")
    page.wait_for_selector("[data-testid=article] li:has-text('往地漏里倒一盆水')", timeout=WAIT)
    shot(page, "tech_order_articles")
    step(page, "en_route", "已出发")
    # The label of the next door: refused, nothing recorded.
    page.fill("[data-testid=arrival-code]", qr.qr_check_code_shown(elsewhere.token))
    page.click("[data-testid=confirm-code]")
    page.wait_for_selector("[data-testid=arrival-error]:has-text('这不是本工单房屋的二维码')", timeout=WAIT)
    assert page.locator("[data-testid=order-state]").inner_text() == "已出发"
    assert page.locator("[data-testid=event][data-status=pending]").count() == 1
    shot(page, "tech_arrival_wrong_unit")
    # The code under this unit's label, typed as people type it (lower case, no dash).
    page.fill("[data-testid=arrival-code]", qr.qr_check_code(label.token).lower())
    page.click("[data-testid=confirm-code]")
    page.wait_for_function("document.querySelector('[data-testid=order-state]').textContent === '已到场'",
                           timeout=WAIT)
    assert page.locator("[data-testid=arrival-error]").count() == 0

    tech_phone.set_offline(False)
    synced(page)
    [note] = arrivals(a.order)
    assert note == f"到达现场 · 确认码确认 [QR {qr.qr_check_code_shown(label.token)}]"


def test_arrival_by_scanning_the_label_with_the_camera_offline(tech_phone, live_site):  # noqa: F811
    base, _live = live_site
    a, _b = two_sides()
    QrToken.objects.create(token=CAMERA_TOKEN, unit=a.unit, created_at=timezone.now())
    other = another_order(a)
    qr.qr_token_ensure(unit=other.unit, now=timezone.now())
    page = tech_phone.new_page()
    sign_in(page, base, a.technician.username)
    page.wait_for_function("document.querySelectorAll('[data-testid=order]').length === 2", timeout=WAIT)
    synced(page)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=WAIT)

    tech_phone.set_offline(True)
    page.wait_for_selector(".net.off", timeout=WAIT)
    # At the other order's door the camera sees this unit's label: the wrong unit, nothing recorded.
    open_order(page, other.number)
    step(page, "en_route", "已出发")
    page.click("[data-testid=scan-arrival]")
    page.wait_for_selector("[data-testid=arrival-error]:has-text('这不是本工单房屋的二维码')", timeout=WAIT)
    assert page.locator("[data-testid=order-state]").inner_text() == "已出发"
    page.click("a.back")
    open_order(page, a.order.number)
    step(page, "en_route", "已出发")
    page.click("[data-testid=scan-arrival]")
    page.wait_for_function("document.querySelector('[data-testid=order-state]').textContent === '已到场'",
                           timeout=WAIT)

    tech_phone.set_offline(False)
    synced(page)
    [note] = arrivals(a.order)
    assert note == f"到达现场 · 扫码确认 [QR {qr.qr_check_code_shown(CAMERA_TOKEN)}]"
    assert arrivals(other) == []
