"""The handover journey in a real Chromium: the officer creates a batch from the CRM's ready-for-handover
list, adds a slot and texts the invitations → the buyer opens the link on a phone, verifies and picks the
slot → on a tablet the officer inspects the unit with the owner, records two defects with photos (each a
work order through the intake) and the owner signs on the screen → the defects are in the console's
queue → keys and readings, completion → the owner scans the unit's new QR code and follows the defects'
repairs. Screenshots for the README (``docs/screenshots/handover-*.png``)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from PIL import Image

from backend.accounts.roles import Role
from backend.crm import services as crm
from backend.crm.models import PaymentLine
from backend.handover.models import Batch, Item, ItemStatus
from backend.notifications.models import Delivery
from backend.properties.models import QrToken
from backend.workorders.models import Channel, WorkOrder
from tests.crm.world import WEDNESDAY, office
from tests.e2e.conftest import shot
from tests.factories import user_with_roles
from tests.owner_portal.helpers import last_code

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 20000


def signed_in(browser, base: str, user, *, viewport: dict, mobile: bool = False):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    options: dict = {"viewport": viewport, "locale": "zh-CN"}
    if mobile:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**options)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}])
    return context, context.new_page()


def photo(folder: Path, name: str, color: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(buffer, "JPEG", quality=85)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return str(path)


def ready_unit():
    """A CRM office whose first unit is signed and paid: on the ready-for-handover list."""
    o = office(units=4)
    customer = crm.lead_create(actor=o.alice, project_id=o.project.id, name="赵晓明", phone="13900000001",
                               channel="walk_in", consent=True, now=WEDNESDAY).customer
    sub = crm.subscription_create(actor=o.alice, unit_id=o.units[0].id, customer_id=customer.id,
                                  deposit_fen=5_000_000, now=WEDNESDAY)
    contract = crm.contract_create(actor=o.alice, subscription_id=sub.id, buyers=["赵晓明", "钱丽"], discount_fen=0,
                                   payment_method="full", now=WEDNESDAY)
    crm.contract_sign(actor=o.alice, contract_id=contract.id, now=WEDNESDAY)
    for line in PaymentLine.objects.filter(contract=contract).order_by("seq"):
        crm.payment_record(actor=o.finance, line_id=line.id, amount_fen=line.amount_fen - line.received_fen,
                           now=WEDNESDAY)
    return o, customer


def verify(page, phone: str) -> None:
    page.wait_for_selector("#phone")
    page.fill("#phone", phone)
    page.click("#send-code")
    page.wait_for_selector("#code")
    page.fill("#code", last_code(phone))
    page.click("#check-code")


def test_batch_to_appointment_to_inspection_to_completion_and_the_owner_follows_the_defects(live_site, browser,
                                                                                             tmp_path):
    base, _live = live_site
    o, customer = ready_unit()
    officer = user_with_roles(Role.HANDOVER_OFFICER, display_name="交付专员 林涛")

    # The officer creates the batch of the building, its units taken from the CRM's list.
    desk_ctx, desk = signed_in(browser, base, officer, viewport={"width": 1366, "height": 900})
    desk.goto(f"{base}/")
    desk.wait_for_url(f"{base}/handover/")
    form = desk.locator("form[data-form=batch]")
    form.locator("input[name=name]").fill("1号楼首批交付")
    form.locator("select[name=building_id]").select_option(str(o.building.id))
    today = timezone.localdate()
    form.locator("input[name=start_date]").fill(str(today))
    form.locator("input[name=end_date]").fill(str(today + timedelta(days=7)))
    form.locator("button[data-action=batch-create]").click()
    desk.wait_for_url("**/handover/batches/*")
    batch = Batch.objects.get(name="1号楼首批交付")
    item = Item.objects.get(batch=batch)
    assert item.unit_id == o.units[0].id and item.buyers == ["赵晓明", "钱丽"]
    starts = timezone.localtime(timezone.now() + timedelta(days=2)).replace(hour=10, minute=0)
    slot_form = desk.locator("form[data-form=slot]")
    slot_form.locator("input[name=starts_at]").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    slot_form.locator("input[name=capacity]").fill("2")
    slot_form.locator("button[data-action=slot-add]").click()
    desk.wait_for_selector("[data-done=slot]")
    desk.locator("button[data-action=invite]").click()
    desk.wait_for_selector("[data-done=invited]")
    invite = Delivery.objects.get(event_type="sms.handover_invite", target_id=customer.phone)
    assert item.invite_token in invite.payload["params"]["url"]

    # The buyer opens the text message's link on a phone, verifies and picks the slot.
    phone_ctx = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True,
                                    has_touch=True, locale="zh-CN")
    phone = phone_ctx.new_page()
    phone.goto(f"{base}/portal/handover/{item.invite_token}")
    verify(phone, customer.phone)
    phone.wait_for_selector("#slot-form")
    assert "选择交房时间" in phone.locator("main").inner_text()
    shot(phone, "handover-portal-pick-slot")
    phone.locator("#slot-form input[name=slot_id]").first.check()
    phone.click("#book-slot")
    phone.wait_for_selector("#handover-booked")
    assert starts.strftime("%Y-%m-%d %H:%M") in phone.locator("#appointment-time").inner_text()
    shot(phone, "handover-portal-booked")

    # The day's schedule; then the inspection on a tablet with the owner present.
    desk.goto(f"{base}/handover/schedule?day={starts.date()}")
    assert "赵晓明" in desk.locator("table[data-table=schedule]").inner_text()
    shot(desk, "handover-schedule")
    desk.goto(f"{base}/handover/batches/{batch.id}")
    shot(desk, "handover-batch")
    tablet_ctx, tablet = signed_in(browser, base, officer, viewport={"width": 820, "height": 1180}, mobile=True)
    tablet.goto(f"{base}/handover/items/{item.id}")
    tablet.click("button[data-action=start]")
    tablet.wait_for_selector("#checklist")
    lines = list(Item.objects.get(id=item.id).inspection.lines.all())
    tablet.click(f"button[data-ok='{lines[0].id}']")
    tablet.wait_for_selector(f"#line-{lines[0].id}[data-result=ok]")
    for index, (code, text, color) in enumerate([("wall-paint", "客厅墙面有裂纹约 30 厘米", (180, 170, 150)),
                                                 ("bathroom-leak", "卫生间地漏反水", (90, 110, 160))]):
        line = lines[[1, 7][index]]
        tablet.click(f"button[data-defect-line='{line.id}']")
        assert tablet.locator("#d-line").input_value() == str(line.id)
        tablet.select_option("#d-category", code)
        tablet.fill("#d-description", text)
        tablet.set_input_files("#d-photos", [photo(tmp_path, f"defect-{index}.jpg", color)])
        tablet.click("button[data-action=defect]")
        tablet.wait_for_selector("[data-done=defect]")
    orders = list(WorkOrder.objects.filter(channel=Channel.HANDOVER_INSPECTION, unit=item.unit).order_by("created_at"))
    assert len(orders) == 2 and all(o_.attachments.count() == 1 for o_ in orders)
    for order in orders:
        assert order.number in tablet.locator("#defects").inner_text()

    phone_officer_ctx, phone_officer = signed_in(browser, base, officer, viewport={"width": 375, "height": 812},
                                                 mobile=True)
    phone_officer.goto(f"{base}/handover/items/{item.id}#checklist")
    assert phone_officer.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "scrolls sideways"
    shot(phone_officer, "handover-inspection-phone")
    phone_officer_ctx.close()

    # The owner signs on the screen.
    pad = tablet.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    tablet.mouse.move(box["x"] + 30, box["y"] + 120)
    tablet.mouse.down()
    for step in range(12):
        tablet.mouse.move(box["x"] + 40 + step * 25, box["y"] + 60 + (step % 3) * 30, steps=3)
    tablet.mouse.up()
    shot(tablet, "handover-inspection-tablet")
    tablet.click("button[data-action=sign]")
    tablet.wait_for_selector("[data-signed='1']")
    assert Item.objects.get(id=item.id).inspection.signature.name.endswith(".png")

    # The defects are orders in the console's queue.
    admin = user_with_roles(Role.ADMINISTRATOR, display_name="系统管理员")
    console_ctx, console = signed_in(browser, base, admin, viewport={"width": 1366, "height": 900})
    console.goto(f"{base}/console/queue?channel=handover_inspection")
    console.wait_for_selector(f"#row-{orders[0].id}", timeout=WAIT)
    assert console.locator(f"#row-{orders[1].id}").count() == 1
    shot(console, "handover-defects-in-queue")

    # Keys, readings and documents; then completion.
    keys = tablet.locator("form[data-form=keys]")
    keys.locator("input[name=key_door]").fill("3")
    keys.locator("input[name=key_access_card]").fill("2")
    keys.locator("input[name=reading_water]").fill("12.5")
    keys.locator("input[name=reading_electricity]").fill("305")
    keys.locator("input[value=quality_guarantee]").check()
    keys.locator("input[value=user_manual]").check()
    keys.locator("button[data-action=keys]").click()
    tablet.wait_for_selector("[data-done=keys]")
    tablet.click("button[data-action=complete]")
    tablet.wait_for_selector("#completed-card")
    assert Item.objects.get(id=item.id).status == ItemStatus.COMPLETED
    qr = QrToken.objects.get(unit=item.unit, revoked_at__isnull=True)
    assert qr.token in tablet.locator("#qr-link").inner_text()
    shot(tablet, "handover-completed")

    # The owner scans the unit's new QR code on a fresh phone and follows the defects' repairs.
    scan_ctx = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True,
                                   has_touch=True, locale="zh-CN")
    scan = scan_ctx.new_page()
    scan.goto(f"{base}/q/{qr.token}")
    scan.click("#choice-orders")
    verify(scan, customer.phone)
    scan.wait_for_url("**/portal/orders")
    listing = scan.locator("main").inner_text()
    assert all(order.number in listing for order in orders)
    assert "我的交房" in listing
    scan.click("#my-handovers a")
    scan.wait_for_selector("#inspection")
    for order in orders:
        assert scan.locator(f"[data-defect='{order.number}'] .pill").inner_text() in {"已受理", "已派单"}
    shot(scan, "handover-portal-defects")
    scan.locator(f"[data-defect='{orders[1].number}'] a").click()
    scan.wait_for_url(f"**/portal/orders/{orders[1].id}")
    assert scan.locator("#owner-state").inner_text() in {"已受理", "已派单"}
    for context in (desk_ctx, phone_ctx, tablet_ctx, console_ctx, scan_ctx):
        context.close()
