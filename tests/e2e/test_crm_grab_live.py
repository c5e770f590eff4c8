"""The grab pool live, in a real Chromium: two consultants on duty have their grab pool open; a phone lead
comes in on a grab day → both pages show it with its countdown without a reload → one takes it → it leaves
the other's page without a reload.

On PostgreSQL + Redis the pages are served by a real daphne and the offers arrive over
``/ws/crm/projects/<id>/grabs``; on the embedded SQLite database the in-process live server has no
WebSockets and the page falls back to its slow poll (the same rows, read every 10 s)."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from backend.crm import services
from backend.crm.models import Customer, LeadOffer
from tests.crm.world import office
from tests.e2e.conftest import shot
from tests.e2e.test_crm_journey import signed_in

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 25000  # ms: bounds every wait (the slow poll is 10 s)


def _in_thread(fn):
    """Services that announce after commit run off Playwright's event-loop thread."""
    def run():
        try:
            return fn()
        finally:
            connection.close()
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_a_grab_offer_appears_with_its_countdown_and_leaves_when_another_consultant_takes_it(
        live_site, browser, monkeypatch):
    base, live = live_site
    if live == "ws" and not os.environ.get("REDIS_URL"):
        pytest.skip("the daphne process and the tests share a channel layer only on Redis")
    # Whatever day the suite runs on, the project's calendar is closed today: a grab day.
    monkeypatch.setattr("backend.crm.services.dispatch.is_grab_day", lambda project, now: True)
    o = office(consultants=2, units=0, grab_seconds=90)

    pages = {}
    for who in ("alice", "bob"):
        _ctx, page = signed_in(browser, base, getattr(o, who))
        page.goto(f"{base}/crm/grabs")
        page.wait_for_selector("#grabs")
        page.evaluate("window.__notReloaded = true")
        if live == "ws":  # the socket has joined its group: an offer sent before that is not replayed
            page.wait_for_selector("#grabs[data-live=ws]", state="attached", timeout=WAIT)
        pages[who] = page
    alice, bob = pages["alice"], pages["bob"]
    assert "暂无待抢线索" in alice.locator("#grabs").inner_text()

    lead = _in_thread(lambda: services.lead_create(actor=o.manager, project_id=o.project.id, name="周末来电客户",
                                                   phone="138 0000 4321", channel="phone", consent=True,
                                                   now=timezone.now()).customer)
    assert LeadOffer.objects.filter(customer=lead, mode="grab", outcome="offered").count() == 2
    card = f"[data-grab='{lead.id}']"
    for page in (alice, bob):
        page.wait_for_selector(f"{card} [data-deadline] .left", timeout=WAIT)
    left = alice.locator(f"{card} .left").inner_text()
    assert re.fullmatch(r"[01]m \d\ds", left), left  # the countdown ticks in the browser
    assert "周末来电客户" in alice.locator(card).inner_text()
    shot(alice, "crm-grab-pool-live")

    bob.locator(f"{card} button[data-action=grab]").click()
    bob.wait_for_url(f"**/crm/customers/{lead.id}", timeout=WAIT)
    assert Customer.objects.get(id=lead.id).holder_id == o.bob.id

    alice.wait_for_selector(card, state="detached", timeout=WAIT)
    assert alice.evaluate("window.__notReloaded") is True  # gone without a reload
    if live == "ws":
        assert alice.locator("#grab-note").inner_text() == "另一位顾问已先抢到。"
    alice.wait_for_selector("#grabs .muted.card", timeout=WAIT)  # the empty pool says so
