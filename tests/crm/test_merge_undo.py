"""A merge is undoable: merging two records of one person and undoing it gives back the same rows — both
customers, their sources and follow-ups — whatever the two looked like (held or not, by whom, with an ID
number, warned, followed up). A kept customer that changed since the merge keeps its newer clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.errors import AppError
from backend.crm import services
from backend.crm.models import Customer, CustomerSource, FollowUp, MergeRecord
from tests.authz.framework import database_snapshot
from tests.crm.world import WEDNESDAY, id_number, office

pytestmark = pytest.mark.django_db
M = timedelta(minutes=1)

side = st.fixed_dictionaries({
    "holder": st.sampled_from([None, "alice", "bob"]),
    "follow_ups": st.integers(0, 2),
    "id_number": st.booleans(),
    "warned": st.booleans(),
    "extra_source": st.booleans(),
})


def _make(o, spec, n: int):
    phone = f"1390000{n:04d}"
    holder = getattr(o, spec["holder"]) if spec["holder"] else None
    at = WEDNESDAY + n * M
    customer = services.lead_create(actor=holder or o.manager, project_id=o.project.id, name=f"客户{n}", phone=phone,
                                    channel="walk_in" if holder else "phone", consent=True, now=at, dispatch=False,
                                    id_number=id_number(n) if spec["id_number"] else "").customer
    if spec["extra_source"]:
        services.lead_create(actor=o.manager, project_id=o.project.id, name=f"客户{n}", phone=phone, channel="partner",
                             consent=False, now=at + M, dispatch=False)
    for k in range(spec["follow_ups"] if holder else 0):
        services.follow_up_log(actor=holder, customer_id=customer.id, kind="call", note=f"第{k + 1}次",
                               now=at + (2 + k) * M)
    if spec["warned"] and holder:
        Customer.objects.filter(id=customer.id).update(warned_at=at + 5 * M)
    return customer


def _rows(project):
    customers = list(Customer.objects.filter(project=project).order_by("id").values())
    sources = list(CustomerSource.objects.filter(customer__project=project).order_by("id").values())
    follow_ups = list(FollowUp.objects.filter(customer__project=project).order_by("id").values())
    return customers, sources, follow_ups


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(a=side, b=side, keep_first=st.booleans())
def test_merge_then_undo_gives_back_the_same_records(a, b, keep_first):
    o = office(consultants=2, units=0)
    first, second = _make(o, a, 1), _make(o, b, 2)
    kept, merged = (first, second) if keep_first else (second, first)
    before = _rows(o.project)

    record = services.customer_merge(actor=o.manager, kept_id=kept.id, merged_id=merged.id,
                                     now=WEDNESDAY + timedelta(hours=1))
    assert Customer.objects.get(id=merged.id).merged_into_id == kept.id
    assert _rows(o.project) != before
    services.merge_undo(actor=o.manager, record_id=record.id, now=WEDNESDAY + timedelta(hours=2))

    assert _rows(o.project) == before
    assert MergeRecord.objects.get(id=record.id).undone_at == WEDNESDAY + timedelta(hours=2)


def test_a_kept_customer_followed_up_since_the_merge_keeps_its_new_clock_and_the_hash_goes_back():
    o = office()
    kept = _make(o, {"holder": "alice", "follow_ups": 0, "id_number": False, "warned": False, "extra_source": False}, 1)
    merged = _make(o, {"holder": None, "follow_ups": 0, "id_number": True, "warned": False, "extra_source": False}, 2)
    record = services.customer_merge(actor=o.manager, kept_id=kept.id, merged_id=merged.id, now=WEDNESDAY + M * 10)
    later = WEDNESDAY + timedelta(hours=5)
    services.follow_up_log(actor=o.alice, customer_id=kept.id, kind="visit", note="到访", now=later)
    services.merge_undo(actor=o.manager, record_id=record.id, now=later + M)
    kept.refresh_from_db()
    merged.refresh_from_db()
    assert kept.last_activity_at == later and kept.holder_id == o.alice.id and kept.id_number_hash == ""
    assert merged.merged_into_id is None and merged.id_number_hash


def test_an_undone_merge_cannot_be_undone_twice_and_a_consultant_cannot_undo():
    o = office()
    x = _make(o, {"holder": None, "follow_ups": 0, "id_number": False, "warned": False, "extra_source": False}, 1)
    y = _make(o, {"holder": None, "follow_ups": 0, "id_number": False, "warned": False, "extra_source": False}, 2)
    record = services.customer_merge(actor=o.manager, kept_id=x.id, merged_id=y.id, now=WEDNESDAY + M * 10)
    snapshot = database_snapshot()
    with pytest.raises(AppError) as caught:
        services.merge_undo(actor=o.alice, record_id=record.id, now=WEDNESDAY + M * 11)
    assert caught.value.status in {403, 404}
    assert database_snapshot() == snapshot
    services.merge_undo(actor=o.manager, record_id=record.id, now=WEDNESDAY + M * 12)
    with pytest.raises(AppError) as caught:
        services.merge_undo(actor=o.manager, record_id=record.id, now=WEDNESDAY + M * 13)
    assert caught.value.status == 404


def test_the_360_view_lets_a_manager_merge_by_phone_and_undo_with_a_button():
    o = office()
    x = _make(o, {"holder": None, "follow_ups": 0, "id_number": False, "warned": False, "extra_source": False}, 1)
    y = _make(o, {"holder": None, "follow_ups": 0, "id_number": False, "warned": False, "extra_source": False}, 2)
    manager = Client()
    manager.force_login(o.manager)
    assert 'data-form="merge"' in manager.get(f"/crm/customers/{x.id}").content.decode()
    manager.post(f"/crm/customers/{x.id}/act", {"action": "merge", "phone": "139 0000 0002"})
    record = MergeRecord.objects.get(kept=x, merged=y)
    page = manager.get(f"/crm/customers/{x.id}").content.decode()
    assert f'data-merge="{record.id}"' in page and "客户2" in page
    manager.post(f"/crm/customers/{x.id}/act", {"action": "merge_undo", "record_id": str(record.id)})
    assert MergeRecord.objects.get(id=record.id).undone_at is not None
    assert Customer.objects.get(id=y.id).merged_into_id is None
    # A consultant sees neither form.
    alice = Client()
    alice.force_login(o.alice)
    page = alice.get(f"/crm/customers/{x.id}").content.decode()
    assert 'data-form="merge"' not in page
    unknown = manager.post(f"/crm/customers/{x.id}/act", {"action": "merge", "phone": "139 0000 0099"})
    assert unknown.status_code == 404
