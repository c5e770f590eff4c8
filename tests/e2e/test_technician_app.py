"""The technician app (technician_app/, served at /tech/) in Debian Chromium at 390×844: a whole day offline.

Signed in and synced online, the phone goes offline, works three orders through their steps (parts, an estimate,
two photos and a signature on one), is reloaded offline (the service worker and IndexedDB bring everything back),
while the dispatcher cancels one of the orders on the server. Back online, the server holds every accepted step
in device order with device times, each photo once, the signature; the app shows the refused steps of the
cancelled order with the reason; a second sync changes nothing."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.models import Attachment, Comment, PartUsage, TimelineEvent, WorkOrder
from backend.workorders.states import State
from mobile_sync.models import SyncEvent
from mobile_sync.uploads.models import UploadSession
from tests.e2e.conftest import shot
from tests.factories import DEFAULT_PASSWORD
from tests.mobile_sync.helpers import another_order
from tests.workorders.world import two_sides

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 30_000  # ms: every wait in the page is bounded


def photo(seed: int, size: tuple[int, int] = (1200, 900)) -> dict:  # type: ignore[type-arg]
    """A camera photo: noise, so that its JPEG is not tiny and two photos never hash alike."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return {"name": f"IMG_{seed}.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


@pytest.fixture
def tech_phone(browser):
    assert (ROOT / "technician_app" / "dist" / "sw.js").exists(), "build the app: ./run test does (vite)"
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  # No `locale`: with it, an offline reload fails in Playwright's Chromium before
                                  # the service worker answers it (the app is Chinese by default anyway).
                                  has_touch=True, service_workers="allow")
    yield context
    # The app syncs on its own: stop it and wait for the sync in flight before the test's database is flushed (a
    # request still running then would hold the SQLite tables).
    for page in context.pages:
        try:
            page.evaluate("() => window.anxinQuiesce ? window.anxinQuiesce() : null")
        except PlaywrightError as exc:  # a page already gone: nothing of it is in flight
            print(f"quiesce: {exc}")
    context.set_offline(True)
    context.close()


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/tech/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.fill("input[name=device_name]", "王师傅的手机")
    page.click("button.primary")


def synced(page) -> None:  # type: ignore[no-untyped-def]
    """Runs a sync and waits for it: nothing left to push and no photo waiting."""
    page.evaluate("window.anxinSync()")
    page.wait_for_function("""() => !document.querySelector('[data-testid=pending]')
        && !document.querySelector('[data-testid=photo-row][data-status=queued]')
        && !document.querySelector('.syncline button[disabled]')""", timeout=WAIT)


def open_order(page, number: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"[data-testid=order][data-number='{number}']")
    page.wait_for_selector("[data-testid=order-number]", timeout=WAIT)


def step(page, to: str, expect: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"button[data-step={to}]")
    page.wait_for_function(f"document.querySelector('[data-testid=order-state]').textContent === '{expect}'",
                           timeout=WAIT)


def sign(page) -> None:  # type: ignore[no-untyped-def]
    """The owner signs with a finger: a stroke of touch pointer events across the pad."""
    page.locator("[data-testid=signature-pad]").evaluate("""(pad) => {
        const r = pad.getBoundingClientRect()
        const at = (type, i) => pad.dispatchEvent(new PointerEvent(type, { pointerId: 7, pointerType: 'touch',
            bubbles: true, clientX: r.left + 20 + i * 25, clientY: r.top + 90 + (i % 2 ? 40 : -40) }))
        at('pointerdown', 0)
        for (let i = 1; i < 12; i++) at('pointermove', i)
        at('pointerup', 12)
    }""")


def back(page) -> None:  # type: ignore[no-untyped-def]
    page.click("a.back")
    page.wait_for_selector("[data-testid=order]", timeout=WAIT)


