"""The console's pages for the roles that work a shift, through the same services and scope as the API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from backend.accounts.roles import Role
from backend.workorders.models import WorkOrder
from backend.workorders.states import State
from tests.factories import user_with_roles
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_home_sends_office_staff_to_their_start_page_and_technicians_to_the_account_page():
    a, _b = two_sides()
    assert signed_in(a.dispatcher).get("/")["Location"] == "/console/"
    assert signed_in(a.technician).get("/").status_code == 200


def test_start_page_counts_new_orders_of_my_scope_and_links_to_the_filtered_queue():
    a, b = two_sides()
    page = signed_in(a.agent).get("/console/")
    assert page.status_code == 200
    assert b'href="/console/queue?state=submitted"' in page.content


def test_queue_lists_my_scope_only_and_searches_by_number_and_phone_tail():
    a, b = two_sides()
    client = signed_in(a.dispatcher)
    page = client.get("/console/queue")
    assert a.order.number.encode() in page.content
    assert b.order.number.encode() not in page.content
    assert a.order.number.encode() in client.get("/console/queue", {"q": "8000"}).content
    assert a.order.number.encode() not in client.get("/console/queue", {"q": "厕所"}).content
    assert a.order.number.encode() in client.get("/console/queue", {"q": "下水道"}).content


def test_queue_rejects_a_malformed_filter_with_the_field_named():
    a, _b = two_sides()
    page = signed_in(a.dispatcher).get("/console/queue", {"project": "not-a-uuid"})
    assert page.status_code == 422
    assert "不是有效的编号".encode() in page.content or b"Not a valid id" in page.content


def test_workspace_offers_only_the_steps_the_state_machine_allows_this_user():
    a, _b = two_sides()
    order = WorkOrder.objects.get(id=a.order.id)
    agent_page = signed_in(a.agent).get(f"/console/orders/{order.id}")
    dispatcher_page = signed_in(a.dispatcher).get(f"/console/orders/{order.id}")
    assert agent_page.status_code == dispatcher_page.status_code == 200
    assert b'data-action="assign"' in dispatcher_page.content
    assert b'data-action="assign"' not in agent_page.content
    assert b'data-action="cancel"' in agent_page.content


def test_a_refused_step_shows_the_domain_error_in_the_users_language_and_changes_nothing():
    a, _b = two_sides()
    order = WorkOrder.objects.get(id=a.order.id)
    client = signed_in(a.agent)
    response = client.post(f"/console/orders/{order.id}/act", {"action": "resume", "revision": order.revision},
                           HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert WorkOrder.objects.get(id=order.id).state == order.state


def test_a_stale_page_gets_the_conflict_explained_and_nothing_changes():
    a, _b = two_sides()
    order = WorkOrder.objects.get(id=a.order.id)
    response = signed_in(a.agent).post(f"/console/orders/{order.id}/act",
                                       {"action": "cancel", "reason": "业主取消", "revision": order.revision - 1},
                                       HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert b"stale_order" in response.content
    assert WorkOrder.objects.get(id=order.id).state == order.state


def test_dispatcher_reassigns_from_the_workspace_with_a_reason():
    a, _b = two_sides()
    other = user_with_roles(Role.TECHNICIAN)
    from backend.accounts.models import TechnicianProfile

    TechnicianProfile.objects.create(user=other, skills={"plumbing": 3}, on_duty=True)
    a.team.members.add(other)
    order = WorkOrder.objects.get(id=a.order.id)
    client = signed_in(a.dispatcher)
    picker = client.get(f"/console/orders/{order.id}/technicians")
    assert picker.status_code == 200 and str(other.id).encode() in picker.content
    response = client.post(f"/console/orders/{order.id}/assign", {"technician_id": str(other.id), "reason": "就近",
                                                                  "revision": order.revision}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert WorkOrder.objects.get(id=order.id).technician_id == other.id


def test_board_intake_and_approvals_pages_open_for_their_roles():
    a, _b = two_sides()
    assert signed_in(a.dispatcher).get("/console/board").status_code == 200
    assert signed_in(a.agent).get("/console/intake").status_code == 200
    assert signed_in(a.team.supervisor).get("/console/approvals").status_code == 200
    explain = signed_in(a.dispatcher).get(f"/console/board/explain/{a.order.id}")
    assert explain.status_code == 200 and "eligible" in explain.json()


def test_phone_intake_creates_the_order_through_the_intake_service():
    a, _b = two_sides()
    from backend.properties.models import Owner, Ownership

    owner = Owner.objects.create(name="李先生", phone="+8613911112222")
    Ownership.objects.create(owner=owner, unit=a.unit, start_date=timezone.localdate().replace(year=2020))
    client = signed_in(a.agent)
    found = client.get("/console/intake/caller", {"contact_phone": "13911112222"})
    assert a.unit.number.encode() in found.content and b"+8613911112222" in found.content
    before = WorkOrder.objects.count()
    response = client.post("/console/intake", {"contact_phone": "13911112222", "contact_name": "李先生",
                                               "place": f"unit:{a.unit.id}", "category": "drainage",
                                               "description": "卫生间漏水", "channel": "phone"})
    assert response.status_code == 302, response.content[:500]
    assert WorkOrder.objects.count() == before + 1
    created = WorkOrder.objects.order_by("-created_at").first()
    assert created.channel == "phone" and created.state != State.CANCELLED


def test_a_duplicate_is_merged_into_the_open_order_of_the_same_place():
    a, _b = two_sides()
    duplicate = order_intake_on(a)
    client = signed_in(a.agent)
    response = client.post(f"/console/orders/{duplicate.id}/act", {"action": "merge", "into": a.order.number,
                                                                   "revision": duplicate.revision},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content[:300]
    duplicate.refresh_from_db()
    assert duplicate.state == State.CANCELLED
    assert duplicate.events.filter(data__merged_into=str(a.order.id)).exists()
    assert a.order.events.filter(kind="note", data__merged_from=str(duplicate.id)).exists()


def test_merging_into_an_order_of_another_place_is_refused_and_changes_nothing():
    a, b = two_sides()
    duplicate = order_intake_on(a)
    response = signed_in(a.agent).post(f"/console/orders/{duplicate.id}/act",
                                       {"action": "merge", "into": b.order.number, "revision": duplicate.revision},
                                       HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    duplicate.refresh_from_db()
    assert duplicate.state != State.CANCELLED


def order_intake_on(side):
    from backend.workorders.actors import Actor
    from backend.workorders.services import order_intake

    return order_intake(actor=Actor(user=side.agent), channel="phone", category_code="drainage",
                        description="又堵了", contact_name="张女士", contact_phone="13800138000",
                        now=timezone.now(), unit_id=side.unit.id, route_now=False).order


def test_queue_pages_follow_the_urgency_order_without_overlap():
    from backend.console.selectors import QueueFilters, queue_page
    from tests.console.test_query_counts import _more_orders

    a, _b = two_sides()
    _more_orders(a, 6)
    now = timezone.now()
    first = queue_page(actor=a.dispatcher, filters=QueueFilters(), now=now, limit=3)
    second = queue_page(actor=a.dispatcher, filters=QueueFilters(), now=now, cursor=first["next_cursor"], limit=3)
    third = queue_page(actor=a.dispatcher, filters=QueueFilters(), now=now, cursor=second["next_cursor"], limit=3)
    ids = [r["id"] for page in (first, second, third) for r in page["rows"]]
    assert len(ids) == len(set(ids)) == first["total"] == 7
    assert third["next_cursor"] is None
    due = [r["deadline_at"] for page in (first, second, third) for r in page["rows"] if r["deadline_at"]]
    assert due == sorted(due)


def test_a_manager_sees_the_callers_phone_masked_and_customer_service_in_full():
    a, _b = two_sides()
    manager_page = signed_in(a.team.supervisor).get(f"/console/orders/{a.order.id}").content.decode()
    agent_page = signed_in(a.agent).get(f"/console/orders/{a.order.id}").content.decode()
    assert "+8613800138000" in agent_page
    assert "+8613800138000" not in manager_page and "138****8000" in manager_page
