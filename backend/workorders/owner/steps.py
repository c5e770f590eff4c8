"""What a homeowner does to an order (through the owner portal) and what the office sends them.

The homeowner has no account: the portal verifies a phone number by SMS and passes an
``OwnerIdentity``. Every write here checks the identity's scope (``access_order_of_owner``: a
miss looks like a miss), takes state steps through the one state machine with the HOMEOWNER
role, and appends owner-visible timeline events. Text messages to the owner on each step they
can see go through the notification context's SMS interface, once per timeline event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import ensure_role
from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.core.errors import Conflict, RateLimited
from backend.core.ratelimit import rate_limit_hit
from backend.properties.identity import mask_phone
from backend.workorders.access import access_order, access_order_of_owner
from backend.workorders.actors import Actor, system_actor
from backend.workorders.effects import order_transition
from backend.workorders.inputs import clean_slots, invalid
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.live.broadcast import order_announce
from backend.workorders.live.owner_texts import owner_text
from backend.workorders.models import Comment, OwnerQuote, WarrantyVerdict, WorkOrder
from backend.workorders.notes import system_note
from backend.workorders.states import ALLOWED, OPEN_STATES, WORKING_STATES, State, WaitingReason

MAX_MESSAGE = 1000
RATING_ASPECTS = ("timeliness", "attitude", "quality")


@dataclass(frozen=True)
class OwnerIdentity:
    """A phone number verified by SMS, and the registered owner who has it (None for a visitor who
    reported something in a public area)."""

    phone: str
    owner_id: Any = None
    name: str = ""

    def actor(self) -> Actor:
        label = f"{_('Owner')} {self.name or mask_phone(self.phone)}"
        return Actor(owner_id=self.owner_id, label=label, extra_roles=frozenset({Role.HOMEOWNER}))


def _owner_order(identity: OwnerIdentity, order_id: UUID, now: datetime) -> WorkOrder:
    return access_order_of_owner(owner_id=identity.owner_id, phone=identity.phone, order_id=order_id,
                                 today=business_date(now), for_update=True)


# --- the owner's own steps


def owner_message_add(*, identity: OwnerIdentity, order_id: UUID, body: str, now: datetime) -> Comment:
    """A message to customer service on the order's thread (owner-visible by nature)."""
    body = (body or "").strip()
    if not body or len(body) > MAX_MESSAGE:
        raise invalid("body", _("Write 1 to 1000 characters."))
    with transaction.atomic():
        order = _owner_order(identity, order_id, now)
        comment = Comment.objects.create(order=order, author=None, author_owner_id=identity.owner_id, from_owner=True,
                                         body=body, owner_visible=True, created_at=now)
        event = event_add(order=order, kind=Kind.COMMENT, actor=identity.actor(), note=body, owner_visible=True,
                          data={"comment_id": str(comment.id), "from_owner": True}, now=now)
        order_announce(order=order, kind="comment", now=now, event=event)
    return comment


def _quote_sms_allowed(order: WorkOrder, now: datetime) -> bool:
    """At most a few quote messages per order a day (RATE_LIMITS["owner_quote_sms"]): a newer quote
    still replaces the pending one on the portal, it is just not texted again."""
    try:
        rate_limit_hit(name="owner_quote_sms", identifiers=[f"order:{order.id}"], now_seconds=now.timestamp())
    except RateLimited:
        return False
    return True