def test_a_day_offline_loses_nothing_and_doubles_nothing(tech_phone, live_site):
    base, _live = live_site
    a, _b = two_sides()
    second, third = another_order(a), another_order(a)
    first = a.order
    page = tech_phone.new_page()
    sign_in(page, base, a.technician.username)
    page.wait_for_function("document.querySelectorAll('[data-testid=order]').length === 3", timeout=WAIT)
    # The service worker has taken the page: the next start needs no network.
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=WAIT)
    page.wait_for_function("!document.querySelector('[data-testid=last-sync]').textContent.includes('从未同步')",
                           timeout=WAIT)
    assert page.locator(".error").count() == 0
    assert page.locator(".sla").first.inner_text().startswith(("响应", "到场", "完成"))
    shot(page, "tech_orders")

    tech_phone.set_offline(True)
    page.wait_for_selector(".net.off", timeout=WAIT)
    # First order: every step, with a diagnosis, parts, an estimate, two photos and the owner's signature.
    open_order(page, first.number)
    step(page, "en_route", "已出发")
    step(page, "on_site", "已到场")
    step(page, "in_progress", "维修中")
    page.fill("[data-testid=diagnosis]", "下水管弯头处堵塞，需更换弯头")
    page.click("form:has([data-testid=diagnosis]) button")
    page.fill("[data-testid=part-name]", "PVC 弯头 50mm")
    page.fill("[data-testid=part-qty]", "2")
    page.fill("[data-testid=part-price]", "12.5")
    page.click("form.part button")
    page.wait_for_selector("[data-testid=part-row]", timeout=WAIT)
    page.fill("[data-testid=estimate-item]", "更换弯头及人工")
    page.fill("[data-testid=estimate-amount]", "180")
    page.click("[data-testid=submit-estimate]")
    page.wait_for_selector("[data-testid=estimate-row]", timeout=WAIT)
    page.set_input_files("[data-testid=photo-before]", photo(1))
    page.set_input_files("[data-testid=photo-after]", photo(2))
    page.wait_for_function("document.querySelectorAll('[data-testid=photo-row]').length === 2", timeout=WAIT)
    step(page, "waiting", "等待中")
    step(page, "in_progress", "维修中")
    sign(page)
    page.click("[data-testid=save-signature]")
    page.wait_for_function("document.querySelectorAll('[data-testid=photo-row]').length === 3", timeout=WAIT)
    page.fill("[data-testid=summary]", "更换弯头两个，疏通完成，业主确认")
    shot(page, "tech_order_detail")
    step(page, "completed", "已完工")
    back(page)
    # Second order: straight through. Third: set off and arrive (the dispatcher is cancelling it meanwhile).
    open_order(page, second.number)
    for to, shown in (("en_route", "已出发"), ("on_site", "已到场"), ("in_progress", "维修中")):
        step(page, to, shown)
    page.fill("[data-testid=summary]", "疏通完成")
    step(page, "completed", "已完工")
    back(page)
    open_order(page, third.number)
    step(page, "en_route", "已出发")
    step(page, "on_site", "已到场")
    back(page)
    pending = int(page.inner_text("[data-testid=pending]").split()[0])
    assert pending >= 13

    order_transition(order_id=third.id, actor=Actor(user=a.dispatcher), to=State.CANCELLED, now=timezone.now(),
                     note="业主取消")
    # Reload with no network: the service worker starts the app, IndexedDB still holds the day's work.
    page.reload()
    page.wait_for_function("document.querySelectorAll('[data-testid=order]').length === 3", timeout=WAIT)
    assert int(page.inner_text("[data-testid=pending]").split()[0]) == pending
    assert WorkOrder.objects.get(id=first.id).state == State.ASSIGNED  # nothing reached the server yet
    open_order(page, first.number)
    assert page.inner_text("[data-testid=order-state]") == "已完工"
    assert page.locator("[data-testid=photo-row][data-status=queued]").count() == 3
    back(page)
    shot(page, "tech_orders_offline")

    tech_phone.set_offline(False)  # the app syncs by itself when the network returns
    page.wait_for_selector("[data-testid=refused-step]", timeout=WAIT)
    synced(page)
    notice = page.inner_text("[data-testid=left-scope]")
    assert third.number in notice and "被拒绝的步骤" in notice and "调度已取消或改派" in notice
    shot(page, "tech_refused_steps")

    for order in (first, second):
        order.refresh_from_db()
        assert order.state == State.COMPLETED
    steps = list(TimelineEvent.objects.filter(order=first, kind="state", data__offline=True).order_by("id"))
    assert [(e.from_state, e.to_state) for e in steps] == [
        ("assigned", "en_route"), ("en_route", "on_site"), ("on_site", "in_progress"), ("in_progress", "waiting"),
        ("waiting", "in_progress"), ("in_progress", "completed")]
    device_times = [e.device_at for e in steps]
    assert all(t is not None and t < e.created_at for t, e in zip(device_times, steps, strict=True))
    assert device_times == sorted(device_times)
    assert steps[-1].note == "更换弯头两个，疏通完成，业主确认"
    photos = Attachment.objects.filter(order=first)
    assert photos.count() == 3 and len({p.sha256 for p in photos}) == 3
    assert photos.filter(owner_visible=False).count() == 1  # the signature, staff only
    assert UploadSession.objects.filter(order_id=first.id, status="complete").count() == 3
    assert PartUsage.objects.filter(order=first, name="PVC 弯头 50mm").count() == 1
    assert Comment.objects.filter(order=first, body="下水管弯头处堵塞，需更换弯头").count() == 1
    assert first.estimate_yuan == 180
    third.refresh_from_db()
    assert third.state == State.CANCELLED
    refused = SyncEvent.objects.filter(order_sync_id=third.sync_id, status=SyncEvent.Status.REFUSED)
    assert refused.count() == 2
    assert page.locator("[data-testid=refused-step]").count() == 2

    # A second sync changes nothing on the server.
    before = {m.__name__: m.objects.count() for m in (TimelineEvent, Attachment, PartUsage, Comment, SyncEvent,
                                                       UploadSession)}
    synced(page)
    assert before == {m.__name__: m.objects.count() for m in (TimelineEvent, Attachment, PartUsage, Comment,
                                                              SyncEvent, UploadSession)}


