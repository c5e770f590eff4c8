"""A small world of two projects with their own staff, shared by the API and authorization tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.workorders.actors import Actor
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.services import order_intake
from tests.factories import ProjectFactory, TeamFactory, UnitFactory, user_with_roles


@dataclass
class Side:
    project: Any
    unit: Any
    team: Any
    dispatcher: Any
    agent: Any
    technician: Any
    order: Any


def _side(code: str) -> Side:
    project = ProjectFactory()
    unit = UnitFactory(building__project=project)
    dispatcher = user_with_roles(Role.DISPATCHER)
    agent = user_with_roles(Role.CUSTOMER_SERVICE)
    technician = user_with_roles(Role.TECHNICIAN)
    TechnicianProfile.objects.create(user=technician, skills={"plumbing": 3, "electrical": 2}, on_duty=True,
                                     last_latitude=Decimal("30.27"), last_longitude=Decimal("120.15"))
    team = TeamFactory(code=code, supervisor=user_with_roles(Role.ENGINEERING_MANAGER))
    team.projects.add(project)
    team.members.add(dispatcher, agent, technician, user_with_roles(Role.ENGINEERING_DIRECTOR))
    # Routing names teams by code, so only side A's team is the rules' plumbing team: side B's order is
    # assigned by its own dispatcher.
    routed = code == "plumbing-team"
    order = order_intake(actor=Actor(user=agent), channel="phone", category_code="drainage",
                         description="厨房下水道堵塞", contact_name="张女士", contact_phone="13800138000",
                         now=timezone.now(), unit_id=unit.id, route_now=routed).order
    if not routed:
        order = dispatch.order_assign(actor=dispatcher, order_id=order.id, technician_id=technician.id,
                                      reason="本项目师傅", now=timezone.now())
    return Side(project, unit, team, dispatcher, agent, technician, order)


def two_sides() -> tuple[Side, Side]:
    """Side A routes through plumbing-team (the rules' team); side B has a team of its own."""
    return _side("plumbing-team"), _side("civil-team")
