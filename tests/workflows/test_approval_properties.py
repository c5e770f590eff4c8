"""Invariants of the approval state machine under arbitrary event sequences."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import event as label
from hypothesis import strategies as st

from workflows.approvals import (
    ApprovalSubject,
    Approve,
    Cancel,
    Delegate,
    Reject,
    StepCompleted,
    Timeout,
    apply_event,
    start_approval,
)
from workflows.errors import ApprovalError
from workflows.loader import load_default_definitions

DEFINITIONS = load_default_definitions()
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PEOPLE = ["mgr-wang", "mgr-li", "dir-zhao", "fin-chen", "fin-sun", "tech-liu", "fin-zhou", "stranger"]
DIRECTORY = {
    "engineering_manager": ["mgr-wang", "mgr-li"],
    "engineering_director": ["dir-zhao"],
    "finance": ["fin-chen", "fin-sun"],
}


def draw_event(data, state):
    """An event, with actors biased towards the approvers the active step waits for, so that
    countersign steps do complete in some runs."""
    pending = state.steps[state.current_step].pending if state.current_step is not None else ()
    person = st.sampled_from(PEOPLE)
    actor = data.draw(st.one_of(person, st.sampled_from(pending)) if pending else person)
    kind = data.draw(st.sampled_from(["approve"] * 4 + ["reject", "delegate", "timeout", "cancel"]))
    if kind == "approve":
        return Approve(actor)
    if kind == "reject":
        return Reject(actor, data.draw(st.sampled_from(["", "报价过高", "  "])))
    if kind == "delegate":
        return Delegate(data.draw(st.one_of(st.just(actor), person)), actor, data.draw(person))
    if kind == "timeout":
        return Timeout(data.draw(st.integers(0, 2)))
    return Cancel(data.draw(st.sampled_from([actor, "tech-liu"])), "撤回")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amount=st.sampled_from(["800", "4000", "12000"]),
    warranty=st.sampled_from(["in", "out"]),
    count=st.integers(0, 25),
    data=st.data(),
)
def test_approval_invariants_hold_for_any_sequence_of_events(amount, warranty, count, data):
    subject = ApprovalSubject(subject_id="WO-9", amount_yuan=Decimal(amount), category="tiles",
                              warranty=warranty, project="p1", requester="tech-liu")
    state = start_approval(DEFINITIONS, subject, resolve=lambda role, scope: DIRECTORY.get(role, []), now=START,
                           instance_id="P-1").state
    completed: Counter[int] = Counter()
    now = START
    for _ in range(count):
        event = draw_event(data, state)
        now += timedelta(minutes=data.draw(st.integers(0, 30 * 60)))
        before = state.model_dump()
        was_closed = state.status != "in_progress"
        try:
            transition = apply_event(state, event, now)
        except ApprovalError as error:
            assert state.model_dump() == before  # a refused event changes nothing
            if was_closed:
                assert error.code == "approval.closed"  # approved, rejected or cancelled is terminal
            continue
        assert not was_closed, "an event was accepted by a finished instance"
        step_before = state.steps[state.current_step]
        state = transition.state
        finished = [e.step for e in transition.effects if isinstance(e, StepCompleted)]
        completed.update(finished)
        for index in finished:
            step = state.steps[index]
            if step.status == "approved" and step.mode == "all":
                assert set(step.approvers) <= step.signed
            if step.status == "approved" and step.mode == "any":
                assert len(step.signed) == 1
        if isinstance(event, Approve) and step_before.mode == "any":
            assert finished == [step_before.index]
        if isinstance(event, Approve) and step_before.mode == "all":
            assert (finished == [step_before.index]) == (not state.steps[step_before.index].pending)
        assert "tech-liu" not in {s.user for step in state.steps for s in step.signatures}
    label(f"final status {state.status}, graph {state.graph_code}")
    assert all(count == 1 for count in completed.values()), "a step completed twice"
    if state.status == "approved":
        assert all(step.status == "approved" for step in state.steps)
    if state.status == "rejected":
        assert [s.status for s in state.steps].count("rejected") == 1
