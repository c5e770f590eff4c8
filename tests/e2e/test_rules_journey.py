"""The rules pages in a real Chromium: an administrator lowers the approval threshold in a draft (the
form writes the YAML the CodeMirror editor shows and the engine checks), sees in the simulation which
of last month's estimates would have gone to finance, publishes, and the next estimate in the console
goes to finance. Also: a typo in the editor is marked at its line, in Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from backend.rulesets.models import RuleVersion
from backend.workorders.actors import Actor
from backend.workorders.approvals import estimates as approvals
from backend.workorders.effects import order_transition
from backend.workorders.models import ApprovalInstance
from backend.workorders.services import order_intake
from backend.workorders.states import State
from tests.e2e.conftest import shot
from tests.e2e.test_console_journey import WAIT, staff_page
from tests.factories import UnitFactory, user_with_roles
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)


def _working(a, description: str):
    order = order_intake(actor=Actor(user=a.agent), channel="phone", category_code="drainage",
                         description=description, contact_name="张女士", contact_phone="13800138000",
                         now=timezone.now(), unit_id=UnitFactory(building__project=a.project).id).order
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=order.id, actor=Actor(user=a.technician), to=step, now=timezone.now())
    return order


def test_an_administrator_lowers_the_threshold_simulates_publishes_and_the_next_estimate_goes_to_finance(
        browser, live_site):
    base, _live = live_site
    a, _b = two_sides()
    admin = user_with_roles(Role.ADMINISTRATOR, username="rules-admin")
    finance = user_with_roles(Role.FINANCE, username="finance")
    # Last month: a 4 000 ¥ estimate the engineering manager approved alone (under the 5 000 ¥ threshold).
    past = _working(a, "厨房下水管漏水")
    old = approvals.estimate_submit(actor=a.technician, order_id=past.id, amount_yuan=Decimal("4000"),
                                    note="更换下水管", now=timezone.now())
    approvals.approval_approve(actor=a.team.supervisor, approval_id=old.id, comment="同意", now=timezone.now())
    assert old.graph_code == "manager"

    context, page = staff_page(browser, base, admin)
    page.goto(f"{base}/console/rules/")
    page.fill("input[name=title]", "财务会签门槛降到3000元")
    page.click("[data-action=new-draft]")
    page.wait_for_selector("[data-editor='routing.yaml']")  # CodeMirror mounted on the files

    # A typo in the editor is marked at its line, in Chinese, by the engine's loader.
    page.click("[data-tab='sla.yaml']")
    editor = page.locator("[data-editor='sla.yaml'] .cm-content")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nbogus_field: 1")
    page.wait_for_selector("[data-problems] li", timeout=WAIT)
    problem = page.locator("[data-problems] li").first.inner_text()
    assert "sla.yaml:" in problem and "未知字段" in problem
    page.wait_for_selector("[data-editor='sla.yaml'] .cm-lint-marker-error", timeout=WAIT)
    shot(page, "rules-editor-problem")
    page.keyboard.press("Control+z")
    page.wait_for_function("document.querySelector('[data-check-summary]').textContent.includes('未发现问题')",
                           timeout=WAIT)

    # The form view changes the threshold in approvals.yaml.
    page.click("[data-form='approval-threshold'] summary") if not page.is_visible(
        "[data-form='approval-threshold'] input[name=new]") else None
    page.select_option("[data-form='approval-threshold'] select[name=old]", "5000")
    page.fill("[data-form='approval-threshold'] input[name=new]", "3000")
    page.click("[data-form='approval-threshold'] button")
    page.wait_for_selector("[data-editor='approvals.yaml']")
    assert "up_to: 3000" in page.locator("[data-editor='approvals.yaml'] .cm-content").inner_text()
    shot(page, "rules-editor")

    # The simulation over the last 30 days shows last month's estimate going to finance.
    page.click("[data-action=simulate]")
    page.wait_for_selector("[data-simulation]", timeout=WAIT)
    assert page.locator("[data-total=finance]").inner_text().replace(" ", "") == "0→1"
    row = page.locator(f"[data-sim-order='{past.number}']")
    assert "manager-and-finance" in row.inner_text() and "finance" in row.inner_text()
    assert row.locator(f"a[href='/console/orders/{past.id}']").count() == 1
    shot(page, "rules-simulation")

    page.fill("#publish-form input[name=note]", "财务会签门槛从5000元降到3000元")
    page.click("[data-action=publish]")
    page.wait_for_selector("[data-published]", timeout=WAIT)
    live = RuleVersion.objects.order_by("-number").first()
    assert live is not None and live.author_id == admin.id
    shot(page, "rules-versions")

    # The next estimate of 4 000 ¥ takes the finance countersign: after the manager, it waits on finance.
    nxt = _working(a, "卫生间下水管漏水")
    instance = approvals.estimate_submit(actor=a.technician, order_id=nxt.id, amount_yuan=Decimal("4000"),
                                         note="更换下水管", now=timezone.now())
    assert instance.graph_code == "manager-and-finance"
    approvals.approval_approve(actor=a.team.supervisor, approval_id=instance.id, comment="同意", now=timezone.now())
    finance_ctx, inbox = staff_page(browser, base, finance)
    inbox.goto(f"{base}/console/approvals")
    inbox.wait_for_selector(f"[data-approval='{instance.id}']", timeout=WAIT)
    assert ApprovalInstance.objects.get(id=instance.id).status == "in_progress"
    finance_ctx.close()
    context.close()
