"""The staff console in a real Chromium at 1440×900, three browser contexts on the live test server:
a customer-service agent takes a phone report → it appears live on the dispatcher's queue → the
dispatcher drags it onto a technician on the board → the owner's tracking page shows 已派单 without a
reload → a manager approves an estimate from the inbox → moving the browser's clock past a rung
recolours the row. Also: English, a refused (stale) step, keyboard-only intake.

On PostgreSQL the pages are served by a real daphne (WebSockets, as in production); on the embedded
SQLite database by the in-process live server, where the pages fall back to polling the console's
``/console/changes`` (the same recovery a client does after missing socket messages).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from backend.accounts.models import TechnicianProfile
from backend.workorders.actors import Actor
from backend.workorders.models import WorkOrder
from backend.workorders.services import estimate_submit, order_transition
from backend.workorders.states import State
from owner_portal.models import Article
from owner_portal.services import article_reindex
from tests.e2e.conftest import shot
from tests.owner_portal.helpers import home_with_owner, last_code

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1440, "height": 900}
WAIT = 20000  # ms: the bound of every wait for a live update


@pytest.fixture
def console_server(live_site):
    return live_site


def staff_page(browser, base: str, user, *, locale: str = "zh-CN"):
    """A browser context signed in as ``user`` (a session row, as the sign-in form makes)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context = browser.new_context(viewport=VIEWPORT, locale=locale)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base}])
    return context, context.new_page()


def owner_page(browser, base: str, home):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/q/{home.token}/verify")
    page.fill("#phone", home.owner.phone)
    page.click("#send-code")
    page.wait_for_selector("#code")
    page.fill("#code", last_code(home.owner.phone))
    page.click("#check-code")
    page.wait_for_load_state()
    return context, page


def drag(page, source: str, target: str) -> None:
    """Drag with the mouse, in steps (SortableJS follows pointer moves)."""
    box_from = page.locator(source).bounding_box()
    box_to = page.locator(target).bounding_box()
    page.mouse.move(box_from["x"] + 20, box_from["y"] + 10)
    page.mouse.down()
    page.mouse.move(box_from["x"] + 30, box_from["y"] + 20, steps=5)
    page.mouse.move(box_to["x"] + box_to["width"] / 2, box_to["y"] + 20, steps=20)
    page.mouse.move(box_to["x"] + box_to["width"] / 2, box_to["y"] + 30, steps=5)
    page.mouse.up()


def _fast_forward_past(page, row: str, attribute: str) -> None:
    when = page.locator(f"{row} .sla").get_attribute(attribute)
    assert when, f"the row has no {attribute}"
    now_ms = page.evaluate("Date.now()")
    target_ms = datetime.fromisoformat(when).timestamp() * 1000
    page.clock.fast_forward(int(max(0, target_ms - now_ms)) + 61_000)


