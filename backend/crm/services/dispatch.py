"""Lead dispatch (seed 002) by the rules engine's strategies: on working days to an idle consultant on duty,
round-robin among the idle; on days the project's calendar has closed (weekends, holidays) a grab pool with
a countdown, the first to take the lead wins, and a fallback assigns it when nobody does. Every offer is a
row, whatever became of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max

from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.crm.access import access_customer, ensure_crm
from backend.crm.errors import GrabClosed
from backend.crm.models import (
    ClaimKind,
    Customer,
    FollowUp,
    LeadOffer,
    OfferMode,
    OfferOutcome,
    PoolSettings,
    Seat,
)
from backend.crm.services.clock import hold, pool_settings
from backend.crm.services.pools import _lock_seat, check_may_take
from backend.workorders.definitions import active_definitions
from backend.workorders.live.broadcast import send_after_commit
from workflows.definition_set import UnknownCodeError
from workflows.strategies import Candidate, Requirements, least_loaded, round_robin


def is_grab_day(project: Any, now: datetime) -> bool:
    """True on a day the project's working calendar has no hours (a weekend or a public holiday; a make-up
    working day 调休 is a working day)."""
    definitions = active_definitions()
    try:
        calendar = definitions.calendar(project.sla_calendar)
    except UnknownCodeError:  # an unknown calendar code: Saturday and Sunday
        return business_date(now).weekday() >= 5
    return not calendar.day_status(business_date(now)).hours


def _candidates(project_id: Any, settings_row: PoolSettings, now: datetime) -> list[Candidate]:
    seats = list(Seat.objects.filter(project_id=project_id, on_duty=True, is_manager=False,
                                     user__is_active=True, user__role_rows__role=Role.SALES)
                 .values_list("user_id", flat=True).distinct())
    held = dict(Customer.objects.filter(project_id=project_id, holder_id__in=seats, merged_into__isnull=True)
                .values("holder_id").annotate(n=Count("id")).values_list("holder_id", "n"))
    recent = dict(FollowUp.objects.filter(consultant_id__in=seats).values("consultant_id")
                  .annotate(last=Max("at")).values_list("consultant_id", "last"))
    idle_after = timedelta(minutes=settings_row.idle_minutes)
    return [Candidate(id=str(user_id), on_duty=recent.get(user_id) is None or now - recent[user_id] >= idle_after,
                      open_load=held.get(user_id, 0)) for user_id in seats]


def group_for_grabs(project_id: Any, user_id: Any) -> str:
    """The channel-layer group of one on-duty consultant's grab pool in one project (``/ws/crm/.../grabs``)."""
    return f"crm.grabs.{project_id}.{user_id}"


def _announce(*, customer: Customer, consultant_ids: list[Any], message: dict[str, Any]) -> None:
    """Tells the consultants' grab pools once the surrounding transaction commits (never on rollback)."""
    if consultant_ids:
        send_after_commit([group_for_grabs(customer.project_id, cid) for cid in consultant_ids],
                          {**message, "customer_id": str(customer.id), "project_id": str(customer.project_id)})


def dispatch_lead(*, customer: Customer, now: datetime) -> LeadOffer | None:
    """Within the lead's transaction. Working day: round-robin among idle consultants under the pool limit
    (nobody idle: the least loaded on duty). Grab day: the lead opens in the grab pool of every consultant on
    duty. Nobody on duty: it stays in the public pool."""
    settings_row = PoolSettings.objects.select_for_update().get(id=pool_settings(customer.project_id).id)
    candidates = _candidates(customer.project_id, settings_row, now)
    if not candidates:
        return None
    requirements = Requirements(max_open_load=settings_row.max_customers)
    if is_grab_day(customer.project, now):
        customer.grab_expires_at = now + timedelta(seconds=settings_row.grab_seconds)
        customer.save(update_fields=["grab_expires_at"])
        offers = [LeadOffer(customer=customer, consultant_id=c.id, mode=OfferMode.GRAB, offered_at=now,
                            expires_at=customer.grab_expires_at) for c in candidates if c.open_load < settings_row.max_customers]
        LeadOffer.objects.bulk_create(offers)
        _announce(customer=customer, consultant_ids=[o.consultant_id for o in offers],
                  message={"type": "offer.created", "name": customer.name,
                           "expires_at": customer.grab_expires_at.isoformat()})
        return None
    result = round_robin(candidates, requirements, settings_row.round_robin_cursor or None)
    if result.chosen is None:  # nobody idle: everyone on duty, fewest customers first
        on_duty = [Candidate(id=c.id, open_load=c.open_load) for c in candidates]
        result = least_loaded(on_duty, requirements)
    else:
        settings_row.round_robin_cursor = result.cursor or ""
        settings_row.save(update_fields=["round_robin_cursor"])
    if result.chosen is None:
        return None
    offer = LeadOffer.objects.create(customer=customer, consultant_id=result.chosen, mode=OfferMode.PUSH,
                                     outcome=OfferOutcome.TAKEN, offered_at=now, decided_at=now)
    hold(customer, settings_row, consultant_id=result.chosen, kind=ClaimKind.DISPATCH, actor=None, now=now,
         params={"strategy": result.strategy})
    return offer


