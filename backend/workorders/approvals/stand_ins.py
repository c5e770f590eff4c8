"""Stand-ins while away: an approver names who decides for them over a period, once, instead of
delegating approval by approval.

While the period runs, every approval step that waits on the absent approver is handed to the
stand-in through the engine's own delegation (so the audit trail, the refusals — never to the
estimate's requester, never to someone who already approves the step — and the notifications are
the engine's). It happens when a step starts waiting on them, when the period is set, and, for a
period that starts later, by beat when it begins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.access import ensure_role, has_role
from backend.accounts.models import User
from backend.core.dates import instant_in_window
from backend.core.errors import NotFound, ValidationFailed
from backend.workorders.approvals.estimates import APPROVER_ROLES, pass_to_stand_ins, stand_in_active
from backend.workorders.models import ApprovalInstance, ApprovalPending, ApprovalStandIn

MAX_PERIOD = timedelta(days=92)


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(details={"errors": [{"field": field, "reason": reason}]})


def approval_stand_in_set(*, actor: User, stand_in_id: Any, starts_at: datetime, ends_at: datetime, reason: str,
                          now: datetime) -> ApprovalStandIn:
    """Names a stand-in for a period; approvals already waiting on the actor are handed over now if
    the period has begun. Periods of one approver do not overlap."""
    ensure_role(actor, APPROVER_ROLES)
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is None or value.tzinfo is None or not instant_in_window(value):
            raise _invalid(field, _("Give a date and time."))
    if ends_at <= starts_at:
        raise _invalid("ends_at", _("The end must come after the start."))
    if ends_at <= now:
        raise _invalid("ends_at", _("The period is already over."))
    if ends_at - starts_at > MAX_PERIOD:
        raise _invalid("ends_at", _("At most three months at a time."))
    stand_in = User.objects.filter(id=stand_in_id, is_active=True).first() if stand_in_id else None
    if stand_in is None or stand_in.id == actor.id or not has_role(stand_in, *APPROVER_ROLES):
        raise _invalid("stand_in", _("Choose another approver."))
    with transaction.atomic():
        # Locks the approver's periods: two requests cannot both pass the overlap check.
        list(User.objects.select_for_update().filter(id=actor.id).values_list("id", flat=True))
        if ApprovalStandIn.objects.filter(user=actor, ended_at__isnull=True, starts_at__lt=ends_at,
                                          ends_at__gt=starts_at).exists():
            raise _invalid("starts_at", _("This period overlaps another one of yours: end that one first."))
        period = ApprovalStandIn.objects.create(user=actor, stand_in=stand_in, starts_at=starts_at, ends_at=ends_at,
                                                reason=(reason or "").strip()[:200], created_at=now)
        if starts_at <= now:
            stand_ins_hand_over(user_id=actor.id, now=now)
    return period


def approval_stand_in_end(*, actor: User, period_id: Any, now: datetime) -> ApprovalStandIn:
    """Ends a period early (back from leave); what was handed over stays with the stand-in."""
    try:
        period = ApprovalStandIn.objects.get(id=period_id, user=actor)
    except (ApprovalStandIn.DoesNotExist, ValueError, ValidationFailed):
        raise NotFound(details={"object": "stand_in"}) from None
    ApprovalStandIn.objects.filter(id=period.id, ended_at__isnull=True).update(ended_at=now)
    period.refresh_from_db()
    return period


def stand_ins_hand_over(*, user_id: Any, now: datetime) -> int:
    """Hands every approval now waiting on ``user_id`` to their stand-in, if they are away. Returns
    how many were handed over."""
    if stand_in_active(user_id=user_id, now=now) is None:
        return 0
    handed = 0
    ids = list(ApprovalPending.objects.filter(user_id=user_id, approval__status="in_progress")
               .values_list("approval_id", flat=True))
    for approval_id in ids:
        with transaction.atomic():
            instance = (ApprovalInstance.objects.select_for_update().select_related("order")
                        .filter(id=approval_id, status="in_progress").first())
            if instance is not None:
                handed += pass_to_stand_ins(instance, now=now)
    return handed


def stand_ins_due(*, now: datetime) -> int:
    """Beat: approvers whose period is running and who still have approvals waiting on them."""
    away = (ApprovalStandIn.objects.filter(starts_at__lte=now, ends_at__gt=now, ended_at__isnull=True)
            .filter(user__approval_inbox__approval__status="in_progress").values_list("user_id", flat=True).distinct())
    return sum(stand_ins_hand_over(user_id=user_id, now=now) for user_id in list(away)[:200])
