"""Lead dispatch: on working days round-robin among idle consultants; on a Saturday the grab pool with a
15-second countdown, the first taker wins, a fallback assigns it when nobody does; every offer kept; the
5-minute first-response KPI read from them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core.errors import AppError
from backend.crm import selectors, services
from backend.crm.models import Customer, LeadOffer
from backend.crm.services.dispatch import is_grab_day, open_grabs_for
from tests.authz.framework import database_snapshot
from tests.crm.world import SATURDAY, WEDNESDAY, office

pytestmark = pytest.mark.django_db
S = timedelta(seconds=1)


def _phone_lead(o, n, at):
    return services.lead_create(actor=o.manager, project_id=o.project.id, name=f"来电{n}", phone=f"1380000{n:04d}",
                                channel="phone", consent=True, now=at).customer


def test_the_calendar_decides_grab_days():
    o = office()
    assert not is_grab_day(o.project, WEDNESDAY)
    assert is_grab_day(o.project, SATURDAY)


def test_weekday_leads_go_round_robin_to_idle_consultants_and_skip_the_busy_one():
    o = office(consultants=3)
    holders = [_phone_lead(o, n, WEDNESDAY + n * S).holder_id for n in range(3)]
    assert len(set(holders)) == 3
    # Whoever got the first lead logs a follow-up now: busy for 30 minutes, skipped by the next leads.
    busy = holders[0]
    first = Customer.objects.get(holder_id=busy)
    services.follow_up_log(actor=first.holder, customer_id=first.id, kind="call", note="已联系",
                           now=WEDNESDAY + 10 * S)
    later = [_phone_lead(o, n, WEDNESDAY + (20 + n) * S).holder_id for n in range(3, 7)]
    assert busy not in later
    assert LeadOffer.objects.filter(mode="push", outcome="taken").count() == 7


def test_nobody_idle_the_least_loaded_on_duty_gets_it_and_nobody_on_duty_leaves_it_in_the_pool():
    o = office(consultants=2, idle_minutes=600)
    for c in o.consultants:
        own = services.lead_create(actor=c, project_id=o.project.id, name="自访", phone=f"13700000{c.display_name[-1]}01",
                                   channel="walk_in", consent=True, now=WEDNESDAY).customer
        services.follow_up_log(actor=c, customer_id=own.id, kind="visit", note="到访", now=WEDNESDAY + S)
    extra = services.lead_create(actor=o.alice, project_id=o.project.id, name="自访2", phone="13700000999",
                                 channel="walk_in", consent=True, now=WEDNESDAY).customer
    assert extra.holder_id == o.alice.id
    lead = _phone_lead(o, 1, WEDNESDAY + 2 * S)
    assert lead.holder_id == o.bob.id  # fewer customers
    o.consultants[0].crm_seats.update(on_duty=False)
    o.consultants[1].crm_seats.update(on_duty=False)
    assert _phone_lead(o, 2, WEDNESDAY + 3 * S).holder_id is None


def test_saturday_grab_pool_first_taker_wins_the_other_is_told_and_every_offer_is_kept():
    o = office(consultants=3)
    lead = _phone_lead(o, 1, SATURDAY)
    assert lead.holder_id is None and lead.grab_expires_at == SATURDAY + 15 * S
    assert [g["seconds_left"] for g in open_grabs_for(actor=o.bob, now=SATURDAY + 3 * S)] == [12]
    services.lead_grab(actor=o.bob, customer_id=lead.id, now=SATURDAY + 4 * S)
    before = database_snapshot()
    with pytest.raises(AppError) as caught:
        services.lead_grab(actor=o.alice, customer_id=lead.id, now=SATURDAY + 5 * S)
    assert caught.value.status in {404, 409}
    assert database_snapshot() == before
    outcomes = dict(LeadOffer.objects.filter(customer=lead).values_list("consultant_id", "outcome"))
    assert outcomes[o.bob.id] == "taken"
    assert sorted(v for k, v in outcomes.items() if k != o.bob.id) == ["lost_race", "lost_race"]


def test_a_grab_after_the_countdown_is_refused_and_the_fallback_assigns_the_lead():
    o = office(consultants=2)
    lead = _phone_lead(o, 1, SATURDAY)
    services.lead_decline(actor=o.alice, customer_id=lead.id, now=SATURDAY + S)
    assert services.grab_fallback_due(now=SATURDAY + 14 * S) == 0
    with pytest.raises(AppError):
        services.lead_grab(actor=o.bob, customer_id=lead.id, now=SATURDAY + 15 * S)
    assert services.grab_fallback_due(now=SATURDAY + 15 * S) == 1
    assert services.grab_fallback_due(now=SATURDAY + 16 * S) == 0
    lead.refresh_from_db()
    assert lead.holder_id is not None
    outcomes = sorted(LeadOffer.objects.filter(customer=lead).values_list("mode", "outcome"))
    assert outcomes == [("fallback", "taken"), ("grab", "declined"), ("grab", "timed_out")]


def test_first_response_kpi_counts_leads_answered_within_five_minutes_per_consultant_and_channel():
    o = office(consultants=2)
    fast = _phone_lead(o, 1, WEDNESDAY)
    slow = _phone_lead(o, 2, WEDNESDAY + S)
    services.follow_up_log(actor=fast.holder, customer_id=fast.id, kind="call", note="秒回",
                           now=WEDNESDAY + timedelta(minutes=5))
    services.follow_up_log(actor=slow.holder, customer_id=slow.id, kind="call", note="晚了",
                           now=WEDNESDAY + S + timedelta(minutes=5, seconds=1))
    kpi = selectors.first_response_kpi(actor=o.manager, project_id=o.project.id, now=WEDNESDAY + timedelta(hours=1))
    assert kpi["project"] == {"total": 2, "fast": 1, "rate": 0.5}
    assert sorted((r["key"], r["fast"]) for r in kpi["consultants"]) == sorted(
        [(fast.holder.display_name, 1), (slow.holder.display_name, 0)])
    assert kpi["channels"] == [{"key": "phone", "total": 2, "fast": 1, "rate": 0.5}]
    assert kpi["offers"] == {"taken": 2}
