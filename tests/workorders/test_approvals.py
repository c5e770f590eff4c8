from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from backend.core.errors import Conflict, NotFound, PermissionDenied
from backend.workorders.actors import Actor
from backend.workorders.approvals import estimates as approvals
from backend.workorders.effects import order_transition
from backend.workorders.models import ApprovalInstance, Notification, TimelineEvent, WorkOrder
from backend.workorders.states import State
from tests.factories import user_with_roles
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def working_order():
    a, b = two_sides()
    now = timezone.now()
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=step, now=now)
    finance = user_with_roles(Role.FINANCE)
    director = a.team.members.get(role_rows__role=Role.ENGINEERING_DIRECTOR)
    return a, b, finance, director


def test_small_estimates_need_no_approval_and_the_work_goes_on():
    a, _b, _f, _d = working_order()
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("300"),
                                         note="换角阀", now=timezone.now())
    assert instance.status == "approved" and instance.graph_code == "small"
    assert WorkOrder.objects.get(id=a.order.id).state == State.IN_PROGRESS


def test_a_mid_estimate_waits_for_the_project_manager_and_resumes_on_approval():
    a, _b, _f, _d = working_order()
    manager = a.team.supervisor
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("1200"),
                                         note="更换防水层", now=timezone.now())
    order = WorkOrder.objects.get(id=a.order.id)
    assert (order.state, order.waiting_reason, order.estimate_yuan) == (State.WAITING, "approval", Decimal("1200"))
    assert [i["id"] for i in approvals.approval_inbox(actor=manager)] == [instance.id]
    assert Notification.objects.filter(user=manager, template="approval_step_started").exists()
    with pytest.raises(NotFound):  # someone not involved in the approval does not even see it
        approvals.approval_approve(actor=user_with_roles(Role.FINANCE), approval_id=instance.id, comment="",
                                   now=timezone.now())
    done = approvals.approval_approve(actor=manager, approval_id=instance.id, comment="同意", now=timezone.now())
    assert done.status == "approved"
    assert WorkOrder.objects.get(id=a.order.id).state == State.IN_PROGRESS
    assert approvals.approval_inbox(actor=manager) == []


def test_the_requester_cannot_approve_their_own_estimate():
    a, _b, _f, _d = working_order()
    manager = a.team.supervisor
    colleague = user_with_roles(Role.ENGINEERING_MANAGER)
    a.team.members.add(colleague)
    instance = approvals.estimate_submit(actor=manager, order_id=a.order.id, amount_yuan=Decimal("1200"),
                                         note="", now=timezone.now())
    with pytest.raises(Conflict) as caught:
        approvals.approval_approve(actor=manager, approval_id=instance.id, comment="", now=timezone.now())
    assert caught.value.code == "approval_self_approval"
    assert ApprovalInstance.objects.get(id=instance.id).status == "in_progress"
    approvals.approval_approve(actor=colleague, approval_id=instance.id, comment="", now=timezone.now())
    assert ApprovalInstance.objects.get(id=instance.id).status == "approved"


def test_an_estimate_nobody_else_can_approve_is_refused_clearly():
    a, _b, _f, _d = working_order()
    with pytest.raises(Conflict) as caught:
        approvals.estimate_submit(actor=a.team.supervisor, order_id=a.order.id, amount_yuan=Decimal("1200"),
                                  note="", now=timezone.now())
    assert caught.value.code == "approval_no_approvers"
    assert not ApprovalInstance.objects.exists()
    assert WorkOrder.objects.get(id=a.order.id).estimate_yuan is None


def test_a_large_estimate_needs_the_manager_then_finance_and_director_countersign():
    a, _b, finance, director = working_order()
    manager = a.team.supervisor
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("8000"),
                                         note="整体更换", now=timezone.now())
    approvals.approval_approve(actor=manager, approval_id=instance.id, comment="", now=timezone.now())
    approvals.approval_approve(actor=finance, approval_id=instance.id, comment="", now=timezone.now())
    assert ApprovalInstance.objects.get(id=instance.id).status == "in_progress"  # countersign: the director too
    assert WorkOrder.objects.get(id=a.order.id).state == State.WAITING
    approvals.approval_approve(actor=director, approval_id=instance.id, comment="", now=timezone.now())
    assert ApprovalInstance.objects.get(id=instance.id).status == "approved"
    assert WorkOrder.objects.get(id=a.order.id).state == State.IN_PROGRESS


def test_rejection_sends_the_order_back_with_the_reason_and_is_final():
    a, _b, _f, _d = working_order()
    manager = a.team.supervisor
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("1200"),
                                         note="", now=timezone.now())
    approvals.approval_reject(actor=manager, approval_id=instance.id, reason="报价偏高", now=timezone.now())
    order = WorkOrder.objects.get(id=a.order.id)
    assert order.state == State.IN_PROGRESS and order.estimate_yuan is None
    assert TimelineEvent.objects.filter(order=order, kind="state", note__contains="报价偏高").exists()
    with pytest.raises(Conflict):
        approvals.approval_approve(actor=manager, approval_id=instance.id, comment="", now=timezone.now())


def test_strangers_and_wrong_roles_are_refused_without_change():
    a, b, _f, _d = working_order()
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("1200"),
                                         note="", now=timezone.now())
    with pytest.raises(PermissionDenied):
        approvals.approval_approve(actor=user_with_roles(Role.SALES), approval_id=instance.id, comment="",
                                   now=timezone.now())
    with pytest.raises(NotFound):
        approvals.approval_approve(actor=b.team.supervisor, approval_id=instance.id, comment="", now=timezone.now())
    assert ApprovalInstance.objects.get(id=instance.id).revision == instance.revision


def test_a_timed_out_step_escalates_once():
    a, _b, _f, director = working_order()
    instance = approvals.estimate_submit(actor=a.technician, order_id=a.order.id, amount_yuan=Decimal("1200"),
                                         note="", now=timezone.now())
    later = timezone.now() + timedelta(hours=25)
    due = approvals.approvals_due(now=later)
    assert due == [(str(instance.id), instance.revision)]
    assert approvals.approval_timeout(approval_id=due[0][0], revision=due[0][1], now=later) is True
    assert approvals.approval_timeout(approval_id=due[0][0], revision=due[0][1], now=later) is False
    assert Notification.objects.filter(user=director, template="approval_escalated").count() == 1
