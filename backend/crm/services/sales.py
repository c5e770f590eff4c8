"""The sale: reservation of a unit (once, by a database constraint), subscription with a deposit, the
contract with its discount approval (the approval engine's graphs and state machine), signing with its
payment plan and commissions, and payments against plan lines. Money in fen."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from backend.accounts.access import has_role
from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.core.errors import NotFound, PermissionDenied, ValidationFailed
from backend.crm.access import access_customer, customers_visible_to, ensure_crm
from backend.crm.errors import ContractRefused, PaymentRefused, UnitUnavailable
from backend.crm.models import (
    Commission,
    Contract,
    CustomerEvent,
    CustomerSource,
    DiscountApprover,
    EventKind,
    Payment,
    PaymentLine,
    PaymentMethod,
    Reservation,
    Seat,
    Subscription,
    UnitSale,
)
from backend.crm.plans import commission_fen, plan_lines
from backend.crm.services.clock import pool_settings, transition
from backend.crm.states import CONTRACT_ALLOWED, ContractStatus, Stage, UnitSaleStatus
from workflows import approvals as engine
from workflows.discounts import load_discount_graphs
from workflows.errors import ApprovalError

MAX_FEN = 10**13  # 1 000 亿元: anything above is a typo


def _fen(field: str, value: int, *, positive: bool = True) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value > MAX_FEN or value < (1 if positive else 0):
        raise ValidationFailed(details={"errors": [{"field": field, "reason": _("Not a valid amount in fen.")}]})
    return value


def _held_by_actor(actor: Any, customer_id: Any) -> Any:
    customer = access_customer(actor, customer_id, for_update=True)
    if customer.holder_id != actor.id:
        raise PermissionDenied(_("Only the customer's consultant can do this."), code="not_holder")
    return customer


def _sale_for_update(unit_id: Any, project_id: Any) -> UnitSale:
    sale = UnitSale.objects.select_for_update().select_related("unit__building").filter(
        unit_id=unit_id, unit__building__project_id=project_id).first()
    if sale is None:
        raise NotFound(details={"object": "unit"})
    return sale


def _set_sale(sale: UnitSale, *, expect: set[str], to: str, now: datetime) -> None:
    won = UnitSale.objects.filter(id=sale.id, status__in=expect).update(status=to, updated_at=now)
    if won != 1:
        raise UnitUnavailable(details={"unit": str(sale.unit_id), "status": sale.status})
    sale.status = to


def unit_reserve(*, actor: Any, unit_id: Any, customer_id: Any, now: datetime) -> Reservation:
    """Holds an available unit for the consultant's customer for the project's reservation hours. Two at
    once: one wins, by the conditional update and the partial unique index on active reservations."""
    ensure_crm(actor, (Role.SALES,))
    try:
        with transaction.atomic():
            customer = _held_by_actor(actor, customer_id)
            sale = _sale_for_update(unit_id, customer.project_id)
            _set_sale(sale, expect={UnitSaleStatus.AVAILABLE}, to=UnitSaleStatus.RESERVED, now=now)
            hours = pool_settings(customer.project_id).reservation_hours
            reservation = Reservation.objects.create(unit_id=sale.unit_id, customer=customer, consultant=actor,
                                                     created_at=now, expires_at=now + timedelta(hours=hours))
            CustomerEvent.objects.create(customer=customer, kind=EventKind.RESERVED, actor=actor, at=now,
                                         params={"unit": str(sale.unit_id), "expires_at": reservation.expires_at.isoformat()})
            return reservation
    except IntegrityError:
        raise UnitUnavailable(details={"unit": str(unit_id)}) from None


def reservation_release(*, actor: Any, reservation_id: int, now: datetime) -> Reservation:
    ensure_crm(actor, (Role.SALES,))
    with transaction.atomic():
        reservation = Reservation.objects.select_for_update().filter(
            id=reservation_id, status=Reservation.Status.ACTIVE, customer__in=customers_visible_to(actor),
            consultant=actor).first()
        if reservation is None:
            raise NotFound(details={"object": "reservation"})
        UnitSale.objects.filter(unit_id=reservation.unit_id, status=UnitSaleStatus.RESERVED).update(
            status=UnitSaleStatus.AVAILABLE, updated_at=now)
        reservation.status = Reservation.Status.RELEASED
        reservation.save(update_fields=["status"])
        return reservation


def reservations_expire(*, now: datetime) -> int:
    """Beat: reservations past their time free their unit (each claimed by a conditional update)."""
    done = 0
    for reservation_id, unit_id in Reservation.objects.filter(status=Reservation.Status.ACTIVE,
                                                              expires_at__lte=now).values_list("id", "unit_id")[:500]:
        with transaction.atomic():
            if Reservation.objects.filter(id=reservation_id, status=Reservation.Status.ACTIVE).update(
                    status=Reservation.Status.EXPIRED) == 1:
                UnitSale.objects.filter(unit_id=unit_id, status=UnitSaleStatus.RESERVED).update(
                    status=UnitSaleStatus.AVAILABLE, updated_at=now)
                done += 1
    return done


def subscription_create(*, actor: Any, unit_id: Any, customer_id: Any, deposit_fen: int, now: datetime) -> Subscription:
    """认购: the unit reserved for this customer (or still available) is subscribed with a deposit; the
    customer moves to 认购 (and its clock stops: a subscription is never recycled)."""
    ensure_crm(actor, (Role.SALES,))
    _fen("deposit_fen", deposit_fen)
    try:
        with transaction.atomic():
            customer = _held_by_actor(actor, customer_id)
            sale = _sale_for_update(unit_id, customer.project_id)
            if deposit_fen >= sale.list_price_fen:
                raise ValidationFailed(details={"errors": [{"field": "deposit_fen",
                                                            "reason": _("The deposit must be less than the price.")}]})
            reservation = Reservation.objects.filter(unit_id=unit_id, status=Reservation.Status.ACTIVE).first()
            if reservation is not None and reservation.customer_id != customer.id:
                raise UnitUnavailable(details={"unit": str(unit_id), "status": sale.status})
            _set_sale(sale, expect={UnitSaleStatus.AVAILABLE, UnitSaleStatus.RESERVED}, to=UnitSaleStatus.SUBSCRIBED,
                      now=now)
            if reservation is not None:
                reservation.status = Reservation.Status.CONVERTED
                reservation.save(update_fields=["status"])
            subscription = Subscription.objects.create(unit_id=unit_id, customer=customer, consultant=actor,
                                                       deposit_fen=deposit_fen, created_at=now)
            if customer.stage != Stage.SUBSCRIBED:
                if customer.stage in {Stage.LEAD, Stage.CONTACTED}:
                    transition(customer, to=Stage.SHOWING, actor=actor, now=now, params={"by": "subscription"})
                transition(customer, to=Stage.SUBSCRIBED, actor=actor, now=now,
                           params={"subscription": str(subscription.id)})
            customer.expected_amount_fen = sale.list_price_fen
            customer.save(update_fields=["expected_amount_fen"])
            CustomerEvent.objects.create(customer=customer, kind=EventKind.SUBSCRIBED, actor=actor, at=now,
                                         params={"unit": str(unit_id), "deposit_fen": deposit_fen})
            return subscription
    except IntegrityError:
        raise UnitUnavailable(details={"unit": str(unit_id)}) from None


# --- contracts and the discount approval ------------------------------------------------------------------

def _contract_transition(contract: Contract, *, to: str, actor: Any, now: datetime, params: dict[str, Any]) -> None:
    if to not in CONTRACT_ALLOWED[contract.status]:
        raise ContractRefused(details={"from": contract.status, "to": to})
    before = contract.status
    contract.status = to
    contract.revision = F("revision") + 1
    fields = ["status", "revision", "approval_state", "signed_at"]
    contract.save(update_fields=fields)
    contract.refresh_from_db(fields=["revision"])
    CustomerEvent.objects.create(customer_id=contract.customer_id, kind=EventKind.CONTRACT, actor=actor, at=now,
                                 params={"contract": str(contract.id), "from": before, "to": to, **params})


def resolve_approvers(role: str, scope: engine.Scope) -> list[str]:
    if role == "sales_manager":
        qs = Seat.objects.filter(is_manager=True, user__is_active=True)
        if scope.kind == "project":
            qs = qs.filter(project_id=scope.id or "")
        return sorted(str(u) for u in qs.values_list("user_id", flat=True))
    users = User.objects.filter(role_rows__role=role, is_active=True)
    return sorted(str(u) for u in users.values_list("id", flat=True))


def _sync_inbox(contract: Contract, state: engine.ApprovalState) -> None:
    DiscountApprover.objects.filter(contract=contract).delete()
    if state.status == "in_progress" and state.current_step is not None:
        step = state.steps[state.current_step]
        DiscountApprover.objects.bulk_create([DiscountApprover(contract=contract, user_id=u) for u in step.pending])


def _submit(contract: Contract, *, actor: Any, now: datetime) -> None:
    doc, version = load_discount_graphs()
    subject = engine.ApprovalSubject(subject_id=str(contract.id), amount_yuan=Decimal(contract.discount_fen) / 100,
                                     category="crm.discount", project=str(contract.unit.building.project_id),
                                     requester=str(actor.id))
    graph = engine.select_graph_by_amount(doc, subject)
    try:
        started = engine.open_approval(graph, subject, resolve=resolve_approvers, now=now,
                                       instance_id=str(uuid.uuid4()), definitions_version=version)
    except ApprovalError as exc:
        raise ContractRefused(str(exc), code=exc.code, details=dict(exc.details)) from None
    contract.approval_state = started.state.model_dump(mode="json")
    _sync_inbox(contract, started.state)
    to = ContractStatus.APPROVED if started.state.status == "approved" else ContractStatus.PENDING_APPROVAL
    _contract_transition(contract, to=to, actor=actor, now=now,
                         params={"graph": graph.code, "discount_fen": contract.discount_fen})


def contract_create(*, actor: Any, subscription_id: Any, buyers: list[str], discount_fen: int, payment_method: str,
                    down_payment_percent: int = 30, instalments: int = 0, now: datetime) -> Contract:
    """The contract of a subscription: price = list price − discount. The discount goes through the discount
    graphs (none up to a threshold; a manager; then manager and finance countersign)."""
    ensure_crm(actor, (Role.SALES,))
    _fen("discount_fen", discount_fen, positive=False)
    if payment_method not in PaymentMethod.values:
        raise ValidationFailed(details={"errors": [{"field": "payment_method", "reason": _("Unknown payment method.")}]})
    names = [n.strip()[:100] for n in buyers if n and n.strip()]
    if not names or len(names) > 4:
        raise ValidationFailed(details={"errors": [{"field": "buyers", "reason": _("Name one to four buyers.")}]})
    if payment_method == PaymentMethod.INSTALMENTS and not 1 <= instalments <= 60:
        raise ValidationFailed(details={"errors": [{"field": "instalments", "reason": _("Between 1 and 60 parts.")}]})
    if not 0 <= down_payment_percent <= 100:
        raise ValidationFailed(details={"errors": [{"field": "down_payment_percent", "reason": _("0 to 100.")}]})
    try:
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().filter(
                id=subscription_id, status=Subscription.Status.ACTIVE,
                customer__in=customers_visible_to(actor)).select_related("unit__building").first()
            if subscription is None:
                raise NotFound(details={"object": "subscription"})
            _held_by_actor(actor, subscription.customer_id)
            sale = UnitSale.objects.get(unit_id=subscription.unit_id)
            if discount_fen >= sale.list_price_fen:
                raise ValidationFailed(details={"errors": [{"field": "discount_fen", "reason": _("Too large.")}]})
            contract = Contract.objects.create(
                subscription=subscription, unit=subscription.unit, customer_id=subscription.customer_id,
                consultant=actor, buyers=names, list_price_fen=sale.list_price_fen, discount_fen=discount_fen,
                price_fen=sale.list_price_fen - discount_fen, payment_method=payment_method,
                down_payment_percent=down_payment_percent, instalments=instalments, created_at=now)
            _submit(contract, actor=actor, now=now)
            return contract
    except IntegrityError:
        raise ContractRefused(details={"reason": "contract_exists"}) from None


def access_contract(actor: Any, contract_id: Any, *, for_update: bool = False) -> Contract:
    qs = Contract.objects.filter(customer__in=customers_visible_to(actor)) | Contract.objects.filter(
        pending__user=actor)
    if for_update:
        qs = Contract.objects.filter(id__in=qs.values("id")).select_for_update()
    contract = qs.filter(id=contract_id).select_related("unit__building").first()
    if contract is None:
        raise NotFound(details={"object": "contract"})
    return contract


def contract_discount_decide(*, actor: Any, contract_id: Any, approve: bool, comment: str, now: datetime) -> Contract:
    """An approver decides on the discount through the engine's state machine; rejected goes back to draft
    with the reason (the consultant may revise the discount)."""
    ensure_crm(actor)
    with transaction.atomic():
        contract = access_contract(actor, contract_id, for_update=True)
        if contract.status != ContractStatus.PENDING_APPROVAL or contract.approval_state is None:
            raise ContractRefused(details={"status": contract.status})
        state = engine.ApprovalState.model_validate(contract.approval_state)
        event: engine.ApprovalEvent = engine.Approve(actor=str(actor.id), comment=comment[:300]) if approve \
            else engine.Reject(actor=str(actor.id), reason=comment[:300])
        try:
            moved = engine.apply_event(state, event, now)
        except ApprovalError as exc:
            raise ContractRefused(str(exc), code=exc.code, details=dict(exc.details)) from None
        contract.approval_state = moved.state.model_dump(mode="json")
        _sync_inbox(contract, moved.state)
        if moved.state.status == "approved":
            _contract_transition(contract, to=ContractStatus.APPROVED, actor=actor, now=now, params={})
        elif moved.state.status == "rejected":
            _contract_transition(contract, to=ContractStatus.DRAFT, actor=actor, now=now,
                                 params={"reason": moved.state.reason})
        else:
            contract.save(update_fields=["approval_state"])
        return contract


def contract_revise(*, actor: Any, contract_id: Any, discount_fen: int, now: datetime) -> Contract:
    ensure_crm(actor, (Role.SALES,))
    _fen("discount_fen", discount_fen, positive=False)
    with transaction.atomic():
        contract = access_contract(actor, contract_id, for_update=True)
        _held_by_actor(actor, contract.customer_id)
        if contract.status != ContractStatus.DRAFT or discount_fen >= contract.list_price_fen:
            raise ContractRefused(details={"status": contract.status})
        contract.discount_fen = discount_fen
        contract.price_fen = contract.list_price_fen - discount_fen
        contract.save(update_fields=["discount_fen", "price_fen"])
        _submit(contract, actor=actor, now=now)
        return contract


def contract_sign(*, actor: Any, contract_id: Any, now: datetime) -> Contract:
    """签约: the approved contract is signed; the payment plan is generated (deposit first, lines adding up
    to the price to the fen), the unit is signed, the customer moves to 签约, commissions are computed."""
    ensure_crm(actor, (Role.SALES,))
    with transaction.atomic():
        contract = access_contract(actor, contract_id, for_update=True)
        customer = _held_by_actor(actor, contract.customer_id)
        subscription = Subscription.objects.select_for_update().get(id=contract.subscription_id)
        contract.signed_at = now
        _contract_transition(contract, to=ContractStatus.SIGNED, actor=actor, now=now, params={})
        lines = plan_lines(price_fen=contract.price_fen, deposit_fen=subscription.deposit_fen,
                           method=contract.payment_method, down_payment_percent=contract.down_payment_percent,
                           instalments=contract.instalments, signed_date=business_date(now))
        PaymentLine.objects.bulk_create([PaymentLine(contract=contract, seq=i, kind=line.kind, due_date=line.due_date,
                                                     amount_fen=line.amount_fen) for i, line in enumerate(lines, 1)])
        Subscription.objects.filter(id=subscription.id).update(status=Subscription.Status.SIGNED)
        sale = _sale_for_update(contract.unit_id, customer.project_id)
        _set_sale(sale, expect={UnitSaleStatus.SUBSCRIBED}, to=UnitSaleStatus.SIGNED, now=now)
        transition(customer, to=Stage.SIGNED, actor=actor, now=now, params={"contract": str(contract.id)})
        customer.expected_amount_fen = contract.price_fen
        customer.save(update_fields=["expected_amount_fen"])
        partners = {s.partner_id: s.partner for s in CustomerSource.objects.filter(
            customer=customer, partner__isnull=False).select_related("partner").order_by("created_at")
            if s.attribution_until is not None and s.partner is not None}
        rewards = [Commission(contract=contract, partner=p, rule=p.commission_rule, computed_at=now,
                              amount_fen=commission_fen(p.commission_rule, contract.price_fen))
                   for p in partners.values()]
        # 老带新: the referrer whose referral brought this customer in (still within its days) is rewarded.
        referred = CustomerSource.objects.filter(customer=customer, referral__isnull=False,
                                                 attribution_until__gte=now).select_related("referral") \
            .order_by("created_at").first()
        if referred is not None and referred.referral is not None:
            rule = pool_settings(customer.project_id).referral_reward_rule
            rewards.append(Commission(contract=contract, referrer_id=referred.referral.referrer_id, rule=rule,
                                      computed_at=now, amount_fen=commission_fen(rule, contract.price_fen)))
        Commission.objects.bulk_create(rewards)
        return contract


def payment_record(*, actor: Any, line_id: int, amount_fen: int, reference: str = "", now: datetime) -> Payment:
    """A payment against a plan line, partial allowed; more than what is still due is refused (a conditional
    update: two cashiers at once cannot overfill the line)."""
    ensure_crm(actor, (Role.FINANCE, Role.SALES, Role.ADMINISTRATOR))
    _fen("amount_fen", amount_fen)
    with transaction.atomic():
        line = PaymentLine.objects.select_related("contract").filter(
            id=line_id, contract__customer__in=customers_visible_to(actor),
            contract__status=ContractStatus.SIGNED).first()
        if line is None:
            raise NotFound(details={"object": "payment_line"})
        if has_role(actor, Role.SALES) and not has_role(actor, Role.FINANCE, Role.ADMINISTRATOR) \
                and line.contract.consultant_id != actor.id:
            raise NotFound(details={"object": "payment_line"})
        won = PaymentLine.objects.filter(id=line.id, received_fen__lte=F("amount_fen") - amount_fen).update(
            received_fen=F("received_fen") + amount_fen)
        if won != 1:
            line.refresh_from_db()
            raise PaymentRefused(details={"errors": [{"field": "amount_fen", "reason": _(
                "At most %(left)s fen are still due on this line.") % {"left": line.amount_fen - line.received_fen}}],
                "outstanding_fen": line.amount_fen - line.received_fen})
        payment = Payment.objects.create(line=line, amount_fen=amount_fen, received_at=now, recorded_by=actor,
                                         reference=(reference or "")[:60])
        CustomerEvent.objects.create(customer_id=line.contract.customer_id, kind=EventKind.PAYMENT, actor=actor, at=now,
                                     params={"line": line.id, "amount_fen": amount_fen})
        return payment


def overdue_reminders_due(*, now: datetime) -> int:
    """Beat: each overdue line reminds its consultant and finance once (a conditional update claims it)."""
    from backend.crm.models import AlertLevel, CrmAlert

    today = business_date(now)
    done = 0
    finance = [str(u) for u in User.objects.filter(role_rows__role=Role.FINANCE, is_active=True)
               .values_list("id", flat=True)]
    for line in PaymentLine.objects.filter(due_date__lt=today, received_fen__lt=F("amount_fen"),
                                           reminded_at__isnull=True, contract__status=ContractStatus.SIGNED
                                           ).select_related("contract")[:500]:
        if PaymentLine.objects.filter(id=line.id, reminded_at__isnull=True).update(reminded_at=now) == 1:
            alert, created = CrmAlert.objects.get_or_create(
                customer_id=line.contract.customer_id, level=AlertLevel.RED, since=datetime.combine(
                    line.due_date, datetime.min.time(), tzinfo=now.tzinfo),
                defaults={"fired_at": now, "recipients": [str(line.contract.consultant_id), *finance],
                          "params": {"code": "payment_overdue", "line": line.id,
                                     "outstanding_fen": line.amount_fen - line.received_fen}})
            if created:
                from backend.crm.services.pools import notify_alerts

                notify_alerts([alert], now=now)
            done += 1
    return done
