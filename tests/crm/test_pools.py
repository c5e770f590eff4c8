"""Private and public pools with an injected clock: recycling per stage, the warning first, alerts that fire
once, claims with a cap, a cooldown and a daily cap, transfers that restart the clock, and privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core.errors import AppError
from backend.crm import selectors, services
from backend.crm.models import AlertLevel, CrmAlert, Customer, CustomerEvent, HoldLog
from backend.crm.states import Stage
from tests.authz.framework import database_snapshot
from tests.crm.world import WEDNESDAY, office

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
D = timedelta(days=1)


def _walk_in(o, consultant, *, phone="13900000001", at=WEDNESDAY):
    return services.lead_create(actor=consultant, project_id=o.project.id, name="李四", phone=phone,
                                channel="walk_in", consent=True, now=at).customer


def _sweep(now):
    return {"warned": services.warn_due(now=now), "recycled": services.recycle_due(now=now),
            "alerts": services.alerts_due(now=now)}


def test_a_lead_without_follow_up_is_warned_two_days_before_and_returns_after_three_days():
    o = office(protection_hours=0)
    customer = _walk_in(o, o.alice)
    assert customer.recycle_due_at == WEDNESDAY + 3 * D
    assert _sweep(WEDNESDAY + 0.9 * D)["warned"] == 0
    assert _sweep(WEDNESDAY + 1 * D)["warned"] == 1
    row = selectors.my_customers(actor=o.alice, now=WEDNESDAY + 1 * D)[0]
    assert row["warned"] and row["days_left"] == 2
    assert _sweep(WEDNESDAY + 1 * D + H)["warned"] == 0  # once
    assert _sweep(WEDNESDAY + 3 * D - timedelta(seconds=1))["recycled"] == 0
    assert _sweep(WEDNESDAY + 3 * D)["recycled"] == 1
    recycled = Customer.objects.get(id=customer.id)
    assert recycled.holder_id is None and recycled.recycle_due_at is None
    assert CustomerEvent.objects.filter(customer=customer, kind="recycled").count() == 1
    assert HoldLog.objects.filter(customer=customer, consultant=o.alice, kind="recycle").exists()
    assert _sweep(WEDNESDAY + 4 * D)["recycled"] == 0


def test_a_follow_up_restarts_the_clock_and_a_showing_gives_seven_days():
    o = office(protection_hours=0)
    customer = _walk_in(o, o.alice)
    services.follow_up_log(actor=o.alice, customer_id=customer.id, kind="showing", note="带看样板间",
                           now=WEDNESDAY + 2 * D)
    customer.refresh_from_db()
    assert customer.stage == Stage.SHOWING
    assert customer.recycle_due_at == WEDNESDAY + 9 * D and customer.warned_at is None
    assert _sweep(WEDNESDAY + 8 * D)["recycled"] == 0
    assert _sweep(WEDNESDAY + 9 * D)["recycled"] == 1


def test_the_protection_period_holds_the_customer_past_the_stage_clock():
    o = office(protection_hours=24 * 5)
    customer = _walk_in(o, o.alice)
    assert customer.recycle_due_at == WEDNESDAY + 5 * D


def test_per_project_days_and_a_stage_that_never_recycles():
    o = office(protection_hours=0, recycle_days={"lead": 1, "contacted": 2, "showing": 7, "intent": 7,
                                                 "subscribed": None, "signed": None, "lost": None})
    customer = _walk_in(o, o.alice)
    assert customer.recycle_due_at == WEDNESDAY + 1 * D
    services.follow_up_log(actor=o.alice, customer_id=customer.id, kind="call", note="电话", now=WEDNESDAY + H)
    customer.refresh_from_db()
    assert customer.stage == Stage.CONTACTED and customer.recycle_due_at == WEDNESDAY + H + 2 * D


def test_alerts_blue_yellow_red_each_fire_once_and_red_reaches_the_manager():
    o = office(protection_hours=0, recycle_days={"lead": 30, "contacted": 30, "showing": 30, "intent": 30})
    customer = _walk_in(o, o.alice)
    _sweep(WEDNESDAY + 13 * H)
    assert set(CrmAlert.objects.values_list("level", flat=True)) == {AlertLevel.BLUE}
    _sweep(WEDNESDAY + 49 * H)
    _sweep(WEDNESDAY + 50 * H)
    levels = list(CrmAlert.objects.filter(customer=customer).exclude(level="warning").values_list("level", flat=True))
    assert sorted(levels) == ["blue", "red", "yellow"]
    red = CrmAlert.objects.get(level="red")
    assert str(o.manager.id) in red.recipients and str(o.alice.id) in red.recipients
    # A follow-up starts a new quiet spell: the levels may fire again, once each.
    services.follow_up_log(actor=o.alice, customer_id=customer.id, kind="call", note="回访", now=WEDNESDAY + 51 * H)
    _sweep(WEDNESDAY + 51 * H + 13 * H)
    assert CrmAlert.objects.filter(level="blue").count() == 2


def test_claim_from_the_public_pool_then_the_second_claimer_gets_a_conflict_and_nothing_changes():
    o = office()
    customer = services.lead_create(actor=o.manager, project_id=o.project.id, name="王五", phone="13900000009",
                                    channel="phone", consent=True, now=WEDNESDAY, dispatch=False).customer
    services.customer_claim(actor=o.alice, customer_id=customer.id, now=WEDNESDAY + H)
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        services.customer_claim(actor=o.bob, customer_id=customer.id, now=WEDNESDAY + H)
    # Once Alice holds it, Bob cannot even see it: the same 404 as an unknown customer.
    assert caught.value.status == 404
    assert database_snapshot() == before


def test_pool_limit_daily_cap_and_cooldown():
    o = office(max_customers=2, daily_claim_cap=3, cooldown_days=7, protection_hours=0)
    ids = [services.lead_create(actor=o.manager, project_id=o.project.id, name=f"客户{i}", phone=f"1390000001{i}",
                                channel="phone", consent=True, now=WEDNESDAY, dispatch=False).customer.id
           for i in range(5)]
    services.customer_claim(actor=o.alice, customer_id=ids[0], now=WEDNESDAY)
    services.customer_claim(actor=o.alice, customer_id=ids[1], now=WEDNESDAY)
    with pytest.raises(AppError) as caught:
        services.customer_claim(actor=o.alice, customer_id=ids[2], now=WEDNESDAY)
    assert caught.value.code == "pool_limit"
    services.customer_release(actor=o.alice, customer_id=ids[0], reason="号码空号", now=WEDNESDAY + H)
    services.customer_claim(actor=o.alice, customer_id=ids[2], now=WEDNESDAY + H)
    services.customer_release(actor=o.alice, customer_id=ids[2], reason="无意向", now=WEDNESDAY + 2 * H)
    with pytest.raises(AppError) as caught:
        services.customer_claim(actor=o.alice, customer_id=ids[3], now=WEDNESDAY + 2 * H)
    assert caught.value.code == "daily_claim_cap"
    # The next business day the cap resets, but the cooldown on a customer she released remains.
    with pytest.raises(AppError) as caught:
        services.customer_claim(actor=o.alice, customer_id=ids[0], now=WEDNESDAY + D)
    assert caught.value.code == "claim_cooldown"
    services.customer_claim(actor=o.alice, customer_id=ids[0], now=WEDNESDAY + 7 * D + H)


def test_the_daily_cap_counts_the_shanghai_day_not_the_utc_day():
    o = office(daily_claim_cap=1, protection_hours=0)
    ids = [services.lead_create(actor=o.manager, project_id=o.project.id, name=f"客户{i}", phone=f"1390000002{i}",
                                channel="phone", consent=True, now=WEDNESDAY, dispatch=False).customer.id
           for i in range(2)]
    late = WEDNESDAY.replace(hour=15, minute=30)  # 23:30 Shanghai, Wednesday
    services.customer_claim(actor=o.alice, customer_id=ids[0], now=late)
    after_midnight = late + H  # 00:30 Shanghai, Thursday (still Wednesday in UTC)
    services.customer_claim(actor=o.alice, customer_id=ids[1], now=after_midnight)
    assert Customer.objects.filter(holder=o.alice).count() == 2


def test_transfer_restarts_the_clock_for_the_new_holder_and_starts_the_old_holders_cooldown():
    o = office(protection_hours=0)
    customer = _walk_in(o, o.alice)
    services.customers_transfer(actor=o.manager, customer_ids=[customer.id], to_user_id=o.bob.id,
                                now=WEDNESDAY + 2 * D)
    customer.refresh_from_db()
    assert customer.holder_id == o.bob.id and customer.recycle_due_at == WEDNESDAY + 5 * D
    assert HoldLog.objects.filter(consultant=o.alice, kind="transfer_out").exists()


def test_a_consultant_cannot_transfer_and_nothing_changes():
    o = office()
    customer = _walk_in(o, o.alice)
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        services.customers_transfer(actor=o.alice, customer_ids=[customer.id], to_user_id=o.bob.id, now=WEDNESDAY)
    assert caught.value.status == 403
    assert database_snapshot() == before


def test_another_consultants_private_customer_is_not_found_and_its_phone_is_masked_in_the_pool():
    o = office()
    customer = _walk_in(o, o.alice)
    with pytest.raises(AppError) as caught:
        selectors.customer_360(actor=o.bob, customer_id=customer.id, now=WEDNESDAY)
    assert caught.value.status == 404
    assert selectors.customer_360(actor=o.alice, customer_id=customer.id, now=WEDNESDAY)["row"]["phone"] == \
        "+8613900000001"
    services.customer_release(actor=o.alice, customer_id=customer.id, reason="外地客户", now=WEDNESDAY + H)
    pool = selectors.public_pool(actor=o.bob, now=WEDNESDAY + H)
    assert [row["phone"] for row in pool] == ["139****0001"]
