"""While an approver is away, the approvals waiting on them go to the stand-in they named, through the
engine's own delegation; before and after the period, nothing moves."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from backend.core.errors import ValidationFailed
from backend.workorders.actors import Actor
from backend.workorders.approvals import stand_ins
from backend.workorders.models import ApprovalPending, ApprovalStandIn, TimelineEvent
from backend.workorders.services import (
    approval_approve,
    approval_stand_in_end,
    approval_stand_in_set,
    estimate_submit,
    order_transition,
)
from backend.workorders.states import State
from tests.console.test_pages import signed_in
from tests.factories import user_with_roles
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def _at_work(side):
    for step in (State.ON_SITE, State.IN_PROGRESS):
        order_transition(order_id=side.order.id, actor=Actor(user=side.technician), to=step, now=timezone.now())


def _estimate(side):
    return estimate_submit(actor=side.technician, order_id=side.order.id, amount_yuan=Decimal("1200"),
                           note="更换止水阀", now=timezone.now())


def _waiting_on(instance):
    return set(ApprovalPending.objects.filter(approval=instance).values_list("user_id", flat=True))


def test_an_estimate_made_while_the_manager_is_away_waits_on_the_stand_in_who_approves_it():
    a, b = two_sides()
    manager, stand_in, now = a.team.supervisor, b.team.supervisor, timezone.now()
    approval_stand_in_set(actor=manager, stand_in_id=stand_in.id, starts_at=now - timedelta(hours=1),
                          ends_at=now + timedelta(days=3), reason="年假", now=now)
    _at_work(a)
    instance = _estimate(a)
    assert _waiting_on(instance) == {stand_in.id}
    note = TimelineEvent.objects.filter(order=a.order, data__note__code="approval_stand_in").get()
    assert note.data["from"] == str(manager.id) and note.data["to"] == str(stand_in.id)
    approval_approve(actor=stand_in, approval_id=instance.id, comment="同意", now=timezone.now())
    instance.refresh_from_db()
    assert instance.status == "approved"


def test_setting_the_period_hands_over_what_already_waits_and_ending_it_keeps_the_next_one_home():
    a, b = two_sides()
    manager, stand_in = a.team.supervisor, b.team.supervisor
    _at_work(a)
    waiting = _estimate(a)
    assert _waiting_on(waiting) == {manager.id}
    now = timezone.now()
    period = approval_stand_in_set(actor=manager, stand_in_id=stand_in.id, starts_at=now, ends_at=now + timedelta(days=1),
                                   reason="", now=now)
    assert _waiting_on(waiting) == {stand_in.id}
    approval_stand_in_end(actor=manager, period_id=period.id, now=timezone.now())
    approval_approve(actor=stand_in, approval_id=waiting.id, comment="", now=timezone.now())
    # Back from leave: the next estimate waits on the manager again.
    assert _waiting_on(_estimate(a)) == {manager.id}


def test_a_period_that_starts_later_moves_nothing_until_beat_sees_it_begin():
    a, b = two_sides()
    manager, stand_in, now = a.team.supervisor, b.team.supervisor, timezone.now()
    approval_stand_in_set(actor=manager, stand_in_id=stand_in.id, starts_at=now + timedelta(days=2),
                          ends_at=now + timedelta(days=5), reason="出差", now=now)
    _at_work(a)
    instance = _estimate(a)
    assert _waiting_on(instance) == {manager.id}
    assert stand_ins.stand_ins_due(now=now + timedelta(days=1)) == 0
    assert stand_ins.stand_ins_due(now=now + timedelta(days=2, minutes=1)) == 1
    assert _waiting_on(instance) == {stand_in.id}
    assert stand_ins.stand_ins_due(now=now + timedelta(days=2, minutes=2)) == 0  # once


@pytest.mark.parametrize("case", ["self", "technician", "backwards", "over", "too_long", "overlap"])
def test_an_impossible_period_is_refused_and_nothing_is_stored(case):
    a, b = two_sides()
    manager, now = a.team.supervisor, timezone.now()
    if case == "overlap":
        approval_stand_in_set(actor=manager, stand_in_id=b.team.supervisor.id, starts_at=now,
                              ends_at=now + timedelta(days=3), reason="", now=now)
    before = ApprovalStandIn.objects.count()
    stand_in = {"self": manager, "technician": a.technician}.get(case, b.team.supervisor)
    starts, ends = {"backwards": (now, now - timedelta(hours=1)), "over": (now - timedelta(days=3), now - timedelta(days=1)),
                    "too_long": (now, now + timedelta(days=200)),
                    "overlap": (now + timedelta(days=1), now + timedelta(days=4))}.get(case, (now, now + timedelta(days=1)))
    with pytest.raises(ValidationFailed):
        approval_stand_in_set(actor=manager, stand_in_id=stand_in.id, starts_at=starts, ends_at=ends, reason="", now=now)
    assert ApprovalStandIn.objects.count() == before


def test_the_console_form_sets_a_period_and_a_bad_date_is_a_field_error_in_chinese():
    a, b = two_sides()
    client = signed_in(a.team.supervisor)
    start = timezone.localtime() + timedelta(days=1)
    response = client.post("/console/approvals/away", {"stand_in": str(b.team.supervisor.id),
                                                       "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                                                       "ends_at": (start + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    period = ApprovalStandIn.objects.get(user=a.team.supervisor)
    assert timezone.localtime(period.starts_at).strftime("%Y-%m-%dT%H:%M") == start.strftime("%Y-%m-%dT%H:%M")
    assert b.team.supervisor.username in client.get("/console/approvals").content.decode() or \
        str(b.team.supervisor) in client.get("/console/approvals").content.decode()
    bad = client.post("/console/approvals/away", {"stand_in": str(b.team.supervisor.id), "starts_at": "2026-13-45T99:00",
                                                  "ends_at": "x"})
    assert bad.status_code == 422 and "请填写日期和时间" in bad.content.decode()
    assert ApprovalStandIn.objects.count() == 1


def test_only_an_approver_may_name_a_stand_in():
    a, b = two_sides()
    now = timezone.now()
    from backend.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        approval_stand_in_set(actor=user_with_roles(Role.CUSTOMER_SERVICE), stand_in_id=b.team.supervisor.id,
                              starts_at=now, ends_at=now + timedelta(days=1), reason="", now=now)
