"""老带新: a customer's referral code; a lead reported with it is attributed to the referrer on the new
customer's source, shown on both 360° views, and the project's referral rule (a commission rule) rewards the
referrer when the referred customer signs. A known customer, a self-referral or an unknown code earn nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from backend.core.errors import AppError
from backend.crm import selectors, services
from backend.crm.models import Commission, Customer, CustomerSource, ReferralCode
from tests.authz.framework import database_snapshot
from tests.crm.world import WEDNESDAY, office

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def _walk_in(o, user, phone, name="客户", at=WEDNESDAY, **kw):
    return services.lead_create(actor=user, project_id=o.project.id, name=name, phone=phone, channel="walk_in",
                                consent=True, now=at, **kw).customer


def _sign(o, user, customer, unit, at):
    sub = services.subscription_create(actor=user, unit_id=unit.id, customer_id=customer.id, deposit_fen=5_000_000,
                                       now=at)
    contract = services.contract_create(actor=user, subscription_id=sub.id, buyers=[customer.name], discount_fen=0,
                                        payment_method="full", now=at)
    return services.contract_sign(actor=user, contract_id=contract.id, now=at)


def test_a_referred_friend_is_attributed_to_the_referrer_and_the_reward_applies_when_they_sign():
    o = office()
    owner = _walk_in(o, o.alice, "13900000001", name="老业主")
    code = services.referral_code_issue(actor=o.alice, customer_id=owner.id, now=WEDNESDAY)
    assert len(code.code) == 8 and services.referral_code_issue(actor=o.alice, customer_id=owner.id,
                                                                now=WEDNESDAY + H).id == code.id

    friend = _walk_in(o, o.bob, "13900000002", name="新朋友", at=WEDNESDAY + H, referral_code=code.code.lower())
    assert friend.holder_id == o.bob.id  # the consultant who met the referred friend holds them
    source = CustomerSource.objects.get(customer=friend)
    assert (source.channel, source.referral_id) == ("referral", code.id)
    assert source.attribution_until == WEDNESDAY + H + timedelta(days=180)
    assert selectors.referrals_of(actor=o.bob, customer_id=friend.id)["referred_by"]["name"] == "老业主"

    contract = _sign(o, o.bob, friend, o.units[0], WEDNESDAY + 2 * H)
    reward = Commission.objects.get(contract=contract)
    assert (reward.referrer_id, reward.partner_id, reward.amount_fen) == (owner.id, None, 200_000)
    seen = selectors.referrals_of(actor=o.alice, customer_id=owner.id)
    assert seen["code"] == code.code
    assert [(r["name"], r["stage"], r["attributed"], r["reward_fen"]) for r in seen["referred"]] == [
        ("新朋友", "signed", True, 200_000)]


def test_the_reward_follows_the_projects_rule_and_lapses_after_the_referral_days():
    o = office(referral_reward_rule={"kind": "percent", "basis_points": 10}, referral_protection_days=30)
    owner = _walk_in(o, o.alice, "13900000001")
    code = services.referral_code_issue(actor=o.manager, customer_id=owner.id, now=WEDNESDAY)
    quick = _walk_in(o, o.alice, "13900000002", referral_code=code.code)
    slow = _walk_in(o, o.bob, "13900000003", referral_code=code.code)
    contract = _sign(o, o.alice, quick, o.units[0], WEDNESDAY + timedelta(days=29))
    assert Commission.objects.get(contract=contract).amount_fen == 300_000_000 * 10 // 10_000
    late = _sign(o, o.bob, slow, o.units[1], WEDNESDAY + timedelta(days=31))
    assert not Commission.objects.filter(contract=late).exists()


def test_a_customer_the_project_knew_already_keeps_the_source_without_attribution():
    o = office()
    owner = _walk_in(o, o.alice, "13900000001")
    known = _walk_in(o, o.bob, "13900000002", name="老客户")
    code = services.referral_code_issue(actor=o.alice, customer_id=owner.id, now=WEDNESDAY)
    again = _walk_in(o, o.bob, "139 0000 0002", at=WEDNESDAY + H, referral_code=code.code)
    assert again.id == known.id
    source = CustomerSource.objects.get(customer=known, channel="referral")
    assert source.referral_id == code.id and source.attribution_until is None
    assert known.events.get(kind="source_added").params["referral_attributed"] is False
    contract = _sign(o, o.bob, known, o.units[0], WEDNESDAY + 2 * H)
    assert not Commission.objects.filter(contract=contract).exists()
    assert [r["attributed"] for r in selectors.referrals_of(actor=o.alice, customer_id=owner.id)["referred"]] == [False]


def test_a_customer_cannot_refer_themselves_and_nothing_is_saved():
    o = office()
    owner = _walk_in(o, o.alice, "13900000001")
    code = services.referral_code_issue(actor=o.alice, customer_id=owner.id, now=WEDNESDAY)
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        _walk_in(o, o.alice, "13900000001", at=WEDNESDAY + H, referral_code=code.code)
    assert caught.value.status == 422 and caught.value.details["errors"][0]["field"] == "referral_code"
    assert database_snapshot() == before


def test_an_unknown_code_or_another_projects_code_is_refused_on_the_field():
    o, other = office(), office(consultants=1, units=0)
    theirs = _walk_in(other, other.alice, "13900000001")
    code = services.referral_code_issue(actor=other.alice, customer_id=theirs.id, now=WEDNESDAY)
    for wrong in ("NOPE2345", code.code):
        with pytest.raises(AppError) as caught:
            _walk_in(o, o.alice, "13900000009", referral_code=wrong)
        assert caught.value.status == 422 and caught.value.details["errors"][0]["field"] == "referral_code"
    assert not Customer.objects.filter(project=o.project).exists()


def test_only_the_customers_consultant_or_a_manager_gives_a_code():
    o = office()
    owner = _walk_in(o, o.alice, "13900000001")
    with pytest.raises(AppError) as caught:
        services.referral_code_issue(actor=o.bob, customer_id=owner.id, now=WEDNESDAY)
    assert caught.value.status == 404  # another consultant's private customer
    assert not ReferralCode.objects.exists()


def test_the_public_referral_page_leaves_a_lead_attributed_to_the_referrer_and_shows_only_a_surname():
    o = office()
    owner = _walk_in(o, o.alice, "13900000001", name="王大明")
    code = services.referral_code_issue(actor=o.alice, customer_id=owner.id, now=WEDNESDAY)
    visitor = Client()
    page = visitor.get(f"/crm/r/{code.code}").content.decode()
    assert "王**" in page and "王大明" not in page and o.project.name in page
    assert visitor.post(f"/crm/r/{code.code}", {"name": "李四", "phone": "13900000077"}).status_code == 422
    assert visitor.post(f"/crm/r/{code.code}", {"name": "李四", "phone": "13900000077", "consent": "on"}).status_code == 200
    source = CustomerSource.objects.get(phone="+8613900000077")
    assert (source.channel, source.referral_id, source.attribution_until is not None) == ("referral", code.id, True)
    assert visitor.get("/crm/r/UNKNOWN1").status_code == 404


def test_the_360_view_gives_the_code_with_its_qr_and_shows_who_referred_whom():
    o = office()
    owner = _walk_in(o, o.alice, "13900000001", name="老业主")
    alice = Client()
    alice.force_login(o.alice)
    assert 'data-action="referral_code"' in alice.get(f"/crm/customers/{owner.id}").content.decode()
    alice.post(f"/crm/customers/{owner.id}/act", {"action": "referral_code"})
    code = ReferralCode.objects.get(referrer=owner)
    page = alice.get(f"/crm/customers/{owner.id}").content.decode()
    assert f'data-referral-code="{code.code}"' in page and "<svg" in page and f"/crm/r/{code.code}" in page
    friend = _walk_in(o, o.alice, "13900000002", name="新朋友", at=WEDNESDAY + H, referral_code=code.code)
    assert "新朋友" in alice.get(f"/crm/customers/{owner.id}").content.decode()
    assert f'data-referred-by="{code.code}"' in alice.get(f"/crm/customers/{friend.id}").content.decode()
