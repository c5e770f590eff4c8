from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from backend.properties.demo import seed_demo
from backend.workorders.demo import seed_orders
from backend.workorders.models import Assignment, SlaDeadline, TimelineEvent, WorkOrder
from backend.workorders.states import State


@pytest.mark.django_db
def test_demo_orders_cover_every_state_through_the_real_services_and_load_once():
    seed_demo(scale=1, now=timezone.now())
    summary = seed_orders(now=timezone.now(), projects=1, per_state=1)
    assert summary.created == len(State)
    assert set(WorkOrder.objects.values_list("state", flat=True)) == set(State.values)
    assert SlaDeadline.objects.count() >= 3 * len(State)
    assert Assignment.objects.exists()
    closed = WorkOrder.objects.get(state=State.CLOSED)
    assert list(TimelineEvent.objects.filter(order=closed, kind="state").values_list("to_state", flat=True))[-1] == "closed"
    assert seed_orders(now=timezone.now(), projects=1, per_state=1).created == 0


@pytest.mark.django_db
def test_the_dispatcher_of_the_demo_sees_the_demo_orders():
    call_command("seed_demo", "--scale", "1", verbosity=0)
    from backend.accounts.models import User
    from backend.workorders.access import orders_visible_to

    for username in ("dispatcher", "cs", "manager", "director"):
        assert orders_visible_to(User.objects.get(username=username)).count() == WorkOrder.objects.count() > 0
    tech = User.objects.filter(assigned_orders__isnull=False).first()
    assert set(orders_visible_to(tech).values_list("technician_id", flat=True)) == {tech.id}


@pytest.mark.django_db
def test_the_demo_has_estimates_waiting_on_each_approver_and_loads_them_once():
    from backend.accounts.models import User
    from backend.workorders.approvals.estimates import approval_inbox
    from backend.workorders.demo import APPROVAL_CASES, seed_pending_approvals
    from backend.workorders.models import ApprovalInstance

    now = timezone.now()
    seed_demo(scale=1, now=now)
    seed_orders(now=now, projects=1, per_state=1)
    assert seed_pending_approvals(now=now) == len(APPROVAL_CASES)
    for username in ("manager", "finance", "director"):
        inbox = approval_inbox(actor=User.objects.get(username=username))
        assert inbox, f"{username} has nothing to approve"
    waiting = WorkOrder.objects.filter(approvals__status="in_progress")
    assert waiting.count() == len(APPROVAL_CASES)
    assert set(waiting.values_list("state", "waiting_reason")) == {(State.WAITING, "approval")}
    assert seed_pending_approvals(now=now) == 0
    assert ApprovalInstance.objects.count() == len(APPROVAL_CASES)


@pytest.mark.django_db
def test_the_demo_buildings_of_delivered_projects_have_an_acceptance_date_so_unit_orders_get_a_real_verdict():
    from backend.properties.models import Building

    seed_demo(scale=1, now=timezone.now())
    for building in Building.objects.select_related("project"):
        if building.units.filter(handover_date__isnull=False).exists():
            assert building.completion_acceptance_date is not None
            assert building.completion_acceptance_date < building.project.delivery_date
    seed_orders(now=timezone.now(), projects=1, per_state=1)
    on_units = WorkOrder.objects.filter(unit__handover_date__isnull=False)
    assert on_units.exists()
    assert not on_units.filter(warranty_verdict="unknown").exists(), \
        list(on_units.filter(warranty_verdict="unknown").values_list("category_code", "warranty_reasoning")[:3])


@pytest.mark.django_db
def test_the_demo_names_who_built_each_component_of_a_delivered_building_and_reseeding_adds_nothing():
    from backend.properties.models import Building, BuildingComponentContractor
    from workflows.warranty import COMPONENTS

    seed_demo(scale=1, now=timezone.now())
    accepted = Building.objects.filter(completion_acceptance_date__isnull=False)
    assert accepted.exists()
    for building in accepted:
        assert set(building.component_contractors.values_list("component", flat=True)) == set(COMPONENTS)
    generals = set(BuildingComponentContractor.objects.filter(component="foundation_structure")
                   .values_list("contractor__name", flat=True))
    assert len(generals) == 2  # two general contractors share the buildings: the breakdown has a comparison
    count = BuildingComponentContractor.objects.count()
    seed_demo(scale=1, now=timezone.now())
    assert BuildingComponentContractor.objects.count() == count
