"""One customer, one record: leads match on the normalised phone and the ID number's keyed hash; a lead
naming two records merges them (recorded, undoable); the ID number is never stored in clear."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.errors import AppError
from backend.crm import services
from backend.crm.models import Customer, CustomerSource, MergeRecord
from tests.crm.world import WEDNESDAY, id_number, office

pytestmark = pytest.mark.django_db


def _lead(o, *, phone="139 0000 0001", channel="phone", id_no="", name="张三", at=WEDNESDAY, actor=None):
    return services.lead_create(actor=actor or o.manager, project_id=o.project.id, name=name, phone=phone,
                                channel=channel, consent=True, id_number=id_no, now=at, dispatch=False)


def test_the_same_phone_written_three_ways_is_one_customer_with_three_sources():
    o = office()
    first = _lead(o, phone="13900000001")
    _lead(o, phone="+86 139-0000-0001", channel="walk_in", at=WEDNESDAY + timedelta(hours=1))
    third = _lead(o, phone="(0086) 139 0000 0001", channel="partner", at=WEDNESDAY + timedelta(hours=2))
    assert first.created and not third.created
    assert Customer.objects.filter(project=o.project).count() == 1
    assert list(CustomerSource.objects.filter(customer=first.customer).values_list("channel", flat=True)
                .order_by("created_at")) == ["phone", "walk_in", "partner"]


def test_a_new_phone_with_a_known_id_number_joins_that_customer_and_the_number_is_only_a_hash():
    o = office()
    first = _lead(o, phone="13900000001", id_no=id_number(1))
    second = _lead(o, phone="13900000002", id_no=id_number(1).lower()[:-1] + id_number(1)[-1].lower())
    assert second.customer.id == first.customer.id
    stored = Customer.objects.get(id=first.customer.id).id_number_hash
    assert len(stored) == 64 and id_number(1) not in stored
    assert not Customer.objects.filter(id_number_hash__contains=id_number(1)[:6]).exists()


def test_an_id_number_with_a_wrong_checksum_is_refused_and_nothing_is_saved():
    o = office()
    bad = id_number(1)[:-1] + ("0" if id_number(1)[-1] != "0" else "1")
    with pytest.raises(AppError) as caught:
        _lead(o, id_no=bad)
    assert caught.value.status == 422
    assert not Customer.objects.exists()


def test_a_lead_naming_two_records_merges_the_younger_into_the_older_and_undo_puts_it_back():
    o = office()
    by_phone = _lead(o, phone="13900000001", name="张三").customer
    by_id = _lead(o, phone="13900000002", id_no=id_number(7), name="张三丰", at=WEDNESDAY + timedelta(hours=1)).customer
    tie = _lead(o, phone="13900000001", id_no=id_number(7), at=WEDNESDAY + timedelta(hours=2))
    assert tie.customer.id == by_phone.id and tie.merged == [str(by_id.id)]
    kept = Customer.objects.get(id=by_phone.id)
    assert kept.id_number_hash and Customer.objects.get(id=by_id.id).merged_into_id == kept.id
    assert kept.sources.count() == 3
    record = MergeRecord.objects.get(merged=by_id)

    services.merge_undo(actor=o.manager, record_id=record.id, now=WEDNESDAY + timedelta(hours=3))
    restored = Customer.objects.get(id=by_id.id)
    assert restored.merged_into_id is None and restored.id_number_hash
    assert restored.sources.count() == 1
    assert MergeRecord.objects.get(id=record.id).undone_at is not None


def test_a_consultant_cannot_merge_two_customers():
    o = office()
    a = _lead(o, phone="13900000001").customer
    b = _lead(o, phone="13900000002").customer
    with pytest.raises(AppError) as caught:
        services.customer_merge(actor=o.alice, kept_id=a.id, merged_id=b.id, now=WEDNESDAY)
    assert caught.value.status in {403, 404}
    assert not MergeRecord.objects.exists()


LEADS = [("13900000001", ""), ("13900000002", "ID7"), ("13900000001", "ID7"), ("13900000003", "ID7"),
         ("13900000004", "")]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(len(LEADS))))
def test_merging_in_any_order_gives_the_same_customers(order):
    """Whatever order the same leads arrive in, the live customers hold the same phones and sources."""
    o = office(consultants=1, units=0)
    for step, index in enumerate(order):
        phone, id_key = LEADS[index]
        _lead(o, phone=phone, id_no=id_number(7) if id_key else "", at=WEDNESDAY + timedelta(minutes=step),
              name=f"客户{index}")
    groups = []
    for customer in Customer.objects.filter(project=o.project, merged_into__isnull=True):
        groups.append(list(customer.sources.values_list("phone", flat=True)))
    assert sorted(map(sorted, groups)) == [["+8613900000001", "+8613900000001", "+8613900000002", "+8613900000003"],
                                          ["+8613900000004"]]


def test_every_pair_of_orders_agrees_on_the_id_hash_holder():
    for order in itertools.islice(itertools.permutations(range(3)), 3):
        o = office(consultants=1, units=0)
        for step, index in enumerate(order):
            phone, id_key = LEADS[index]
            _lead(o, phone=phone, id_no=id_number(7) if id_key else "", at=WEDNESDAY + timedelta(minutes=step))
        live = Customer.objects.filter(project=o.project, merged_into__isnull=True)
        assert live.count() == 1 and live.get().id_number_hash
