"""A query compiled once reads live data each time, converted as the queryset would convert it."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.core.querycache import CompiledRows
from backend.workorders import dispatch
from backend.workorders.models import Assignment
from tests.factories import TeamFactory, user_with_roles
from tests.workorders.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db


def test_compiled_rows_read_live_rows_with_their_python_types():
    user = user_with_roles(Role.TECHNICIAN)
    TechnicianProfile.objects.create(user=user, skills={"plumbing": 2}, last_latitude=Decimal("30.27"),
                                     last_longitude=Decimal("120.15"))
    query = CompiledRows(TechnicianProfile.objects.filter(on_duty=True).values_list("user_id", "skills",
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