def lead_grab(*, actor: Any, customer_id: Any, now: datetime) -> Customer:
    """The first consultant to take a lead in the grab pool wins (a conditional update on the open
    countdown); everyone else's offer is marked lost. Clock: starts from ``now`` for the winner."""
    ensure_crm(actor, (Role.SALES,))
    with transaction.atomic():
        customer = access_customer(actor, customer_id)
        if not LeadOffer.objects.filter(customer=customer, consultant=actor, mode=OfferMode.GRAB,
                                        outcome=OfferOutcome.OFFERED).exists():
            raise GrabClosed()
        settings_row = pool_settings(customer.project_id)
        _lock_seat(actor, customer.project_id)
        check_may_take(user=actor, customer=customer, settings_row=settings_row, now=now, count_daily=False)
        won = Customer.objects.filter(id=customer.id, holder__isnull=True, grab_expires_at__gt=now).update(
            holder=actor, held_since=now, grab_expires_at=None)
        if won != 1:
            raise GrabClosed()
        customer.refresh_from_db()
        hold(customer, settings_row, consultant_id=actor.id, kind=ClaimKind.GRAB, actor=actor, now=now)
        open_offers = LeadOffer.objects.filter(customer=customer, outcome=OfferOutcome.OFFERED)
        told = list(open_offers.values_list("consultant_id", flat=True))
        open_offers.filter(consultant=actor).update(outcome=OfferOutcome.TAKEN, decided_at=now)
        open_offers.exclude(consultant=actor).update(outcome=OfferOutcome.LOST_RACE, decided_at=now)
        _announce(customer=customer, consultant_ids=told, message={"type": "offer.taken", "by": str(actor.id)})
        return customer


def lead_decline(*, actor: Any, customer_id: Any, now: datetime) -> int:
    ensure_crm(actor, (Role.SALES,))
    customer = access_customer(actor, customer_id)
    return LeadOffer.objects.filter(customer=customer, consultant=actor, outcome=OfferOutcome.OFFERED).update(
        outcome=OfferOutcome.DECLINED, decided_at=now)


def grab_fallback_due(*, now: datetime) -> int:
    """Leads whose countdown ended untaken: their open offers time out and the least loaded consultant on
    duty gets the lead (a fallback offer). Claimed by a conditional update, so two sweeps assign once."""
    done = 0
    due = list(Customer.objects.filter(holder__isnull=True, grab_expires_at__lte=now).values_list("id", flat=True)[:200])
    for customer_id in due:
        with transaction.atomic():
            claimed = Customer.objects.filter(id=customer_id, holder__isnull=True, grab_expires_at__lte=now).update(
                grab_expires_at=None)
            if claimed != 1:
                continue
            timing_out = LeadOffer.objects.filter(customer_id=customer_id, outcome=OfferOutcome.OFFERED)
            told = list(timing_out.values_list("consultant_id", flat=True))
            timing_out.update(outcome=OfferOutcome.TIMED_OUT, decided_at=now)
            customer = Customer.objects.select_for_update().get(id=customer_id)
            _announce(customer=customer, consultant_ids=told, message={"type": "offer.expired"})
            settings_row = pool_settings(customer.project_id)
            candidates = [Candidate(id=c.id, open_load=c.open_load)
                          for c in _candidates(customer.project_id, settings_row, now)]
            result = least_loaded(candidates, Requirements(max_open_load=settings_row.max_customers))
            if result.chosen is not None:
                LeadOffer.objects.create(customer=customer, consultant_id=result.chosen, mode=OfferMode.FALLBACK,
                                         outcome=OfferOutcome.TAKEN, offered_at=now, decided_at=now)
                hold(customer, settings_row, consultant_id=result.chosen, kind=ClaimKind.DISPATCH, actor=None,
                     now=now, params={"strategy": "fallback"})
            done += 1
    return done


def open_grabs_for(*, actor: Any, now: datetime) -> list[dict[str, Any]]:
    """The leads in the actor's grab pool now, with the seconds left."""
    rows = (LeadOffer.objects.filter(consultant=actor, outcome=OfferOutcome.OFFERED, mode=OfferMode.GRAB,
                                     customer__holder__isnull=True, customer__grab_expires_at__gt=now)
            .select_related("customer", "customer__project").order_by("offered_at"))
    return [{"customer_id": str(o.customer_id), "name": o.customer.name, "project": o.customer.project.name,
             "expires_at": o.customer.grab_expires_at,
             "seconds_left": max(0, int((o.customer.grab_expires_at - now).total_seconds()))} for o in rows
            if o.customer.grab_expires_at is not None]


__all__ = ["dispatch_lead", "grab_fallback_due", "group_for_grabs", "is_grab_day", "lead_decline", "lead_grab", "open_grabs_for"]
