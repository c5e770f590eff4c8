"""Demo work orders in every state, made through the real services (intake, routing, the state machine,
approvals), so the demo shows a living system with timelines, SLA clocks and assignments."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.db import transaction

from backend.accounts.models import User
from backend.properties.models import Ownership, Project, Unit
from backend.workorders.actors import Actor
from backend.workorders.approvals import estimates as approvals
from backend.workorders.dispatch import routing as dispatch
from backend.workorders.effects import order_transition
from backend.workorders.models import ApprovalInstance, WarrantyVerdict, WorkOrder
from backend.workorders.owner.steps import OwnerIdentity, quote_decide, quote_send
from backend.workorders.services import order_intake
from backend.workorders.states import State

# (category, description) pairs a customer-service agent hears every day.
REPORTS = (
    ("bathroom-leak", "卫生间地面渗水到楼下天花板"),
    ("drainage", "厨房水槽下水很慢，有异味"),
    ("water-supply", "热水器进水管接头滴水"),
    ("electrical", "客厅插座没电，空开跳闸"),
    ("wall-crack", "次卧墙面出现斜向裂缝"),
    ("window-hardware", "主卧推拉窗关不严，漏风"),
    ("entrance-door", "入户门锁芯卡顿，钥匙难转动"),
    ("tiles", "客厅地砖空鼓，踩上去有响声"),
    ("wall-paint", "阳台墙面涂料起皮脱落"),
    ("roof-leak", "顶楼下雨后天花板有水渍"),
)

# Each demo order walks this far along the happy path (or off it).
PATHS: dict[str, tuple[str, ...]] = {
    State.SUBMITTED: (),
    State.ACCEPTED: (State.ACCEPTED,),
    State.ASSIGNED: ("assign",),
    State.EN_ROUTE: ("assign", State.EN_ROUTE),
    State.ON_SITE: ("assign", State.EN_ROUTE, State.ON_SITE),
    State.IN_PROGRESS: ("assign", State.EN_ROUTE, State.ON_SITE, State.IN_PROGRESS),
    State.WAITING: ("assign", State.ON_SITE, State.IN_PROGRESS, State.WAITING),
    State.COMPLETED: ("assign", State.EN_ROUTE, State.ON_SITE, State.IN_PROGRESS, State.COMPLETED),
    State.CLOSED: ("assign", State.ON_SITE, State.IN_PROGRESS, State.COMPLETED, State.CLOSED),
    State.REOPENED: ("assign", State.ON_SITE, State.IN_PROGRESS, State.COMPLETED, State.REOPENED),
    State.CANCELLED: (State.CANCELLED,),
    State.REJECTED: (State.REJECTED,),
}


# Cost estimates waiting for approval, so that a manager's (and finance's, and the director's) first
# look at the inbox shows something: (category, description, amount in yuan, approvers who already
# signed, estimate note). 2 800 ¥ waits on the engineering manager; above 5 000 ¥ the manager signs
# first, then finance and the director countersign.
APPROVAL_CASES: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("bathroom-leak", "主卫地面防水层破损，楼下天花板渗水", "2800", (), "重做主卫地面防水并修复楼下吊顶"),
    ("roof-leak", "顶楼屋面大面积渗漏", "8600", ("manager",), "屋面防水卷材局部翻新"),
    ("wall-crack", "客厅承重墙出现贯穿裂缝", "12000", ("manager", "finance"), "结构加固及墙面修复"),
    ("window-hardware", "全屋断桥铝窗五金老化", "6500", ("manager", "director"), "更换全屋窗扇五金及密封条"),
)


@dataclass(frozen=True)
class OrderSeedSummary:
    created: int
    by_state: dict[str, int]


def seed_orders(*, now: datetime, projects: int = 3, per_state: int = 2) -> OrderSeedSummary:
    """Idempotent: seeds only while the database has no work order at all."""
    if WorkOrder.objects.exists():
        return OrderSeedSummary(0, {})
    agent = User.objects.get(username="cs")
    dispatcher = User.objects.get(username="dispatcher")
    rng = random.Random("anxin-demo-orders")
    created = 0
    chosen = list(Project.objects.order_by("code")[:projects])
    with transaction.atomic():
        for project in chosen:
            units = list(Unit.objects.filter(building__project=project, ownerships__isnull=False)
                         .order_by("building__code", "number").distinct()[:60])
            for index, (_target, path) in enumerate(sorted(PATHS.items()) * per_state):
                unit = units[(index * 7) % len(units)]
                category, description = REPORTS[rng.randrange(len(REPORTS))]
                start = now - timedelta(hours=rng.randint(6, 72), minutes=rng.randint(0, 59))
                owner = Ownership.objects.filter(unit=unit).select_related("owner").first()
                order = order_intake(
                    actor=Actor(user=agent), channel=rng.choice(["phone", "walk_in", "wecom"]),
                    category_code=category, description=description,
                    contact_name=owner.owner.name if owner else "业主", contact_phone=owner.owner.phone if owner else
                    "+8613800138000", now=start, unit_id=unit.id, route_now=False,
                    reporter_owner_id=owner.owner_id if owner else None,
                ).order
                _walk(order=order, path=path, start=start, now=now, dispatcher=dispatcher, rng=rng)
                created += 1
    by_state = {state: WorkOrder.objects.filter(state=state).count() for state in PATHS}
    return OrderSeedSummary(created, by_state)


def _walk(*, order: WorkOrder, path: tuple[str, ...], start: datetime, now: datetime, dispatcher: User,
          rng: random.Random) -> None:
    step_gap = (now - start) / (len(path) + 1)
    at = start
    technician = None
    for step in path:
        at = at + step_gap * rng.uniform(0.5, 1.0)
        if step == "assign":
            routed = dispatch.order_route(order_id=order.id, now=at)
            if routed.technician_id is None:
                from backend.workorders.dispatch.routing import candidates_snapshot

                pool = candidates_snapshot(team_code=routed.team.code) if routed.team else []
                if not pool:
                    return
                dispatch.order_assign(actor=dispatcher, order_id=order.id, technician_id=UUID(pool[0].id),
                                      reason="调度指派", now=at)
            technician = WorkOrder.objects.get(id=order.id).technician
            continue
        actor_user = technician if step in {State.EN_ROUTE, State.ON_SITE, State.IN_PROGRESS, State.WAITING,
                                            State.COMPLETED} else dispatcher
        changes = {"waiting_reason": "parts"} if step == State.WAITING else {}
        notes: dict[str, str] = {State.COMPLETED: "已处理完毕，业主确认", State.WAITING: "等待配件到货",
                State.CANCELLED: "业主自行处理，撤销报修", State.REJECTED: "非保修范围，已告知业主",
                                 State.REOPENED: "业主反馈问题复发"}
        note = notes.get(step, "")
        if step == State.COMPLETED:
            _paid_service_quote(order_id=order.id, technician=technician, at=at)
        order_transition(order_id=order.id, actor=Actor(user=actor_user), to=step, now=at, note=note,
                         changes=changes)
        if step == State.COMPLETED:
            WorkOrder.objects.filter(id=order.id).update(
                actual_cost_yuan=Decimal(rng.choice(["0", "35", "120", "260"])),
                rating_timeliness=rng.randint(3, 5), rating_attitude=rng.randint(4, 5), rating_quality=rng.randint(3, 5))


def _paid_service_quote(*, order_id: UUID, technician: User | None, at: datetime) -> None:
    """An out-of-warranty repair is done at a price the owner accepted: the technician quotes, the owner accepts."""
    order = WorkOrder.objects.get(id=order_id)
    if order.warranty_verdict != WarrantyVerdict.OUT or technician is None:
        return
    quote = quote_send(actor=technician, order_id=order.id, amount_yuan=Decimal("180.00"), note="更换配件及人工",
                       now=at)
    identity = OwnerIdentity(phone=order.contact_phone, owner_id=order.reporter_owner_id, name=order.contact_name)
    quote_decide(identity=identity, order_id=order.id, quote_id=quote.id, accept=True, reason="", now=at)

def seed_pending_approvals(*, now: datetime) -> int:
    """Orders in progress whose cost estimate waits on each approver of the demo (the engineering
    manager, finance, the engineering director), made through the real services: intake, routing,
    the technician's steps, ``approvals.estimate_submit`` and the approvers' own signatures.
    Idempotent: seeds only while the database has no approval at all. Returns how many orders it made."""
    if ApprovalInstance.objects.exists():
        return 0
    agent = User.objects.get(username="cs")
    dispatcher = User.objects.get(username="dispatcher")
    signers = {name: User.objects.get(username=name) for name in ("manager", "finance", "director")}
    rng = random.Random("anxin-demo-approvals")
    projects = list(Project.objects.order_by("code")[:3])
    created = 0
    with transaction.atomic():
        for index, (category, description, amount, signed_by, note) in enumerate(APPROVAL_CASES):
            project = projects[index % len(projects)]
            unit = (Unit.objects.filter(building__project=project, ownerships__isnull=False, work_orders__isnull=True)
                    .order_by("building__code", "number").first())
            owner = Ownership.objects.filter(unit=unit).select_related("owner").first() if unit else None
            if unit is None or owner is None:
                continue
            start = now - timedelta(hours=30 - index * 4)
            order = order_intake(actor=Actor(user=agent), channel="phone", category_code=category,
                                 description=description, contact_name=owner.owner.name,
                                 contact_phone=owner.owner.phone, now=start, unit_id=unit.id, route_now=False,
                                 reporter_owner_id=owner.owner_id).order
            at = now - timedelta(hours=6 - index)
            _walk(order=order, path=("assign", State.ON_SITE, State.IN_PROGRESS), start=start, now=at,
                  dispatcher=dispatcher, rng=rng)
            order = WorkOrder.objects.select_related("technician").get(id=order.id)
            if order.state != State.IN_PROGRESS or order.technician is None:
                continue
            instance = approvals.estimate_submit(actor=order.technician, order_id=order.id,
                                                 amount_yuan=Decimal(amount), note=note, now=at)
            for minutes, name in enumerate(signed_by, start=1):
                approvals.approval_approve(actor=signers[name], approval_id=instance.id, comment="同意",
                                           now=at + timedelta(minutes=30 * minutes))
            created += 1
    return created


# A year of finished orders for the director's analytics, with one planted hotspot: in the second
# project's building 1, the bathrooms of the 02 stack leak on every floor (a riser), and its top floor's
# ceilings leak after the rains.
HISTORY_CATEGORIES = (("drainage", "下水慢，有异味"), ("water-supply", "水管接头滴水"), ("electrical", "插座没电"),
                      ("wall-crack", "墙面裂缝"), ("window-hardware", "窗户关不严"), ("tiles", "地砖空鼓"),
                      ("wall-paint", "墙面起皮"), ("entrance-door", "门锁卡顿"))
HOTSPOT_PROJECT_INDEX = 1
HISTORY_DONE = ("assign", State.ON_SITE, State.IN_PROGRESS, State.COMPLETED, State.CLOSED)


def seed_history(*, now: datetime, per_project: int = 24) -> int:
    """Finished orders over the past year through the real services, and the planted hotspot.
    Idempotent: seeds only while no order is older than 20 days. Returns how many orders it made."""
    if WorkOrder.objects.filter(created_at__lt=now - timedelta(days=20)).exists():
        return 0
    agent = User.objects.get(username="cs")
    dispatcher = User.objects.get(username="dispatcher")
    rng = random.Random("anxin-demo-history")
    projects = list(Project.objects.order_by("code")[:3])
    made = 0
    with transaction.atomic():
        for index, project in enumerate(projects):
            units = list(Unit.objects.filter(building__project=project, ownerships__isnull=False)
                         .order_by("building__code", "number").distinct())
            if not units:
                continue
            plan = [(rng.choice(units), *rng.choice(HISTORY_CATEGORIES)) for _ in range(per_project)]
            if index == HOTSPOT_PROJECT_INDEX:
                building = units[0].building
                stack = [u for u in units if u.building_id == building.id and u.number.endswith("02")]
                top = max((u.floor for u in units if u.building_id == building.id), default=0)
                plan += [(u, "bathroom-leak", "卫生间地面渗水到楼下天花板") for u in stack]
                plan += [(u, "bathroom-leak", "卫生间墙角再次渗水") for u in stack[::2]]
                plan += [(u, "roof-leak", "顶楼下雨后天花板有水渍") for u in units
                         if u.building_id == building.id and u.floor == top]
            for unit, category, description in plan:
                start = now - timedelta(days=rng.randint(21, 360), hours=rng.randint(0, 10))
                owner = Ownership.objects.filter(unit=unit).select_related("owner").first()
                order = order_intake(
                    actor=Actor(user=agent), channel=rng.choice(["phone", "walk_in", "wecom"]), category_code=category,
                    description=description, contact_name=owner.owner.name if owner else "业主",
                    contact_phone=owner.owner.phone if owner else "+8613800138000", now=start, unit_id=unit.id,
                    route_now=False, reporter_owner_id=owner.owner_id if owner else None,
                ).order
                path = HISTORY_DONE if rng.random() > 0.1 else (*HISTORY_DONE[:4], State.REOPENED)
                _walk(order=order, path=path, start=start, now=start + timedelta(hours=rng.randint(6, 96)),
                      dispatcher=dispatcher, rng=rng)
                made += 1
    return made