def _rating(name: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 5:
        raise invalid(f"rating_{name}", _("Give 1 to 5 stars."))
    return number


def order_rate(*, identity: OwnerIdentity, order_id: UUID, timeliness: Any, attitude: Any, quality: Any,
               comment: str, now: datetime) -> WorkOrder:
    """The owner confirms the repair and rates it: completed → closed, with the three ratings."""
    values = {name: _rating(name, value) for name, value in
              zip(RATING_ASPECTS, (timeliness, attitude, quality), strict=True)}
    comment = (comment or "").strip()
    if len(comment) > MAX_MESSAGE:
        raise invalid("rating_comment", _("Write at most 1000 characters."))
    with transaction.atomic():
        order = _owner_order(identity, order_id, now)
        if order.state != State.COMPLETED:
            raise Conflict(_("This order is not waiting for your rating."), code="not_awaiting_rating",
                           details={"state": order.state})
        changes: dict[str, Any] = {f"rating_{name}": value for name, value in values.items()}
        changes["rating_comment"] = comment
        order = order_transition(order=order, actor=identity.actor(), to=State.CLOSED, now=now,
                                 note=comment, changes=changes, event_data={"rating": values})
    return order


def order_reopen(*, identity: OwnerIdentity, order_id: UUID, reason: str, now: datetime) -> WorkOrder:
    """The problem came back: reopen within the window (``REOPEN_WINDOW_DAYS``) with a reason."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_MESSAGE:
        raise invalid("reason", _("Tell us what is still wrong (1 to 1000 characters)."))
    with transaction.atomic():
        order = _owner_order(identity, order_id, now)
        return order_transition(order=order, actor=identity.actor(), to=State.REOPENED, now=now, note=reason,
                                event_data={"reason": reason, "by": "owner"})


def order_owner_cancel(*, identity: OwnerIdentity, order_id: UUID, reason: str, now: datetime) -> tuple[WorkOrder, bool]:
    """Cancels while nobody is on the way yet; later, records a cancellation request for the office.

    Returns (order, cancelled)."""
    reason = (reason or "").strip()[:MAX_MESSAGE]
    with transaction.atomic():
        order = _owner_order(identity, order_id, now)
        if Role.HOMEOWNER in ALLOWED.get((order.state, State.CANCELLED), frozenset()):
            order = order_transition(order=order, actor=identity.actor(), to=State.CANCELLED, now=now,
                                     note=reason, event_data={"by": "owner"})
            return order, True
        if order.state not in OPEN_STATES:
            raise Conflict(_("This order can no longer be cancelled."), code="cannot_cancel",
                           details={"state": order.state})
        event = event_add(order=order, kind=Kind.NOTE, actor=identity.actor(), note=reason, owner_visible=True,
                          data={"request": "cancel"}, now=now)
        order_announce(order=order, kind="request", now=now, event=event)
    return order, False


def order_reschedule_request(*, identity: OwnerIdentity, order_id: UUID, slots: list[dict[str, Any]], note: str,
                             now: datetime) -> WorkOrder:
    """New preferred visit slots from the owner; the office and the technician see them on the timeline."""
    clean = clean_slots(slots)
    if not clean:
        raise invalid("preferred_slots", _("Choose at least one time that suits you."))
    with transaction.atomic():
        order = _owner_order(identity, order_id, now)
        if order.state not in OPEN_STATES:
            raise Conflict(_("This order can no longer be rescheduled."), code="cannot_reschedule",
                           details={"state": order.state})
        order.preferred_slots, order.updated_at, order.revision = clean, now, order.revision + 1
        order.save(update_fields=["preferred_slots", "updated_at", "revision"])
        event = event_add(order=order, kind=Kind.NOTE, actor=identity.actor(), note=(note or "").strip()[:300],
                          owner_visible=True, data={"request": "reschedule", "slots": clean}, now=now)
        order_announce(order=order, kind="request", now=now, event=event)
    return order


# --- paid-service quotes (out of warranty)

QUOTE_ROLES = (Role.TECHNICIAN, Role.DISPATCHER, Role.CUSTOMER_SERVICE, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR)


def _paid_service_open(order: WorkOrder, now: datetime) -> None:
    """An open out-of-warranty order may be quoted or waived; either withdraws the pending quote."""
    if order.warranty_verdict != WarrantyVerdict.OUT:
        raise Conflict(_("Repairs in warranty are free for the owner: no quote is needed."),
                       code="order_in_warranty", details={"warranty": order.warranty_verdict})
    if order.state not in OPEN_STATES:
        raise Conflict(code="order_closed", details={"state": order.state})
    OwnerQuote.objects.filter(order=order, status=OwnerQuote.Status.PENDING).update(
        status=OwnerQuote.Status.WITHDRAWN, decided_at=now)


def quote_send(*, actor: User, order_id: UUID, amount_yuan: Decimal | str, note: str, now: datetime) -> OwnerQuote:
    """Staff quote a paid repair to the owner; a working order waits for the owner's decision."""
    ensure_role(actor, QUOTE_ROLES)
    try:
        amount = Decimal(str(amount_yuan)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = Decimal(0)
    if amount <= 0 or amount > Decimal("1000000"):
        raise invalid("amount_yuan", _("Enter an amount above 0."))
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        _paid_service_open(order, now)
        quote = OwnerQuote.objects.create(order=order, amount_yuan=amount, note=(note or "").strip()[:500],
                                          created_by=actor, created_at=now)
        event = event_add(order=order, kind=Kind.ESTIMATE, actor=actor, note=quote.note, owner_visible=True,
                          data={"quote_id": str(quote.id), "amount_yuan": str(amount)}, now=now)
        order_announce(order=order, kind="quote", now=now, event=event)
        if order.state in WORKING_STATES:
            waiting = system_note("waiting_owner_quote")
            order_transition(order=order, actor=Actor(user=actor), to=State.WAITING, now=now, note=waiting.text,
                             changes={"waiting_reason": WaitingReason.OWNER},
                             event_data={**waiting.data, "waiting_for": "quote"})
        if _quote_sms_allowed(order, now):
            owner_text(order, "quote_ready", f"quote:{quote.id}", now, amount=str(amount))
    return quote


def quote_decide(*, identity: OwnerIdentity, order_id: UUID, quote_id: UUID | str, accept: bool, reason: str,
                 now: datetime) -> OwnerQuote:
    """The owner accepts or refuses the pending quote; once, whatever the number of clicks."""
    reason = (reason or "").strip()[:300]
    try:
        quote_id = UUID(str(quote_id))
    except ValueError as exc:
        raise invalid("quote_id", _("No such quote.")) from exc
    with transaction.atomic():
        order = _owner_order(identity, order_id, now)
        status = OwnerQuote.Status.ACCEPTED if accept else OwnerQuote.Status.REFUSED
        claimed = OwnerQuote.objects.filter(id=quote_id, order=order, status=OwnerQuote.Status.PENDING).update(
            status=status, decided_at=now, decision_reason=reason)
        quote = OwnerQuote.objects.filter(id=quote_id, order=order).first()
        if quote is None:
            raise invalid("quote_id", _("No such quote."))
        if not claimed:
            raise Conflict(_("This quote has already been answered."), code="quote_decided",
                           details={"status": quote.status})
        event = event_add(order=order, kind=Kind.ESTIMATE, actor=identity.actor(), note=reason, owner_visible=True,
                          data={"quote_id": str(quote.id), "amount_yuan": str(quote.amount_yuan),
                                "decision": status}, now=now)
        order_announce(order=order, kind="quote", now=now, event=event)
        if accept:
            order.estimate_yuan = quote.amount_yuan
            order.save(update_fields=["estimate_yuan"])
            if order.state == State.WAITING and order.waiting_reason == WaitingReason.OWNER:
                accepted = system_note("owner_accepted_quote")
                order_transition(order=order, actor=system_actor("owner_quote"), to=State.IN_PROGRESS, now=now,
                                 note=accepted.text, event_data={**accepted.data, "quote": "accepted"})
    return quote


WAIVER_ROLES = (Role.CUSTOMER_SERVICE, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR)


def paid_service_waive(*, actor: User, order_id: UUID, reason: str, now: datetime) -> WorkOrder:
    """The office does an out-of-warranty repair without charging (goodwill, a disputed verdict): on
    record, with a reason, so that the order may be completed without an accepted quote."""
    ensure_role(actor, WAIVER_ROLES)
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise invalid("reason", _("Give a reason (1 to 300 characters)."))
    with transaction.atomic():
        order = access_order(actor, order_id, for_update=True)
        _paid_service_open(order, now)
        order.paid_service_waived_at, order.paid_service_waiver_reason = now, reason
        order.updated_at, order.revision = now, order.revision + 1
        order.save(update_fields=["paid_service_waived_at", "paid_service_waiver_reason", "updated_at", "revision"])
        event = event_add(order=order, kind=Kind.ESTIMATE, actor=actor, note=reason, owner_visible=True, now=now,
                          data={"waiver": True})
        order_announce(order=order, kind="quote", now=now, event=event)
    return order
