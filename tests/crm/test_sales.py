"""Units, subscriptions, contracts with discount approvals, payment plans in fen, payments, commissions and
the ready-for-handover list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.core.errors import AppError
from backend.crm import selectors, services
from backend.crm.models import ChannelPartner, Commission, Contract, PaymentLine, Reservation, UnitSale
from backend.crm.plans import commission_fen, plan_lines
from backend.crm.states import ContractStatus, Stage
from tests.authz.framework import database_snapshot
from tests.crm.world import WEDNESDAY, office

H = timedelta(hours=1)


def _customer(o, consultant, phone="13900000001"):
    return services.lead_create(actor=consultant, project_id=o.project.id, name="赵六", phone=phone,
                                channel="walk_in", consent=True, now=WEDNESDAY).customer


def _subscribed(o, *, price_discount_fen=0, method="full"):
    customer = _customer(o, o.alice)
    services.unit_reserve(actor=o.alice, unit_id=o.units[0].id, customer_id=customer.id, now=WEDNESDAY + H)
    sub = services.subscription_create(actor=o.alice, unit_id=o.units[0].id, customer_id=customer.id,
                                       deposit_fen=5_000_000, now=WEDNESDAY + 2 * H)
    contract = services.contract_create(actor=o.alice, subscription_id=sub.id, buyers=["赵六", "钱七"],
                                        discount_fen=price_discount_fen, payment_method=method, now=WEDNESDAY + 3 * H)
    return customer, sub, contract


@pytest.mark.django_db
def test_a_unit_is_reserved_once_the_second_consultant_is_refused_and_nothing_changes():
    o = office()
    mine, theirs = _customer(o, o.alice), _customer(o, o.bob, phone="13900000002")
    services.unit_reserve(actor=o.alice, unit_id=o.units[0].id, customer_id=mine.id, now=WEDNESDAY)
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        services.unit_reserve(actor=o.bob, unit_id=o.units[0].id, customer_id=theirs.id, now=WEDNESDAY)
    assert caught.value.code == "unit_unavailable"
    with pytest.raises(AppError):
        services.subscription_create(actor=o.bob, unit_id=o.units[0].id, customer_id=theirs.id,
                                     deposit_fen=1_000_000, now=WEDNESDAY)
    assert database_snapshot() == before


@pytest.mark.django_db
def test_a_reservation_expires_and_frees_the_unit():
    o = office(reservation_hours=2)
    customer = _customer(o, o.alice)
    services.unit_reserve(actor=o.alice, unit_id=o.units[1].id, customer_id=customer.id, now=WEDNESDAY)
    assert services.reservations_expire(now=WEDNESDAY + H) == 0
    assert services.reservations_expire(now=WEDNESDAY + 2 * H) == 1
    assert UnitSale.objects.get(unit=o.units[1]).status == "available"
    assert Reservation.objects.get().status == "expired"


@pytest.mark.django_db
def test_a_small_discount_needs_no_approval_and_signing_makes_the_plan_and_moves_everything():
    o = office()
    customer, sub, contract = _subscribed(o, price_discount_fen=1_000_000)
    assert contract.status == ContractStatus.APPROVED
    services.contract_sign(actor=o.alice, contract_id=contract.id, now=WEDNESDAY + 4 * H)
    contract.refresh_from_db()
    customer.refresh_from_db()
    assert contract.status == "signed" and customer.stage == Stage.SIGNED
    assert UnitSale.objects.get(unit=o.units[0]).status == "signed"
    lines = list(PaymentLine.objects.filter(contract=contract).values_list("kind", "amount_fen"))
    assert lines == [("deposit", 5_000_000), ("full", 300_000_000 - 1_000_000 - 5_000_000)]
    assert customer.recycle_due_at is None  # signed customers never recycle


@pytest.mark.django_db
def test_a_large_discount_goes_to_the_manager_then_manager_and_finance_countersign():
    o = office()
    _customer_, _sub, contract = _subscribed(o, price_discount_fen=15_000_000)  # 150 000 ¥
    assert contract.status == ContractStatus.PENDING_APPROVAL
    assert list(contract.pending.values_list("user_id", flat=True)) == [o.manager.id]
    with pytest.raises(AppError):
        services.contract_sign(actor=o.alice, contract_id=contract.id, now=WEDNESDAY + 4 * H)
    services.contract_discount_decide(actor=o.manager, contract_id=contract.id, approve=True, comment="同意",
                                      now=WEDNESDAY + 4 * H)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.PENDING_APPROVAL
    assert sorted(contract.pending.values_list("user_id", flat=True)) == sorted([o.manager.id, o.finance.id])
    services.contract_discount_decide(actor=o.finance, contract_id=contract.id, approve=True, comment="",
                                      now=WEDNESDAY + 5 * H)
    services.contract_discount_decide(actor=o.manager, contract_id=contract.id, approve=True, comment="",
                                      now=WEDNESDAY + 5 * H)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED and not contract.pending.exists()


@pytest.mark.django_db
def test_a_rejected_discount_returns_to_draft_the_consultant_revises_and_the_requester_cannot_approve():
    o = office()
    _c, _s, contract = _subscribed(o, price_discount_fen=5_000_000)  # 50 000 ¥: the manager alone
    before = database_snapshot()
    with pytest.raises(AppError):
        services.contract_discount_decide(actor=o.alice, contract_id=contract.id, approve=True, comment="",
                                          now=WEDNESDAY + 4 * H)
    assert database_snapshot() == before
    services.contract_discount_decide(actor=o.manager, contract_id=contract.id, approve=False, comment="折扣过大",
                                      now=WEDNESDAY + 4 * H)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT
    services.contract_revise(actor=o.alice, contract_id=contract.id, discount_fen=1_000_000, now=WEDNESDAY + 5 * H)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED and contract.price_fen == 299_000_000


@pytest.mark.django_db
def test_payments_partial_then_full_overpayment_refused_and_the_unit_becomes_ready_for_handover():
    o = office()
    customer, _s, contract = _subscribed(o)
    services.contract_sign(actor=o.alice, contract_id=contract.id, now=WEDNESDAY + 4 * H)
    deposit, balance = PaymentLine.objects.filter(contract=contract).order_by("seq")
    services.payment_record(actor=o.finance, line_id=deposit.id, amount_fen=5_000_000, now=WEDNESDAY + 5 * H)
    services.payment_record(actor=o.finance, line_id=balance.id, amount_fen=100_000_000, now=WEDNESDAY + 5 * H)
    assert selectors.ready_for_handover_list(actor=o.finance, project_id=o.project.id) == []
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        services.payment_record(actor=o.finance, line_id=balance.id, amount_fen=195_000_001, now=WEDNESDAY + 5 * H)
    assert caught.value.status == 422 and caught.value.details["outstanding_fen"] == 195_000_000
    assert database_snapshot() == before
    services.payment_record(actor=o.finance, line_id=balance.id, amount_fen=195_000_000, now=WEDNESDAY + 6 * H)
    ready = selectors.ready_for_handover_list(actor=o.finance, project_id=o.project.id)
    assert [(r["unit_id"], r["buyers"], r["received_fen"]) for r in ready] == [
        (str(o.units[0].id), ["赵六", "钱七"], 300_000_000)]
    assert ready[0]["customer_id"] == str(customer.id)


@pytest.mark.django_db
def test_overdue_lines_are_reported_and_remind_once():
    o = office()
    _c, _s, contract = _subscribed(o)
    services.contract_sign(actor=o.alice, contract_id=contract.id, now=WEDNESDAY + 4 * H)
    later = WEDNESDAY + timedelta(days=40)
    rows = selectors.payment_lines(actor=o.finance, project_id=o.project.id, now=later)
    assert [r["status"] for r in rows] == ["overdue", "overdue"]
    assert services.overdue_reminders_due(now=later) == 2
    assert services.overdue_reminders_due(now=later) == 0
    report = selectors.receivables(actor=o.finance, project_id=o.project.id, now=later)
    assert sum(r["due_fen"] for r in report) == 300_000_000
    assert sum(r["overdue_fen"] for r in report) == 300_000_000


@pytest.mark.django_db
def test_a_partners_report_earns_the_commission_when_the_contract_is_signed():
    o = office()
    partner = ChannelPartner.objects.create(project=o.project, name="链家", protection_days=30,
                                            commission_rule={"kind": "percent", "basis_points": 150})
    other = ChannelPartner.objects.create(project=o.project, name="贝壳", commission_rule={"kind": "fixed",
                                                                                          "amount_fen": 1})
    for p in (partner, other):
        lead = services.lead_create(actor=o.manager, project_id=o.project.id, name="赵六", phone="13900000001",
                                    channel="partner", partner_id=p.id, consent=True, now=WEDNESDAY - H,
                                    dispatch=False).customer
    # The second partner's report of the same customer is a dispute: recorded, the first keeps attribution.
    assert lead.events.filter(kind="source_added", params__disputed_with=partner.id).exists()
    services.customer_claim(actor=o.alice, customer_id=lead.id, now=WEDNESDAY - H)
    _c, _s, contract = _subscribed(o)
    services.contract_sign(actor=o.alice, contract_id=contract.id, now=WEDNESDAY + 4 * H)
    assert list(Commission.objects.values_list("partner__name", "amount_fen")) == [("链家", 4_500_000)]


def test_commission_rules_percent_fixed_and_tiered():
    assert commission_fen({"kind": "percent", "basis_points": 100}, 300_000_000) == 3_000_000
    assert commission_fen({"kind": "fixed", "amount_fen": 2_000_000}, 300_000_000) == 2_000_000
    tiered = {"kind": "tiered", "tiers": [{"up_to_fen": 200_000_000, "basis_points": 80}, {"basis_points": 120}]}
    assert commission_fen(tiered, 200_000_000) == 1_600_000
    assert commission_fen(tiered, 200_000_001) == 2_400_000


@given(price=st.integers(min_value=10_000, max_value=10**12), deposit_share=st.integers(min_value=1, max_value=99),
       method=st.sampled_from(["full", "mortgage", "instalments"]), percent=st.integers(min_value=0, max_value=100),
       parts=st.integers(min_value=1, max_value=60))
def test_plan_lines_always_add_up_to_the_price_in_whole_fen(price, deposit_share, method, percent, parts):
    deposit = max(1, price * deposit_share // 100)
    lines = plan_lines(price_fen=price, deposit_fen=deposit, method=method, down_payment_percent=percent,
                       instalments=parts, signed_date=date(2026, 1, 31))
    assert sum(line.amount_fen for line in lines) == price
    assert all(isinstance(line.amount_fen, int) and line.amount_fen > 0 for line in lines)
    assert [line.due_date for line in lines] == sorted(line.due_date for line in lines)
    assert lines[0].kind == "deposit"


@pytest.mark.django_db
def test_contract_refuses_absurd_amounts_with_a_field_error():
    o = office()
    customer = _customer(o, o.alice)
    sub = services.subscription_create(actor=o.alice, unit_id=o.units[0].id, customer_id=customer.id,
                                       deposit_fen=5_000_000, now=WEDNESDAY)
    for bad in (-1, 10**15, 300_000_000):
        with pytest.raises(AppError) as caught:
            services.contract_create(actor=o.alice, subscription_id=sub.id, buyers=["赵六"], discount_fen=bad,
                                     payment_method="full", now=WEDNESDAY)
        assert caught.value.status == 422
    assert not Contract.objects.exists()