def test_a_photo_upload_cut_mid_way_resumes_from_the_last_chunk(tech_phone, live_site):
    base, _live = live_site
    a, _b = two_sides()
    page = tech_phone.new_page()
    sign_in(page, base, a.technician.username)
    page.wait_for_function("document.querySelectorAll('[data-testid=order]').length === 1", timeout=WAIT)
    synced(page)
    tech_phone.set_offline(True)
    open_order(page, a.order.number)
    for to, shown in (("en_route", "已出发"), ("on_site", "已到场"), ("in_progress", "维修中")):
        step(page, to, shown)
    page.set_input_files("[data-testid=photo-before]", photo(7, (1600, 1200)))
    page.wait_for_selector("[data-testid=photo-row][data-status=queued]", timeout=WAIT)

    # The signal drops on the third chunk: the request never reaches the server.
    offsets: list[tuple[str, str]] = []
    cut = {"done": False}

    def network(route):  # type: ignore[no-untyped-def]
        request = route.request
        if request.method == "PUT":
            offsets.append(request.headers.get("upload-offset", "?"))
            if len(offsets) == 3 and not cut["done"]:
                cut["done"] = True
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/v1/sync/uploads/**", network)
    tech_phone.set_offline(False)
    page.wait_for_function("() => window.anxinSync && true", timeout=WAIT)
    page.wait_for_function("document.querySelector('[data-testid=photo-row]').textContent.includes('%')",
                           timeout=WAIT)
    deadline_ms = WAIT
    page.wait_for_function("() => { window.anxinSync(); return document.querySelector("
                           "'[data-testid=photo-row][data-status=done]') !== null }", timeout=deadline_ms, polling=1000)
    [session] = UploadSession.objects.filter(order_id=a.order.id)
    assert session.status == "complete"
    chunk = 256 * 1024
    sent = [int(o) for o in offsets]
    assert cut["done"] and len(sent) > 4
    # Every chunk once, and the cut one again: resumed from the last acknowledged chunk, not from 0.
    assert sent[:3] == [0, chunk, 2 * chunk] and sent[3] == 2 * chunk
    assert sent[3:] == sorted(set(sent[3:])) and sent[-1] == (session.size - 1) // chunk * chunk
    assert Attachment.objects.filter(order=a.order).count() == 1


def test_one_tab_an_estimate_awaiting_approval_and_a_revoked_device(tech_phone, live_site):
    from backend.accounts.models import DeviceToken
    from backend.workorders.models import ApprovalInstance

    base, _live = live_site
    a, _b = two_sides()
    page = tech_phone.new_page()
    sign_in(page, base, a.technician.username)
    page.wait_for_function("document.querySelectorAll('[data-testid=order]').length === 1", timeout=WAIT)
    synced(page)
    # A second tab of the app would overwrite the first one's IndexedDB: it is refused.
    other = tech_phone.new_page()
    other.goto(f"{base}/tech/")
    other.wait_for_selector("text=应用已在另一个标签页打开", timeout=WAIT)
    other.close()

    tech_phone.set_offline(True)
    open_order(page, a.order.number)
    for to, shown in (("en_route", "已出发"), ("on_site", "已到场"), ("in_progress", "维修中")):
        step(page, to, shown)
    page.fill("[data-testid=estimate-item]", "更换卫生间防水层")
    page.fill("[data-testid=estimate-amount]", "1280")
    page.click("[data-testid=submit-estimate]")
    page.wait_for_selector("[data-testid=estimate-row]:has-text('待同步')", timeout=WAIT)
    # The signal drops just as the server answers the estimate: the server made it, the phone never heard. The
    # phone sends it again with the same client id and gets that estimate back, not a second approval.
    lost: list[str] = []

    def lose_the_first_answer(route) -> None:  # type: ignore[no-untyped-def]
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().text())
        route.abort("internetdisconnected")

    page.route("**/api/v1/orders/*/estimate", lose_the_first_answer)
    with page.expect_event("requestfailed", predicate=lambda r: r.url.endswith("/estimate"), timeout=WAIT):
        tech_phone.set_offline(False)
    assert len(lost) == 1 and ApprovalInstance.objects.filter(order=a.order).count() == 1
    page.evaluate("window.anxinSync()")
    # Above the threshold: once synced the order waits for the approval, and the phone says so.
    page.wait_for_selector("[data-testid=estimate-row]:has-text('待审批')", timeout=WAIT)
    page.wait_for_function("document.querySelector('[data-testid=order-state]').textContent === '等待中'",
                           timeout=WAIT)
    [approval] = ApprovalInstance.objects.filter(order=a.order)
    assert approval.status == "in_progress" and approval.amount_yuan == 1280
    order = WorkOrder.objects.get(id=a.order.id)
    assert (order.state, order.waiting_reason) == (State.WAITING, "approval")
    shot(page, "tech_estimate_awaiting_approval")

    # The office revokes the phone's token: the next sync signs the device out.
    DeviceToken.objects.filter(user=a.technician, revoked_at__isnull=True).update(revoked_at=timezone.now())
    page.evaluate("window.anxinSync()")
    page.wait_for_selector("text=此设备已被注销，请重新登录", timeout=WAIT)
    assert page.locator("input[name=password]").count() == 1
    # Chinese by default; the English switch is on the sign-in page and the list.
    page.click("button.lang")
    page.wait_for_selector("text=Technician sign-in", timeout=WAIT)
    shot(page, "tech_sign_in_en")
