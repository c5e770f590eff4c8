"""Celery tasks of the work-order context: thin, idempotent, each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.core.failpoints import failpoint
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.models import GrabOffer
from backend.workorders.sla import clocks as sla


@shared_task(name="workorders.grab_offer_expire", acks_late=True, bind=True, max_retries=20)
def grab_offer_expire(self, offer_id: str) -> str:  # type: ignore[no-untyped-def]
    """Applies the grab pool's fallback when the countdown ended untaken. Idempotent: claims the offer first."""
    now = timezone.now()
    pending = GrabOffer.objects.filter(id=offer_id, status=GrabOffer.Status.OPEN, expires_at__gt=now).first()
    if pending is not None:  # delivered a little early: look again when it expires
        raise self.retry(countdown=max(0.5, (pending.expires_at - now).total_seconds() + 0.2))
    order = dispatch.grab_offer_expire(offer_id=offer_id, now=now)
    return "applied" if order is not None else "nothing to do"


@shared_task(name="workorders.grab_offers_sweep")
def grab_offers_sweep() -> int:
    """Safety net for lost countdown tasks (a restart of the embedded broker): expire overdue offers."""
    now = timezone.now()
    ids = list(GrabOffer.objects.filter(status=GrabOffer.Status.OPEN, expires_at__lte=now).values_list("id", flat=True))
    for offer_id in ids:
        dispatch.grab_offer_expire(offer_id=offer_id, now=now)
    return len(ids)


@shared_task(name="workorders.sla_alert_fire", acks_late=True)
def sla_alert_fire(alert_id: int) -> bool:
    fired = sla.sla_alert_fire(alert_id=alert_id, now=timezone.now())
    failpoint("sla_alert_committed")  # committed, not yet acknowledged to the broker
    return fired


@shared_task(name="workorders.sla_fire_due")
def sla_fire_due() -> int:
    """Run by beat: one task per due alert. Two beats or a redelivery fire nothing twice (the claim decides)."""
    ids = sla.sla_due_alert_ids(now=timezone.now())
    for alert_id in ids:
        sla_alert_fire.delay(alert_id)
    return len(ids)


@shared_task(name="workorders.approval_timeouts")
def approval_timeouts() -> int:
    """Run by beat: applies each due step timeout once (the revision check makes repeats no-ops)."""
    from backend.workorders.approvals import estimates as approvals

    now = timezone.now()
    return sum(approvals.approval_timeout(approval_id=i, revision=r, now=now) for i, r in approvals.approvals_due(now=now))


@shared_task(name="workorders.approval_stand_ins")
def approval_stand_ins() -> int:
    """Hands the approvals of approvers whose time away has begun to their stand-ins."""
    from backend.workorders.approvals import stand_ins

    return stand_ins.stand_ins_due(now=timezone.now())
