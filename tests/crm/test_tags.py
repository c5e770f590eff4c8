"""Tags and segments: a customer's consultant (or a sales manager) adds and removes tags; the lists filter by
a tag (a segment) and show how many customers carry each; anyone else is refused and nothing changes."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.core.errors import AppError
from backend.crm import selectors, services
from backend.crm.models import CustomerTag
from tests.authz.framework import database_snapshot
from tests.crm.world import WEDNESDAY, office
from tests.factories import bearer_for

pytestmark = pytest.mark.django_db


def _walk_in(o, user, phone, name="客户"):
    return services.lead_create(actor=user, project_id=o.project.id, name=name, phone=phone, channel="walk_in",
                                consent=True, now=WEDNESDAY).customer


def test_a_consultant_tags_customers_and_the_list_keeps_one_segment():
    o = office()
    first, second, third = (_walk_in(o, o.alice, f"1390000000{n}", name=f"客户{n}") for n in (1, 2, 3))
    assert services.customer_tag_add(actor=o.alice, customer_id=first.id, tag=" #改善型 ", now=WEDNESDAY) == ["改善型"]
    services.customer_tag_add(actor=o.alice, customer_id=first.id, tag="学区", now=WEDNESDAY)
    services.customer_tag_add(actor=o.alice, customer_id=second.id, tag="改善型", now=WEDNESDAY)
    rows = selectors.my_customers(actor=o.alice, now=WEDNESDAY, tag="改善型")
    assert sorted(r["name"] for r in rows) == ["客户1", "客户2"]
    assert [r["tags"] for r in selectors.my_customers(actor=o.alice, now=WEDNESDAY, tag="学区")] == [["学区", "改善型"]]
    assert selectors.tag_segments(actor=o.alice) == [{"tag": "改善型", "count": 2}, {"tag": "学区", "count": 1}]
    assert third.id not in {r["id"] for r in rows}
    # Over the API too.
    api = Client().get("/api/v1/crm/customers/mine", {"tag": "学区"}, **bearer_for(o.alice))
    assert api.status_code == 200 and [r["name"] for r in api.json()] == ["客户1"]


def test_adding_a_tag_twice_changes_nothing_and_removing_takes_it_off():
    o = office()
    c = _walk_in(o, o.alice, "13900000001")
    services.customer_tag_add(actor=o.alice, customer_id=c.id, tag="高意向", now=WEDNESDAY)
    assert services.customer_tag_add(actor=o.manager, customer_id=c.id, tag="高意向", now=WEDNESDAY) == ["高意向"]
    assert CustomerTag.objects.filter(customer=c).count() == 1
    assert services.customer_tag_remove(actor=o.alice, customer_id=c.id, tag="高意向", now=WEDNESDAY) == []
    assert services.customer_tag_remove(actor=o.alice, customer_id=c.id, tag="不存在", now=WEDNESDAY) == []


def test_a_bad_tag_or_one_too_many_is_refused_on_the_field_and_nothing_is_saved():
    o = office()
    c = _walk_in(o, o.alice, "13900000001")
    for n in range(20):
        services.customer_tag_add(actor=o.alice, customer_id=c.id, tag=f"标签{n}", now=WEDNESDAY)
    before = database_snapshot()
    for bad in ("", "  #  ", "长" * 21, "第二十一个"):
        with pytest.raises(AppError) as caught:
            services.customer_tag_add(actor=o.alice, customer_id=c.id, tag=bad, now=WEDNESDAY)
        assert caught.value.status == 422 and caught.value.details["errors"][0]["field"] == "tag"
    assert database_snapshot() == before


def test_only_the_consultant_or_a_manager_tags_and_a_refusal_changes_nothing():
    o, other = office(), office(consultants=1, units=0)
    held = _walk_in(o, o.alice, "13900000001")
    pooled = services.lead_create(actor=o.manager, project_id=o.project.id, name="公海", phone="13900000002",
                                  channel="phone", consent=True, now=WEDNESDAY, dispatch=False).customer
    before = database_snapshot()
    for actor, customer, status in ((o.bob, held, 404), (other.manager, held, 404), (o.bob, pooled, 403)):
        with pytest.raises(AppError) as caught:
            services.customer_tag_add(actor=actor, customer_id=customer.id, tag="VIP", now=WEDNESDAY)
        assert caught.value.status == status
    assert database_snapshot() == before
    assert services.customer_tag_add(actor=o.manager, customer_id=pooled.id, tag="VIP", now=WEDNESDAY) == ["VIP"]
    assert [r["name"] for r in selectors.public_pool(actor=o.bob, now=WEDNESDAY, tag="VIP")] == ["公海"]


def test_the_360_view_adds_and_removes_tags_with_htmx_and_the_list_filters_by_them():
    o = office()
    c = _walk_in(o, o.alice, "13900000001", name="王先生")
    _walk_in(o, o.alice, "13900000002", name="李女士")
    alice = Client()
    alice.force_login(o.alice)
    assert 'data-form="tag"' in alice.get(f"/crm/customers/{c.id}").content.decode()
    added = alice.post(f"/crm/customers/{c.id}/tags", {"op": "add", "tag": "投资客"}, HTTP_HX_REQUEST="true")
    assert added.status_code == 200 and 'data-tag="投资客"' in added.content.decode()
    assert "<html" not in added.content.decode()  # the partial only
    page = alice.get("/crm/", {"tag": "投资客"}).content.decode()
    assert "王先生" in page and "李女士" not in page and 'data-segment="投资客"' in page
    removed = alice.post(f"/crm/customers/{c.id}/tags", {"op": "remove", "tag": "投资客"}, HTTP_HX_REQUEST="true")
    assert 'data-tag="投资客"' not in removed.content.decode()
    assert not CustomerTag.objects.exists()
    # Someone who only sees the customer in the public pool has no tag form.
    services.customer_release(actor=o.alice, customer_id=c.id, reason="不买了", now=WEDNESDAY)
    bob = Client()
    bob.force_login(o.bob)
    assert 'data-form="tag"' not in bob.get(f"/crm/customers/{c.id}").content.decode()
