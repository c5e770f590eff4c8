"""Leads, identity and merges, follow-ups and manual stage changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from backend.accounts.access import has_role
from backend.accounts.roles import Role
from backend.core.errors import NotFound, PermissionDenied, ValidationFailed
from backend.crm.access import access_customer, access_project, ensure_crm, ensure_manager_of
from backend.crm.errors import NotMergeable
from backend.crm.identity import hash_id_number, normalize_phone
from backend.crm.models import (
    Channel,
    ChannelPartner,
    ClaimKind,
    Customer,
    CustomerEvent,
    CustomerSource,
    EventKind,
    FollowUp,
    FollowUpKind,
    MergeRecord,
    Seat,
)
from backend.crm.services.clock import CLOCK_FIELDS, clock_set, hold, pool_settings, transition
from backend.crm.services.referrals import referral_code_find
from backend.crm.states import SYSTEM_STAGES, Stage


@dataclass(frozen=True)
class LeadResult:
    customer: Customer
    created: bool
    merged: list[str]  # ids of customers merged into it because the lead tied them together


def _field_error(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(details={"errors": [{"field": field, "reason": reason}]})


def _live(customer: Customer) -> Customer:
    seen = 0
    while customer.merged_into_id is not None and seen < 20:
        customer = Customer.objects.select_for_update().get(id=customer.merged_into_id)
        seen += 1
    return customer


def _matches(project_id: Any, phone: str, id_hash: str) -> list[Customer]:
    """The live customers this phone or ID number names, oldest first (a merged record leads to its kept one)."""
    found: dict[Any, Customer] = {}
    # A phone is the customer's if it is their main number or any source gave it (sources move on a merge).
    given = CustomerSource.objects.filter(customer__project_id=project_id, phone=phone).values("customer_id")
    by_phone = Customer.objects.select_for_update().filter(
        Q(phone=phone) | Q(id__in=given), project_id=project_id).order_by("merged_into_id", "created_at")
    for row in by_phone:
        live = _live(row)
        found.setdefault(live.id, live)
    if id_hash:
        for row in Customer.objects.select_for_update().filter(project_id=project_id, id_number_hash=id_hash,
                                                               merged_into__isnull=True):
            found.setdefault(row.id, row)
    return sorted(found.values(), key=lambda c: (c.created_at, str(c.id)))


def lead_create(*, actor: Any, project_id: Any, name: str, phone: str, channel: str, consent: bool,
                id_number: str = "", partner_id: int | None = None, note: str = "", expected_amount_fen: int = 0,
                now: datetime, dispatch: bool = True, id_number_hash: str = "", referral_code: str = "") -> LeadResult:
    """A lead from any source. Matched on the normalised phone and the ID number's keyed hash: a match gets
    this source added (the clock untouched); a lead naming two customers merges the younger into the older
    (recorded, undoable). A new customer: a walk-in is held by the consultant who logs it (a fresh clock),
    any other channel goes to lead dispatch.

    ``referral_code`` (老带新): the lead's channel is ``referral`` and its source names the code. A new customer
    is attributed to the referrer for ``PoolSettings.referral_protection_days``; a customer the project knew
    already keeps the source without the attribution (``referral_attributed: false`` on the timeline)."""
    ensure_crm(actor)
    project = access_project(actor, project_id)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _field_error("name", _("Give the customer's name (at most 100 characters)."))
    if channel not in Channel.values:
        raise _field_error("channel", _("Unknown channel."))
    phone_e164 = normalize_phone(phone)
    # ``id_number_hash``: a caller that validated and hashed the number already (the import).
    id_hash = hash_id_number(id_number) if (id_number or "").strip() else id_number_hash
    partner = None
    if partner_id is not None:
        partner = ChannelPartner.objects.filter(id=partner_id, project=project).first()
        if partner is None:
            raise NotFound(details={"object": "partner"})
    referral = None
    if (referral_code or "").strip():
        if partner is not None:
            raise _field_error("referral_code", _("A lead comes through a partner or a referral, not both."))
        referral = referral_code_find(project_id=project.id, code=referral_code)
        channel = Channel.REFERRAL
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _lead_in_transaction(actor=actor, project=project, name=name, phone=phone_e164,
                                            id_hash=id_hash, channel=channel, consent=consent, partner=partner,
                                            note=note[:300], expected_amount_fen=expected_amount_fen, now=now,
                                            dispatch=dispatch, referral=referral)
        except IntegrityError:
            continue  # another lead with this phone committed first: match it on the next try
    raise ValidationFailed(details={"errors": [{"field": "phone", "reason": _("Please try again.")}]})


def _lead_in_transaction(*, actor: Any, project: Any, name: str, phone: str, id_hash: str, channel: str,
                         consent: bool, partner: ChannelPartner | None, note: str, expected_amount_fen: int,
                         now: datetime, dispatch: bool, code: Any = None, referral: Any = None) -> LeadResult:
    matches = _matches(project.id, phone, id_hash)
    merged: list[str] = []
    created = not matches
    if created:
        customer = Customer.objects.create(project=project, name=name, phone=phone, id_number_hash=id_hash,
                                           last_activity_at=now, created_at=now, stage_changed_at=now,
                                           expected_amount_fen=max(0, expected_amount_fen))
        CustomerEvent.objects.create(customer=customer, kind=EventKind.CREATED, actor=actor, at=now,
                                     params={"channel": channel, **({"referral": referral.code} if referral else {})})
    else:
        customer = matches[0]
        for other in matches[1:]:
            _merge(actor=actor, kept=customer, merged=other, reason="same_person", now=now)
            merged.append(str(other.id))
        if id_hash and not customer.id_number_hash:
            customer.id_number_hash = id_hash
            customer.save(update_fields=["id_number_hash"])
    if referral is not None and (referral.referrer_id == customer.id or str(referral.referrer_id) in merged):
        raise _field_error("referral_code", _("A customer cannot refer themselves."))
    source = CustomerSource(customer=customer, channel=channel, partner=partner, reported_by=actor, name=name,
                            phone=phone, consent=consent, note=note, created_at=now, code=code, referral=referral)
    if referral is not None and created:
        days = pool_settings(project.id).referral_protection_days
        source.attribution_until = now + timedelta(days=days)
    dispute = None
    if partner is not None:
        holder = CustomerSource.objects.filter(customer=customer, partner__isnull=False,
                                               attribution_until__gt=now).exclude(partner=partner).first()
        if holder is None:
            source.attribution_until = now + timedelta(days=partner.protection_days)
        else:
            dispute = holder.partner_id
    source.save()
    if not created:
        extra = {"referral": referral.code, "referral_attributed": False} if referral is not None else {}
        CustomerEvent.objects.create(customer=customer, kind=EventKind.SOURCE_ADDED, actor=actor, at=now,
                                     params={"channel": channel, "source": source.id, "disputed_with": dispute,
                                             **extra})
    if created:
        seat = Seat.objects.filter(user=actor, project=project).first() if actor is not None else None
        # A walk-in, or a referred friend the consultant meets (老带新), is theirs; other leads are dispatched.
        if channel in {Channel.WALK_IN, Channel.REFERRAL} and seat is not None and has_role(actor, Role.SALES):
            hold(customer, pool_settings(project.id), consultant_id=actor.id, kind=ClaimKind.CLAIM, actor=actor,
                 now=now, params={"why": "walk_in"})
        elif dispatch:
            from backend.crm.services.dispatch import dispatch_lead

            dispatch_lead(customer=customer, now=now)
    return LeadResult(customer, created, merged)


# What a merge changes on the two rows, recorded before (and after, for the kept one) so that an undo puts
# back exactly what was there.
ROW_FIELDS = ("holder_id", "held_since", "protected_until", "last_activity_at", "recycle_due_at", "warn_at",
              "warned_at", "id_number_hash", "first_response_at")
_DATETIME_FIELDS = frozenset(ROW_FIELDS) - {"holder_id", "id_number_hash"}


def _row_snapshot(customer: Customer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ROW_FIELDS:
        value = getattr(customer, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else (str(value) if value is not None else None)
    return out


def _row_restore(customer: Customer, snapshot: dict[str, Any]) -> None:
    from uuid import UUID

    for name in ROW_FIELDS:
        value = snapshot[name]
        if value is not None and name in _DATETIME_FIELDS:
            value = datetime.fromisoformat(value)
        elif value is not None and name == "holder_id":
            value = UUID(value)
        setattr(customer, name, value)


def _merge(*, actor: Any, kept: Customer, merged: Customer, reason: str, now: datetime) -> MergeRecord:
    if kept.id == merged.id or kept.project_id != merged.project_id or merged.merged_into_id is not None:
        raise NotMergeable(details={"kept": str(kept.id), "merged": str(merged.id)})
    moved: dict[str, Any] = {
        "kept_row": _row_snapshot(kept), "merged_row": _row_snapshot(merged),
        "sources": list(merged.sources.values_list("id", flat=True)),
        "follow_ups": list(merged.follow_ups.values_list("id", flat=True)),
        "merged_holder": str(merged.holder_id) if merged.holder_id else None,
        "kept_before": {"holder": str(kept.holder_id) if kept.holder_id else None,
                        "id_number_hash": kept.id_number_hash, "last_activity_at": kept.last_activity_at.isoformat(),
                        "held_since": kept.held_since.isoformat() if kept.held_since else None,
                        "first_response_at": kept.first_response_at.isoformat() if kept.first_response_at else None},
        "merged_before": {"id_number_hash": merged.id_number_hash,
                          "held_since": merged.held_since.isoformat() if merged.held_since else None},
    }
    CustomerSource.objects.filter(id__in=moved["sources"]).update(customer=kept)
    FollowUp.objects.filter(id__in=moved["follow_ups"]).update(customer=kept)
    hash_moves = not kept.id_number_hash and merged.id_number_hash
    merged.merged_into = kept
    merged.holder = None
    merged.held_since = merged.protected_until = merged.recycle_due_at = merged.warn_at = merged.warned_at = None
    merged.id_number_hash = ""
    merged.save(update_fields=["merged_into", "holder", "held_since", "protected_until", "recycle_due_at",
                               "warn_at", "warned_at", "id_number_hash"])
    # The clock: the kept customer keeps its holder (or takes the merged one's) and the later activity.
    if hash_moves:
        kept.id_number_hash = moved["merged_before"]["id_number_hash"]
    if kept.holder_id is None and moved["merged_holder"]:
        kept.holder_id = moved["merged_holder"]
        kept.held_since = now
    if merged.first_response_at and (kept.first_response_at is None or merged.first_response_at < kept.first_response_at):
        kept.first_response_at = merged.first_response_at
    clock_set(kept, pool_settings(kept.project_id), last_activity_at=max(kept.last_activity_at, merged.last_activity_at))
    kept.save(update_fields=["id_number_hash", "holder", "held_since", "first_response_at", *CLOCK_FIELDS])
    moved["kept_after"] = _row_snapshot(kept)
    record = MergeRecord.objects.create(kept=kept, merged=merged, actor=actor, reason=reason, moved=moved, at=now)
    CustomerEvent.objects.create(customer=kept, kind=EventKind.MERGED, actor=actor, at=now,
                                 params={"merged": str(merged.id), "record": record.id, "reason": reason})
    return record


def customer_merge(*, actor: Any, kept_id: Any, merged_id: Any, now: datetime) -> MergeRecord:
    """A manager merges two records of one person: the merged one's sources and follow-ups move to the
    kept one, which keeps its holder (or takes the other's) and the later of the two clocks."""
    ensure_crm(actor, (Role.SALES, Role.ADMINISTRATOR))
    with transaction.atomic():
        first, second = sorted([kept_id, merged_id], key=str)
        access_customer(actor, first, for_update=True)
        access_customer(actor, second, for_update=True)
        kept = Customer.objects.get(id=kept_id)
        merged = Customer.objects.get(id=merged_id)
        ensure_manager_of(actor, kept.project_id)
        return _merge(actor=actor, kept=kept, merged=merged, reason="manual", now=now)


def merge_undo(*, actor: Any, record_id: int, now: datetime) -> Customer:
    """Puts back what the merge moved: the sources and follow-ups go back to the merged record, and both rows
    are restored exactly as they were before the merge (holders, the ID hash, the clocks, the warning and
    the protection). If the kept customer changed since (a follow-up, a transfer), its clock stays where
    that activity put it and only what the merge gave it (the ID hash, a holder it took, the first
    response) is taken back."""
    ensure_crm(actor, (Role.SALES, Role.ADMINISTRATOR))
    with transaction.atomic():
        record = MergeRecord.objects.select_for_update().filter(id=record_id, undone_at__isnull=True).first()
        if record is None:
            raise NotFound(details={"object": "merge"})
        kept = access_customer(actor, record.kept_id, for_update=True)
        ensure_manager_of(actor, kept.project_id)
        merged = Customer.objects.select_for_update().get(id=record.merged_id)
        moved = record.moved
        CustomerSource.objects.filter(id__in=moved["sources"]).update(customer=merged)
        FollowUp.objects.filter(id__in=moved["follow_ups"]).update(customer=merged)
        settings_row = pool_settings(kept.project_id)
        if "kept_row" in moved and _row_snapshot(kept) == moved["kept_after"]:
            _row_restore(kept, moved["kept_row"])  # untouched since the merge: exactly as it was
        else:
            _undo_kept_since_changed(kept, moved, settings_row)
        kept.save(update_fields=["id_number_hash", "holder", "held_since", "protected_until", "first_response_at",
                                 *CLOCK_FIELDS])
        merged.merged_into = None
        if "merged_row" in moved:  # a merged record cannot change while merged: restore it exactly
            _row_restore(merged, moved["merged_row"])
        else:  # recorded before the rows were kept whole
            merged.id_number_hash = moved["merged_before"]["id_number_hash"]
            merged.holder_id = moved["merged_holder"]
            held = moved["merged_before"]["held_since"]
            merged.held_since = (datetime.fromisoformat(held) if held else now) if merged.holder_id else None
            clock_set(merged, settings_row, last_activity_at=merged.last_activity_at)
        merged.save(update_fields=["merged_into", "id_number_hash", "holder", "held_since", "protected_until",
                                   "first_response_at", *CLOCK_FIELDS])
        record.undone_at = now
        record.save(update_fields=["undone_at"])
        for who in (kept, merged):
            CustomerEvent.objects.create(customer=who, kind=EventKind.UNMERGED, actor=actor, at=now,
                                         params={"record": record.id})
        return merged


def _undo_kept_since_changed(kept: Customer, moved: dict[str, Any], settings_row: Any) -> None:
    before = moved["kept_before"]
    kept.id_number_hash = before["id_number_hash"]
    took_holder = before["holder"] is None and moved["merged_holder"] is not None
    if took_holder and str(kept.holder_id) == moved["merged_holder"]:
        kept.holder_id = None
        kept.held_since = kept.protected_until = None
    first = before["first_response_at"]
    kept.first_response_at = datetime.fromisoformat(first) if first else None
    kept_last = FollowUp.objects.filter(customer=kept).order_by("-at").values_list("at", flat=True).first()
    activity = [datetime.fromisoformat(before["last_activity_at"]), *([kept_last] if kept_last else [])]
    clock_set(kept, settings_row, last_activity_at=max(activity))


def follow_up_log(*, actor: Any, customer_id: Any, kind: str, note: str, next_step: str = "",
                  next_at: datetime | None = None, now: datetime) -> FollowUp:
    """Only the holder logs follow-ups. The clock restarts from ``now``; the first one is the lead's first
    response (the 5-minute KPI); a first follow-up moves a lead to first contact, a showing to 带看."""
    ensure_crm(actor, (Role.SALES, Role.ADMINISTRATOR))
    if kind not in FollowUpKind.values:
        raise _field_error("kind", _("Unknown kind of follow-up."))
    note = (note or "").strip()
    if not note or len(note) > 2000:
        raise _field_error("note", _("Write what happened (at most 2000 characters)."))
    with transaction.atomic():
        customer = access_customer(actor, customer_id, for_update=True)
        if customer.holder_id != actor.id:
            raise PermissionDenied(_("Only the customer's consultant logs follow-ups. Claim the customer first."),
                                   code="not_holder")
        follow = FollowUp.objects.create(customer=customer, consultant=actor, kind=kind, note=note,
                                         next_step=(next_step or "")[:200], next_at=next_at, at=now)
        if customer.first_response_at is None:
            customer.first_response_at = now
        clock_set(customer, pool_settings(customer.project_id), last_activity_at=now)
        customer.save(update_fields=["first_response_at", *CLOCK_FIELDS])
        CustomerEvent.objects.create(customer=customer, kind=EventKind.FOLLOW_UP, actor=actor, at=now,
                                     params={"follow_up": follow.id, "kind": kind})
        if kind == FollowUpKind.SHOWING and customer.stage in {Stage.LEAD, Stage.CONTACTED}:
            transition(customer, to=Stage.SHOWING, actor=actor, now=now, params={"by": "follow_up"})
        elif customer.stage == Stage.LEAD:
            transition(customer, to=Stage.CONTACTED, actor=actor, now=now, params={"by": "follow_up"})
        return follow


def stage_change(*, actor: Any, customer_id: Any, to: str, reason: str = "", now: datetime) -> Customer:
    """A consultant moves their customer along the funnel by hand (not to 认购/签约: those follow the sale)."""
    ensure_crm(actor, (Role.SALES, Role.ADMINISTRATOR))
    if to not in Stage.values or to in SYSTEM_STAGES:
        raise _field_error("to", _("This stage follows from a subscription or a contract, not by hand."))
    with transaction.atomic():
        customer = access_customer(actor, customer_id, for_update=True)
        if customer.holder_id != actor.id:
            raise PermissionDenied(code="not_holder")
        transition(customer, to=to, actor=actor, now=now, reason=reason)
        return customer


# --- marketing QR codes (public: a visitor's phone, no account) -----------------------------------------

def _code(token: str) -> Any:
    from backend.crm.models import MarketingCode

    code = MarketingCode.objects.select_related("project", "partner", "consultant").filter(
        token=(token or "")[:40]).first()
    if code is None:
        raise NotFound(details={"object": "code"})
    return code


def code_scan(*, token: str, ip_hash: str, place: str, now: datetime) -> Any:
    """Logs one scan (which code, when, where printed) and returns the code."""
    from backend.crm.models import CodeScan

    code = _code(token)
    CodeScan.objects.create(code=code, at=now, ip_hash=ip_hash[:64], place=(place or "")[:100])
    return code


def public_lead_fields(*, name: str, phone: str, consent: bool) -> tuple[str, str]:
    """What a visitor's form on a public page (a marketing code's, a referral code's) must give: a name, the
    consent to be contacted and a valid phone; returns the trimmed name and the E.164 phone."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _field_error("name", _("Give the customer's name (at most 100 characters)."))
    if not consent:
        raise _field_error("consent", _("Please agree to be contacted."))
    return name, normalize_phone(phone)


def code_lead_create(*, token: str, name: str, phone: str, consent: bool, now: datetime) -> LeadResult:
    """A visitor leaves their name and number on the code's page: a lead of channel ``qr`` carrying the code's
    attribution (its partner; its consultant holds a new customer, otherwise lead dispatch runs)."""
    code = _code(token)
    name, phone_e164 = public_lead_fields(name=name, phone=phone, consent=consent)
    with transaction.atomic():
        result = _lead_in_transaction(actor=None, project=code.project, name=name, phone=phone_e164, id_hash="",
                                      channel=Channel.QR, consent=True, partner=code.partner, note=code.campaign[:300],
                                      expected_amount_fen=0, now=now, dispatch=code.consultant_id is None, code=code)
        if result.created and code.consultant_id is not None:
            customer = Customer.objects.select_for_update().get(id=result.customer.id)
            hold(customer, pool_settings(code.project_id), consultant_id=code.consultant_id, kind=ClaimKind.DISPATCH,
                 actor=None, now=now, params={"why": "marketing_code", "code": code.id})
        return result