def test_phone_report_to_dispatch_to_owner_to_approval(console_server, browser):
    base, live_path = console_server
    home, _other = home_with_owner()
    a = home.side
    # Nobody is on duty: routing leaves the new order in the queue, and the board's drop is an override.
    TechnicianProfile.objects.update(on_duty=False)
    manager = a.team.supervisor
    article = Article.objects.create(title="厨房水槽下水慢：自己先试试", summary="清理存水弯里的杂物", keywords="下水 水槽 堵塞",
                                     category_code="drainage")
    article_reindex(article_id=article.id)

    dispatcher_ctx, queue = staff_page(browser, base, a.dispatcher)
    queue.clock.install()
    queue.goto(f"{base}/console/queue")
    queue.wait_for_selector("#queue-rows")
    queue.evaluate("window.__notReloaded = true")

    agent_ctx, agent = staff_page(browser, base, a.agent)
    agent.goto(f"{base}/console/")
    shot(agent, "console-start")
    agent.click("[data-nav=intake]")
    national = home.owner.phone.removeprefix("+86")
    agent.fill("#contact_phone", national)
    agent.wait_for_selector(f"#caller input[value='unit:{home.unit.id}']", timeout=WAIT)
    agent.fill("#contact_name", home.owner.name or "业主")
    agent.select_option("#category", "drainage")
    agent.fill("#description", "厨房水槽下水很慢，已经两天了")
    agent.wait_for_selector("#duplicates a", timeout=WAIT)  # the world's open order on this unit is offered first
    # The knowledge base's article on the problem, for the agent to read out.
    agent.wait_for_selector("#kb .kb-article a:has-text('厨房水槽下水慢')", timeout=WAIT)
    shot(agent, "console-intake")
    agent.click("#intake-submit")
    agent.wait_for_url("**/console/orders/*")
    order = WorkOrder.objects.filter(channel="phone", description__startswith="厨房水槽").get()
    assert order.unit_id == home.unit.id and order.technician_id is None

    queue.wait_for_selector(f"#row-{order.id}", timeout=WAIT)
    assert queue.evaluate("window.__notReloaded === true"), "the queue reloaded"
    assert queue.title().startswith("(1)")
    assert queue.evaluate("document.body.dataset.live") == live_path
    shot(queue, "console-queue")

    owner_ctx, owner = owner_page(browser, base, home)
    owner.goto(f"{base}/portal/orders/{order.id}")
    owner.wait_for_selector("#owner-state")
    assert owner.locator("#owner-state").inner_text().strip() == "已受理"
    owner.evaluate("window.__notReloaded = true")

    board_ctx, board = staff_page(browser, base, a.dispatcher)
    board.goto(f"{base}/console/board?team={a.team.id}")
    card = f"[data-side] [data-order='{order.id}']"
    board.wait_for_selector(card)
    if live_path == "ws" and os.environ.get("REDIS_URL"):
        # A technician's position alone moves their point on the map (over the team board's socket).
        from backend.workorders.services import technician_status_update

        def report() -> None:  # in a thread of its own: Playwright's event loop runs in this one
            technician_status_update(actor=a.technician, on_duty=False, latitude=Decimal("30.2801"),
                                     longitude=Decimal("120.1602"), now=timezone.now())
            connection.close()

        for attempt in range(10):  # until the board's socket has joined: a message before that is not replayed
            with ThreadPoolExecutor(1) as pool:
                pool.submit(report).result()
            try:
                board.wait_for_selector("#map[data-moved]", state="attached", timeout=1000 + 500 * attempt)
                break
            except PlaywrightTimeout:
                continue
        else:
            raise AssertionError("the board's map never heard the technician's position")
    drag(board, card, f"[data-technician='{a.technician.id}']")
    board.wait_for_selector("#assign-dialog[open]", timeout=WAIT)
    assert board.locator("#assign-dialog .override").is_visible()  # off duty: the drop overrides routing
    assert "candidate" in board.locator("#assign-dialog .explain").inner_text()
    board.fill("#board-reason", "业主指定该师傅")
    shot(board, "console-board")
    board.click("[data-action=board-assign]")
    # The board reloads its lanes from the server once the assignment committed.
    board.wait_for_selector(f"[data-technician='{a.technician.id}'] [data-order='{order.id}'][data-state=assigned]",
                            timeout=WAIT)
    order.refresh_from_db()
    assert order.state == State.ASSIGNED and order.technician_id == a.technician.id

    owner.wait_for_function("document.querySelector('#owner-state').textContent.trim() === '已派单'", timeout=WAIT)
    assert owner.evaluate("window.__notReloaded === true"), "the owner's page reloaded"

    # The technician works on the phone (the sync API's steps), then a 1 200 ¥ estimate waits on the manager.
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=order.id, actor=Actor(user=a.technician), to=step, now=timezone.now())
    estimate_submit(actor=a.technician, order_id=order.id, amount_yuan=Decimal("1200"), note="更换存水弯",
                    now=timezone.now())
    manager_ctx, inbox = staff_page(browser, base, manager)
    inbox.goto(f"{base}/console/approvals")
    inbox.wait_for_selector(f"text={order.number}")
    shot(inbox, "console-approvals")
    inbox.locator("[data-approval] [data-action=approve]").first.click()
    inbox.wait_for_selector("text=没有待您审批的事项。", timeout=WAIT)
    order.refresh_from_db()
    assert order.state == State.IN_PROGRESS

    # The workspace shows the order's whole story.
    agent.goto(f"{base}/console/orders/{order.id}")
    agent.wait_for_selector("[data-state-label]")
    shot(agent, "console-workspace")

    # Moving the dispatcher's clock past the rungs recolours the row, without a reload.
    row = f"#row-{order.id}"
    queue.wait_for_function(f"document.querySelector('{row}') && document.querySelector('{row}').dataset.state === 'in_progress'",
                            timeout=WAIT)
    assert queue.locator(row).get_attribute("data-rung") == "ok"
    _fast_forward_past(queue, row, "data-warn")
    queue.wait_for_function(f"['warning','urgent'].includes(document.querySelector('{row}').dataset.rung)", timeout=WAIT)
    _fast_forward_past(queue, row, "data-deadline")
    queue.wait_for_function(f"document.querySelector('{row}').dataset.rung === 'breached'", timeout=WAIT)
    assert queue.evaluate("window.__notReloaded === true")
    for ctx in (dispatcher_ctx, agent_ctx, owner_ctx, board_ctx, manager_ctx):
        ctx.close()


