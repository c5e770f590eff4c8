"""Cost approvals: graph selection by amount and warranty, any-sign and countersign, timeouts,
delegation, rejection. Every refused event leaves the state exactly as it was."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from workflows.approvals import (
    ApprovalState,
    ApprovalSubject,
    Approve,
    Cancel,
    CancelTimeout,
    Completed,
    Delegate,
    Escalated,
    NotifyApprovers,
    Reject,
    ScheduleTimeout,
    StepCompleted,
    Timeout,
    apply_event,
    select_graph,
    start_approval,
)
from workflows.errors import ApprovalConfigurationError, ApprovalError
from workflows.loader import load_definitions

DIRECTORY = {
    ("engineering_manager", "p1"): ["mgr-wang", "mgr-li"],
    ("engineering_director", "p1"): ["dir-zhao"],
    ("finance", None): ["fin-chen", "fin-sun"],
}


def resolve(role, scope):
    return DIRECTORY.get((role, scope.id), [])


def subject(amount, warranty="in", requester="tech-liu", project="p1", category="bathroom-leak"):
    return ApprovalSubject(subject_id="WO-1", amount_yuan=Decimal(amount), category=category, warranty=warranty,
                           project=project, requester=requester)


@pytest.fixture
def now(sh):
    return sh(2026, 3, 2, 9, 0)


@pytest.fixture
def big(definitions, now):
    return start_approval(definitions, subject("8000"), resolve=resolve, now=now, instance_id="A-1")


def assert_refused(state, event, when, code):
    before = state.model_dump()
    with pytest.raises(ApprovalError) as error:
        apply_event(state, event, when)
    assert error.value.code == code
    assert state.model_dump() == before
    return error.value


@pytest.mark.parametrize(
    ("amount", "warranty", "graph"),
    [("0", "in", "small"), ("500", "in", "small"), ("500.01", "in", "manager"), ("5000", "in", "manager"),
     ("5000.01", "in", "manager-and-finance"), ("2000", "out", "paid-service"), ("9000", "out", "manager-and-finance")],
)
def test_the_graph_is_chosen_by_amount_and_warranty(definitions, amount, warranty, graph):
    assert select_graph(definitions, subject(amount, warranty)).code == graph


def test_a_small_estimate_needs_no_approval(definitions, now):
    transition = start_approval(definitions, subject("300"), resolve=resolve, now=now, instance_id="A-0")
    assert transition.state.status == "approved" and transition.state.steps == ()
    assert transition.effects == (Completed("approved", "no approval required (500元及以下免审批)", None),)


def test_starting_notifies_the_first_steps_approvers_and_schedules_its_timeout(big, now):
    state = big.state
    assert (state.graph_code, state.status, state.current_step) == ("manager-and-finance", "in_progress", 0)
    assert state.steps[0].approvers == ("mgr-wang", "mgr-li")
    assert state.steps[1].approvers == ("fin-chen", "fin-sun", "dir-zhao")
    assert big.effects == (NotifyApprovers(0, ("mgr-wang", "mgr-li"), "step_started"),
                           ScheduleTimeout(0, now + timedelta(hours=24)))


def test_an_any_sign_step_completes_on_the_first_approval(big, now):
    later = now + timedelta(hours=1)
    transition = apply_event(big.state, Approve("mgr-li", "同意"), later)
    state = transition.state
    assert state.steps[0].status == "approved" and state.current_step == 1
    assert transition.effects == (
        StepCompleted(0, "approved"), CancelTimeout(0),
        NotifyApprovers(1, ("fin-chen", "fin-sun", "dir-zhao"), "step_started"),
        ScheduleTimeout(1, later + timedelta(hours=48)),
    )


def test_a_countersign_step_completes_only_when_everyone_signed(big, now):
    state = apply_event(big.state, Approve("mgr-wang"), now).state
    for approver in ("fin-sun", "dir-zhao"):
        transition = apply_event(state, Approve(approver), now)
        state = transition.state
        assert state.status == "in_progress" and transition.effects == ()
    final = apply_event(state, Approve("fin-chen"), now)
    assert final.state.status == "approved" and final.state.decided_by == "fin-chen"
    assert final.effects[-1] == Completed("approved", None, "fin-chen")
    assert final.state.steps[1].signed == {"fin-chen", "fin-sun", "dir-zhao"}


def test_a_rejection_ends_the_instance_with_its_reason(big, now):
    state = apply_event(big.state, Approve("mgr-wang"), now).state
    state = apply_event(state, Approve("fin-sun"), now).state
    transition = apply_event(state, Reject("fin-chen", "  报价高于市场价  "), now)
    assert transition.state.status == "rejected" and transition.state.reason == "报价高于市场价"
    assert transition.effects == (StepCompleted(1, "rejected"), CancelTimeout(1),
                                  Completed("rejected", "报价高于市场价", "fin-chen"))
    assert_refused(transition.state, Approve("dir-zhao"), now, "approval.closed")


def test_a_rejection_without_a_reason_is_refused(big, now):
    assert_refused(big.state, Reject("mgr-wang", "   "), now, "approval.reason_required")


def test_the_requester_is_never_an_approver_of_their_own_estimate(definitions, now):
    transition = start_approval(definitions, subject("8000", requester="mgr-wang"), resolve=resolve, now=now,
                                instance_id="A-2")
    assert transition.state.steps[0].approvers == ("mgr-li",)
    assert_refused(transition.state, Approve("mgr-wang"), now, "approval.self_approval")


def test_strangers_and_second_signatures_are_refused(big, now):
    assert_refused(big.state, Approve("fin-chen"), now, "approval.not_an_approver")
    state = apply_event(apply_event(big.state, Approve("mgr-wang"), now).state, Approve("fin-chen"), now).state
    assert_refused(state, Approve("fin-chen"), now, "approval.already_signed")


def test_a_delegate_decides_in_place_of_the_delegator(big, now):
    state = apply_event(big.state, Approve("mgr-wang"), now).state
    transition = apply_event(state, Delegate("fin-sun", "fin-sun", "fin-zhou"), now)
    assert transition.effects == (NotifyApprovers(1, ("fin-zhou",), "delegated"),)
    state = transition.state
    assert state.steps[1].approvers == ("fin-chen", "fin-zhou", "dir-zhao")
    assert_refused(state, Approve("fin-sun"), now, "approval.not_an_approver")
    for approver in ("fin-chen", "fin-zhou", "dir-zhao"):
        state = apply_event(state, Approve(approver), now).state
    assert state.status == "approved"


def test_delegation_to_the_requester_or_an_existing_approver_or_by_someone_else_is_refused(big, now):
    assert_refused(big.state, Delegate("mgr-wang", "mgr-wang", "tech-liu"), now, "approval.self_approval")
    assert_refused(big.state, Delegate("mgr-wang", "mgr-wang", "mgr-li"), now, "approval.already_approver")
    assert_refused(big.state, Delegate("mgr-li", "mgr-wang", "someone"), now, "approval.cannot_delegate")
    assert_refused(big.state, Delegate("fin-chen", "fin-chen", "someone"), now, "approval.not_pending")


def test_a_timeout_escalates_once_then_reminds_and_the_escalation_contact_may_delegate(big, now):
    due = now + timedelta(hours=24)
    assert_refused(big.state, Timeout(0), due - timedelta(seconds=1), "approval.stale_timeout")
    assert_refused(big.state, Timeout(1), due, "approval.stale_timeout")
    escalated = apply_event(big.state, Timeout(0), due)
    assert escalated.effects == (Escalated(0, ("dir-zhao",), ("mgr-wang", "mgr-li")),
                                 NotifyApprovers(0, ("dir-zhao",), "escalated"),
                                 ScheduleTimeout(0, due + timedelta(hours=24)))
    reminded = apply_event(escalated.state, Timeout(0), due + timedelta(hours=24))
    assert reminded.effects[0] == NotifyApprovers(0, ("mgr-wang", "mgr-li"), "reminder")
    assert reminded.state.steps[0].reminders == 1
    delegated = apply_event(reminded.state, Delegate("dir-zhao", "mgr-wang", "mgr-zhang"), due)
    assert delegated.state.steps[0].delegations[0].by == "dir-zhao"


def test_a_step_configured_to_reject_on_timeout_rejects_with_a_reason(default_texts, now):
    texts = dict(default_texts)
    texts["approvals.yaml"] = texts["approvals.yaml"].replace("timeout: 8h\n        on_timeout: remind",
                                                              "timeout: 8h\n        on_timeout: reject")
    definitions = load_definitions(texts)
    state = start_approval(definitions, subject("2000", "out"), resolve=resolve, now=now, instance_id="A-3").state
    transition = apply_event(state, Timeout(0), now + timedelta(hours=8))
    assert transition.state.status == "rejected"
    assert transition.state.reason == "timed out: no decision on step 0 (工程经理确认报价) within 8 h"


def test_only_the_requester_can_withdraw_an_estimate(big, now):
    assert_refused(big.state, Cancel("mgr-wang", "不需要了"), now, "approval.not_requester")
    transition = apply_event(big.state, Cancel("tech-liu", "业主自行维修"), now)
    assert transition.state.status == "cancelled"
    assert transition.effects == (CancelTimeout(0), Completed("cancelled", "业主自行维修", "tech-liu"))


def test_a_step_nobody_can_approve_is_a_configuration_error(definitions, now):
    with pytest.raises(ApprovalConfigurationError) as error:
        start_approval(definitions, subject("8000", project="p2"), resolve=resolve, now=now, instance_id="A-4")
    assert error.value.code == "approval.no_approvers" and error.value.details["roles"] == ["engineering_manager"]
    with pytest.raises(ApprovalConfigurationError) as no_project:
        start_approval(definitions, subject("8000", project=None), resolve=resolve, now=now, instance_id="A-5")
    assert no_project.value.code == "approval.no_project"


def test_the_state_survives_a_json_round_trip(big, now):
    state = apply_event(big.state, Approve("mgr-wang", "ok"), now).state
    assert ApprovalState.model_validate_json(state.model_dump_json()) == state
