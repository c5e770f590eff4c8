"""A query compiled once reads live data each time, converted as the queryset would convert it."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.core.querycache import CompiledQuery
from backend.workorders import dispatch
from backend.workorders.models import Assignment
from tests.factories import TeamFactory, user_with_roles
from tests.workorders.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db


def test_compiled_rows_read_live_rows_with_their_python_types():
    user = user_with_roles(Role.TECHNICIAN)
    TechnicianProfile.objects.create(user=user, skills={"plumbing": 2}, last_latitude=Decimal("30.27"),
                                     last_longitude=Decimal("120.15"))
    query = CompiledQuery.of(TechnicianProfile.objects.filter(on_duty=True).values_list("user_id", "skills",
                                                                                         "last_latitude"))
    assert query.rows() == []
    TechnicianProfile.objects.filter(user=user).update(on_duty=True)
    [(user_id, skills, latitude)] = query.rows()
    assert isinstance(user_id, uuid.UUID) and user_id == user.id
    assert skills == {"plumbing": 2} and latitude == Decimal("30.27")


def test_the_compiled_routing_snapshot_sees_each_new_assignment():
    team = TeamFactory(code="compiled-team")
    user = user_with_roles(Role.TECHNICIAN)
    TechnicianProfile.objects.create(user=user, skills={"plumbing": 2}, on_duty=True)
    team.members.add(user)
    [before] = dispatch._team_snapshot("compiled-team").candidates
    assert before.open_load == 0 and before.last_assigned_at is None

    order = WorkOrderFactory(state="assigned", technician=user, team=team)
    started = timezone.now()
    Assignment.objects.create(order=order, team=team, technician=user, method="routing", started_at=started)
    snapshot = dispatch._team_snapshot("compiled-team")
    [after] = snapshot.candidates
    assert snapshot.team_id == team.id and after.open_load == 1
    assert isinstance(after.last_assigned_at, datetime) and after.last_assigned_at == started
    # With each technician's contact fields, as their user row holds them; the rest is deferred.
    contact = snapshot.contacts[str(user.id)]
    assert (contact.pk, contact.username, contact.display_name, contact.phone) == (
        user.id, user.username, user.display_name, user.phone)
    assert contact.get_deferred_fields() >= {"password", "email"}


def test_a_compiled_query_with_a_slot_builds_instances_with_their_related_objects_per_value():
    from backend.properties.models import Unit
    from tests.factories import UnitFactory

    first, second = UnitFactory(), UnitFactory()
    query = CompiledQuery(lambda unit_id: Unit.objects.select_related("building__project").filter(id=unit_id),
                          unit_id=Unit._meta.get_field("id"))
    for unit in (first, second, first):
        [found] = query.objects(unit_id=str(unit.id))
        assert found.pk == unit.pk and found.number == unit.number and not found._state.adding
        # The related rows came with it: no query to read them.
        assert "building" in found._state.fields_cache and "project" in found.building._state.fields_cache
        assert found.building.project.code == unit.building.project.code
    assert query.objects(unit_id=uuid.uuid4()) == []


def test_a_compiled_query_keeps_deferred_fields_deferred():
    order = WorkOrderFactory()
    query = CompiledQuery(lambda unit_id: type(order).objects.filter(unit_id=unit_id).only("id", "number"),
                          unit_id=type(order)._meta.get_field("unit"))
    [found] = query.objects(unit_id=order.unit_id)
    assert found.number == order.number and "description" in found.get_deferred_fields()
    assert found.description == order.description  # loaded on demand, as with .only()


def test_only_uuid_keys_can_be_slots_and_every_slot_must_be_given():
    with pytest.raises(TypeError, match="only UUID keys"):
        CompiledQuery(lambda code: TechnicianProfile.objects.filter(user__username=code),
                      code=TechnicianProfile._meta.get_field("skills"))
    query = CompiledQuery(lambda user_id: TechnicianProfile.objects.filter(user_id=user_id),
                          user_id=TechnicianProfile._meta.get_field("user"))
    with pytest.raises(TypeError, match="exactly the slots"):
        query.objects()
