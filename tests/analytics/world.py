"""Order histories for the analytics tests, made through the core's real services (intake, the
dispatcher's assignment, the state machine) at chosen instants, so the facts are computed from the
same rows production writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from backend.accounts.models import TechnicianProfile
from backend.accounts.roles import Role
from backend.properties.models import BuildingComponentContractor, Contractor
from backend.workorders.actors import Actor
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.effects import order_transition
from backend.workorders.models import WorkOrder
from backend.workorders.services import order_intake
from backend.workorders.states import State
from tests.factories import BuildingFactory, ProjectFactory, TeamFactory, UnitFactory, user_with_roles

S = State


@dataclass
class World:
    projects: list[Any]
    units: list[Any]
    team: Any
    dispatcher: Any
    agent: Any
    technicians: list[Any]
    director: Any
    manager: Any
    orders: list[WorkOrder] = field(default_factory=list)


def make_world(*, projects: int = 2, floors: int = 3, doors: int = 2, handover: date | None = date(2025, 3, 1),
               acceptance: date | None = None, contractors: dict[str, str] | None = None) -> World:
    """``acceptance``: the buildings' completion acceptance date (none: every verdict is "unknown");
    ``contractors``: component code → contractor name, registered for every building."""
    dispatcher = user_with_roles(Role.DISPATCHER)
    agent = user_with_roles(Role.CUSTOMER_SERVICE)
    technicians = [user_with_roles(Role.TECHNICIAN) for _ in range(2)]
    for tech in technicians:
        TechnicianProfile.objects.create(user=tech, skills={"plumbing": 3}, on_duty=True)
    manager = user_with_roles(Role.ENGINEERING_MANAGER)
    team = TeamFactory(supervisor=manager)
    team.members.add(dispatcher, agent, *technicians)
    made, units = [], []
    for _p in range(projects):
        project = ProjectFactory()
        team.projects.add(project)
        building = BuildingFactory(project=project, floors=floors, completion_acceptance_date=acceptance)
        for component, name in (contractors or {}).items():
            contractor, _new = Contractor.objects.get_or_create(name=name)
            BuildingComponentContractor.objects.create(building=building, component=component, contractor=contractor)
        for floor in range(1, floors + 1):
            for door in range(1, doors + 1):
                units.append(UnitFactory(building=building, floor=floor, number=f"{floor}{door:02d}",
                                         handover_date=handover,
                                         handover_status="delivered" if handover else "not_delivered"))
        made.append(project)
    return World(made, units, team, dispatcher, agent, technicians, user_with_roles(Role.ENGINEERING_DIRECTOR),
                 manager)


def report(world: World, *, unit: Any, at: datetime, category: str = "drainage") -> WorkOrder:
    order = order_intake(actor=Actor(user=world.agent), channel="phone", category_code=category,
                         description="厨房下水道堵塞", contact_name="张女士", contact_phone="13800138000", now=at,
                         unit_id=unit.id, route_now=False).order
    world.orders.append(order)
    return order


def step(world: World, order: WorkOrder, action: str, at: datetime, *, technician: Any = None,
         device_at: datetime | None = None) -> None:
    """One step of a history: ``assign`` (to ``technician``, or the first), a state, or ``wait``."""
    current = WorkOrder.objects.get(id=order.id)
    tech = technician or current.technician or world.technicians[0]
    if action == "assign":
        dispatch.order_assign(actor=world.dispatcher, order_id=order.id, technician_id=tech.id, reason="派单", now=at)
        return
    field_steps = {S.EN_ROUTE, S.ON_SITE, S.IN_PROGRESS, S.COMPLETED}
    actor = current.technician if action in field_steps or action == "wait" else world.agent
    if action == "wait":
        order_transition(order_id=order.id, actor=Actor(user=actor), to=S.WAITING, now=at, device_at=device_at,
                         changes={"waiting_reason": "parts"})
        return
    if action in {S.CANCELLED, S.REJECTED}:
        actor = world.agent
    order_transition(order_id=order.id, actor=Actor(user=actor), to=action, now=at, device_at=device_at)


def walk(world: World, order: WorkOrder, actions: list[str], start: datetime, *, gap: timedelta = timedelta(hours=1),
         device_late: bool = False) -> datetime:
    at = start
    for action in actions:
        at += gap
        # A late-synced device step: done (device time) well before the server received it.
        device_at = at - timedelta(minutes=40) if device_late and action in {S.ON_SITE, S.IN_PROGRESS} else None
        step(world, order, action, at, device_at=device_at)
    return at


FIX = ["assign", S.EN_ROUTE, S.ON_SITE, S.IN_PROGRESS, S.COMPLETED]


def set_cost(order: WorkOrder, yuan: str) -> None:
    WorkOrder.objects.filter(id=order.id).update(actual_cost_yuan=Decimal(yuan))