def test_the_console_speaks_english(console_server, browser):
    base, _live = console_server
    home, _other = home_with_owner()
    ctx, page = staff_page(browser, base, home.side.dispatcher)
    page.goto(f"{base}/console/queue")
    page.click("form[action='/i18n/setlang/'] button")
    page.wait_for_selector("text=Open orders")
    assert "Dispatch board" in page.locator("nav.side").inner_text()
    page.goto(f"{base}/console/orders/{home.side.order.id}")
    page.wait_for_selector("text=Routing explanation")
    shot(page, "console-workspace-en")
    # Still usable at 1024 px: the board's lanes and map fit the width without a page-wide scroll.
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{base}/console/board")
    page.wait_for_selector("#map canvas")
    assert page.evaluate("document.documentElement.scrollWidth <= 1024")
    shot(page, "console-board-1024")
    ctx.close()


def test_a_refused_step_on_a_stale_page_is_explained_and_changes_nothing(console_server, browser):
    base, _live = console_server
    home, _other = home_with_owner()
    a = home.side
    ctx, page = staff_page(browser, base, a.agent)
    page.goto(f"{base}/console/orders/{a.order.id}")
    page.wait_for_selector("[data-action=cancel]")
    page.click("[data-action=cancel]")  # asks for the reason; while the agent types, the page is not replaced
    page.fill("input[name=reason]:visible", "业主不需要了")
    # Meanwhile the dispatcher sends the order back to the queue.
    order_transition(order_id=a.order.id, actor=Actor(user=a.dispatcher), to=State.ACCEPTED, now=timezone.now(),
                     note="改派")
    before = WorkOrder.objects.get(id=a.order.id)
    page.click("[data-action=cancel]")
    page.wait_for_selector("#flash [data-error=stale_order]", timeout=WAIT)
    assert "刚才有人修改了这张工单" in page.locator("#flash").inner_text()
    after = WorkOrder.objects.get(id=a.order.id)
    assert (after.state, after.revision) == (before.state, before.revision)
    ctx.close()


def test_keyboard_only_intake(console_server, browser):
    base, _live = console_server
    home, _other = home_with_owner()
    ctx, page = staff_page(browser, base, home.side.agent)
    page.goto(f"{base}/console/intake")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'contact_phone'")
    page.keyboard.type(home.owner.phone.removeprefix("+86"))
    page.wait_for_selector(f"#caller input[value='unit:{home.unit.id}']", timeout=WAIT)
    page.keyboard.press("Tab")
    page.keyboard.type("陈女士")
    # Tab through the unit (checked), the public-area list, the category, the priority and the channel
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "description":
            break
    assert page.evaluate("document.activeElement.id") == "description"
    page.keyboard.type("阳台门关不严，漏风")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/console/orders/*")
    created = WorkOrder.objects.get(description="阳台门关不严，漏风")
    assert created.unit_id == home.unit.id and created.contact_name == "陈女士"
    # The queue by keyboard: / searches, j selects, Enter opens.
    page.goto(f"{base}/console/queue")
    page.wait_for_selector("#queue-rows tr[data-row]")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type(created.number)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#queue-rows tr[data-row]').length === 1", timeout=WAIT)
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/orders/{created.id}")
    ctx.close()


def test_a_filter_is_saved_and_reopened(console_server, browser):
    base, _live = console_server
    home, _other = home_with_owner()
    ctx, page = staff_page(browser, base, home.side.dispatcher)
    page.goto(f"{base}/console/queue")
    page.select_option("select[name=priority]", "P3")
    page.wait_for_url("**/console/queue?*priority=P3*")
    page.fill("#save-filter input[name=name]", "普通单")
    page.click("#save-filter button")
    page.wait_for_selector("a.pill:has-text('普通单')")
    page.goto(f"{base}/console/queue")
    page.click("a.pill:has-text('普通单')")
    page.wait_for_url("**/console/queue?*priority=P3*")
    assert page.locator("select[name=priority]").input_value() == "P3"
    ctx.close()
