"""Races on PostgreSQL, real threads on separate connections: two consultants claiming one customer, six
grabbing one lead, six reserving one unit, two sweeps recycling at once. Exactly one wins each."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections

from backend.core.errors import AppError
from backend.crm import services
from backend.crm.models import Customer, CustomerEvent, LeadOffer, Reservation
from tests.crm.world import SATURDAY, WEDNESDAY, office

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls: list[Callable[[], Any]]) -> list[str]:
    if connection.vendor != "postgresql":
        pytest.skip("needs a database that several threads share (PostgreSQL in CI)")
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            call()
            results.append("won")
        except AppError as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_consultants_claiming_the_same_customer_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    o = office(consultants=2)
    lead = services.lead_create(actor=o.manager, project_id=o.project.id, name="抢", phone="13900000001",
                                channel="phone", consent=True, now=WEDNESDAY, dispatch=False).customer
    results = _race([lambda u=u: services.customer_claim(actor=u, customer_id=lead.id, now=WEDNESDAY)
                     for u in o.consultants])
    assert sorted(results) == ["customer_already_held", "won"] or sorted(results) == ["not_found", "won"]
    assert Customer.objects.get(id=lead.id).holder_id in {u.id for u in o.consultants}
    assert CustomerEvent.objects.filter(customer=lead, kind="claimed").count() == 1


def test_six_consultants_grabbing_one_lead_one_wins_the_rest_lose_the_race():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    o = office(consultants=6)
    lead = services.lead_create(actor=o.manager, project_id=o.project.id, name="抢单", phone="13900000002",
                                channel="phone", consent=True, now=SATURDAY).customer
    at = SATURDAY + timedelta(seconds=3)
    results = _race([lambda u=u: services.lead_grab(actor=u, customer_id=lead.id, now=at) for u in o.consultants])
    assert results.count("won") == 1 and len(results) == 6
    outcomes = sorted(LeadOffer.objects.filter(customer=lead).values_list("outcome", flat=True))
    assert outcomes == ["lost_race"] * 5 + ["taken"]


def test_six_reservations_of_one_unit_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    o = office(consultants=6, max_customers=10)
    customers = [services.lead_create(actor=u, project_id=o.project.id, name=f"客{i}", phone=f"1390000010{i}",
                                      channel="walk_in", consent=True, now=WEDNESDAY).customer
                 for i, u in enumerate(o.consultants)]
    results = _race([lambda u=u, c=c: services.unit_reserve(actor=u, unit_id=o.units[0].id, customer_id=c.id,
                                                           now=WEDNESDAY)
                     for u, c in zip(o.consultants, customers, strict=True)])
    assert results.count("won") == 1 and results.count("unit_unavailable") == 5
    assert Reservation.objects.filter(unit=o.units[0], status="active").count() == 1


def test_two_sweeps_at_once_recycle_each_customer_once():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    o = office(consultants=1, max_customers=500, protection_hours=0)
    for i in range(60):
        services.lead_create(actor=o.alice, project_id=o.project.id, name=f"客{i}", phone=f"1380000{i:04d}",
                             channel="walk_in", consent=True, now=WEDNESDAY)
    later = WEDNESDAY + timedelta(days=4)
    counts: list[int] = []
    _race([lambda: counts.append(services.recycle_due(now=later, batch=7)) for _ in range(2)])
    assert sum(counts) == 60
    assert CustomerEvent.objects.filter(kind="recycled").count() == 60


def test_the_recycling_statement_writes_what_the_orm_sweep_writes():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from backend.crm.models import HoldLog
    from backend.crm.services.pools import recycle_due, recycle_due_orm

    results = []
    for sweep in (recycle_due, recycle_due_orm):
        o = office(consultants=1, max_customers=100, protection_hours=0)
        for i in range(12):
            services.lead_create(actor=o.alice, project_id=o.project.id, name=f"客{i}", phone=f"1370000{i:04d}",
                                 channel="walk_in", consent=True, now=WEDNESDAY + timedelta(minutes=i))
        later = WEDNESDAY + timedelta(days=3, minutes=6)
        assert sweep(now=later, batch=5) == 7
        customers = Customer.objects.filter(project=o.project)
        events = CustomerEvent.objects.filter(customer__project=o.project, kind="recycled")
        results.append((
            sorted((c.phone, c.holder_id is None, c.recycle_due_at, c.warn_at) for c in customers),
            sorted((e.customer.phone, e.params["former"] == str(o.alice.id), e.at) for e in events),
            sorted((h.customer.phone, h.kind, h.business_date) for h in HoldLog.objects.filter(
                customer__project=o.project, kind="recycle")),
        ))
    assert results[0] == results[1]


def test_the_beat_sweep_recycles_in_statements_of_the_postgres_batch_not_the_orm_batch(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from django.test.utils import CaptureQueriesContext

    from backend.crm.services import pools

    monkeypatch.setattr(pools, "RECYCLE_BATCH", 10)
    monkeypatch.setattr(pools, "ORM_BATCH", 3)
    o = office(consultants=1, max_customers=100, protection_hours=0)
    for i in range(12):
        services.lead_create(actor=o.alice, project_id=o.project.id, name=f"客{i}", phone=f"1360000{i:04d}",
                             channel="walk_in", consent=True, now=WEDNESDAY)
    with CaptureQueriesContext(connection) as ctx:
        assert services.recycle_due(now=WEDNESDAY + timedelta(days=4)) == 12
    assert sum("crm_holdlog" in q["sql"] for q in ctx.captured_queries) == 2  # 10 + 2, not 3+3+3+3
