"""Deterministic demo data: projects in real cities, buildings, units, owners, public areas, teams,
technicians and one login per role.

Every project is generated from its own seeded random stream, so ``--scale N`` is always a
superset of ``--scale M`` for M < N and running twice creates nothing twice: rows are inserted with
``bulk_create(ignore_conflicts=True)`` on their natural keys and re-selected. About 1 000 units per
unit of scale; ``--scale 120`` gives more than 100 000.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.contrib.auth.hashers import make_password
from django.db import transaction

from backend.accounts.models import Team, TechnicianProfile, User
from backend.accounts.roles import Role
from backend.accounts.services import technician_profile_upsert, user_set_roles
from backend.properties import demo_data as data
from backend.properties.identity import hash_id_number, id_number_check_char
from backend.properties.imports.base import fetch_in
from backend.properties.models import (
    Building,
    BuildingComponentContractor,
    Contractor,
    HandoverStatus,
    Owner,
    Ownership,
    Project,
    PublicArea,
    Unit,
)
from workflows.loader import load_default_definitions
from workflows.warranty import COMPONENTS

DEMO_PASSWORD = "anxin-demo-2026"
UNITS_PER_SCALE = 1000
TECHNICIANS_PER_SCALE = 10
BATCH_SIZE = 1000
# Technicians' phones come from serials far above the owners' (index * 20 000 + n): never an owner's.
TECHNICIAN_PHONE_SERIALS = 90_000_000


class TeamSpec(NamedTuple):
    code: str
    name: str
    category_codes: tuple[str, ...]
    skills: tuple[str, ...]


# The skills each team's technicians bring (the routing rules ask for these skill codes).
TEAM_SKILLS: dict[str, tuple[str, ...]] = {
    "plumbing-team": ("plumbing", "electrical"),
    "waterproofing-team": ("waterproofing",),
    "civil-team": ("structure", "fit-out"),
    "doors-windows-team": ("doors-windows",),
    "public-area-team": ("fire-safety", "plumbing", "electrical"),
    "low-voltage-team": ("low-voltage",),
    "gas-team": ("gas",),
    "emergency-team": ("plumbing", "electrical", "waterproofing"),
}


def _team_specs() -> tuple[TeamSpec, ...]:
    """The teams the routing rules name (workflows/definitions/teams.yaml), with the categories their
    rules send them; teams without technicians (the service desk) are seeded too, as routing queues."""
    definitions = load_default_definitions()
    categories: dict[str, list[str]] = {}
    for rule in definitions.routing.rules:
        categories.setdefault(rule.team, []).extend(rule.match.categories)
    return tuple(TeamSpec(team.code, team.name, tuple(dict.fromkeys(categories.get(team.code, []))),
                          TEAM_SKILLS.get(team.code, ())) for team in definitions.teams_doc.teams)


TEAMS: tuple[TeamSpec, ...] = _team_specs()
SERVICE_DESK = "service-desk"
FIELD_TEAMS: tuple[TeamSpec, ...] = tuple(t for t in TEAMS if t.skills)
TEAM_CODES: tuple[str, ...] = tuple(team.code for team in TEAMS)


class DemoLogin(NamedTuple):
    username: str
    role: str
    password: str


_STAFF: tuple[tuple[str, Role, str], ...] = (
    ("admin", Role.ADMINISTRATOR, "系统管理员"),
    ("cs", Role.CUSTOMER_SERVICE, "客服 陈静"),
    ("dispatcher", Role.DISPATCHER, "调度 刘洋"),
    ("manager", Role.ENGINEERING_MANAGER, "工程经理 周建国"),
    ("director", Role.ENGINEERING_DIRECTOR, "工程总监 郑国栋"),
    ("finance", Role.FINANCE, "财务 孙丽"),
    ("sales", Role.SALES, "销售 何欣怡"),
    ("handover", Role.HANDOVER_OFFICER, "交付专员 林涛"),
    ("owner", Role.HOMEOWNER, "业主 演示"),
)
# The logins the run script prints. Every technician tech1 … techN shares the same password.
DEMO_LOGINS: list[DemoLogin] = [
    DemoLogin(username, role.value, DEMO_PASSWORD) for username, role, _name in _STAFF
] + [DemoLogin(f"tech{i}", Role.TECHNICIAN.value, DEMO_PASSWORD) for i in (1, 2)]


# --- the plan: pure data from seeded random streams


@dataclass
class OwnerPlan:
    name: str
    phone: str
    id_number: str
    unit_number: str
    building_code: str
    start_date: date
    primary: bool


@dataclass
class ProjectPlan:
    index: int
    city: data.City
    code: str
    name: str
    address: str
    latitude: Decimal
    longitude: Decimal
    delivery_date: date
    delivered: bool
    service_phone: str
    buildings: list[tuple[str, str, int]] = field(default_factory=list)  # (code, name, floors)
    units: list[dict[str, Any]] = field(default_factory=list)
    areas: list[tuple[str, str, str | None]] = field(default_factory=list)  # (code, name, building code)
    owners: list[OwnerPlan] = field(default_factory=list)


def _offset(rng: random.Random, value: Decimal, spread: float) -> Decimal:
    return (value + Decimal(str(rng.uniform(-spread, spread)))).quantize(Decimal("0.000001"))


def _phone(serial: int) -> str:
    # An affine map modulo 10^8 with a multiplier prime to 10 is a bijection: serials never collide.
    digits = (serial * 7_654_321 + 12_345_678) % 100_000_000
    return f"+86{data.MOBILE_PREFIXES[serial % len(data.MOBILE_PREFIXES)]}{digits:08d}"


def _id_number(rng: random.Random, district: data.District) -> str:
    born = date(1955, 1, 1) + timedelta(days=rng.randrange(0, 45 * 365))
    first17 = f"{district.region_code}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + id_number_check_char(first17)


def _person(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES)


def plan_project(index: int, used_names: set[str]) -> ProjectPlan:
    rng = random.Random(f"anxin-demo-project-{index}")
    city = data.CITIES[index % len(data.CITIES)]
    district = rng.choice(city.districts)
    base = rng.choice(data.PROJECT_PREFIXES) + rng.choice(data.PROJECT_SUFFIXES)
    name = next(f"{city.name}{base}{phase}" for phase in data.PHASES + tuple(f"{n}期" for n in range(11, 999))
                if f"{city.name}{base}{phase}" not in used_names)
    used_names.add(name)
    # Most projects are handed over; every fifth is still being built.
    delivered = index % 5 != 4
    delivery = (date(2020, 1, 1) + timedelta(days=rng.randrange(0, 6 * 365)) if delivered
                else date(2027, 3, 31) + timedelta(days=rng.randrange(0, 365)))
    city_part = f"{city.province}{city.name}市" if city.province else f"{city.name}市"
    plan = ProjectPlan(
        index=index, city=city, code=f"{city.code}-{index // len(data.CITIES) + 1:03d}", name=name,
        address=f"{city_part}{district.name}{rng.choice(data.ROADS)}{rng.randrange(1, 999)}号",
        latitude=_offset(rng, city.latitude, 0.08), longitude=_offset(rng, city.longitude, 0.08),
        delivery_date=delivery, delivered=delivered, service_phone=f"+86400{1_000_000 + index:07d}",
    )
    plan.areas.extend((code, area, None) for code, area in data.PROJECT_PUBLIC_AREAS)
    for number in range(1, rng.randint(3, 6) + 1):
        kind = rng.choice(tuple(data.FLOOR_PLANS))
        floors = rng.randint(*data.FLOORS[kind])
        code = str(number)
        plan.buildings.append((code, f"{number}栋", floors))
        # Named within their building: labels and the portal read "3栋 大堂".
        plan.areas += [(f"b{code}-lobby", "大堂", code), (f"b{code}-lift1", "1号电梯", code),
                       (f"b{code}-roof", "屋面", code)]
        if kind == "highrise":
            plan.areas.append((f"b{code}-lift2", "2号电梯", code))
        for floor in range(1, floors + 1):
            for door, layout in enumerate(data.FLOOR_PLANS[kind], start=1):
                low, high = data.LAYOUTS[layout]
                unit_number = f"{floor}{door:02d}"
                status, handover = HandoverStatus.NOT_DELIVERED, None
                roll = rng.random()
                if delivered and roll < 0.85:
                    status, handover = HandoverStatus.DELIVERED, delivery + timedelta(days=rng.randrange(0, 120))
                elif delivered and roll < 0.9:
                    status = HandoverStatus.SCHEDULED
                plan.units.append({"building_code": code, "number": unit_number, "floor": floor, "layout": layout,
                                   "area_m2": Decimal(rng.randint(low * 100, high * 100)) / 100,
                                   "handover_status": status, "handover_date": handover})
                if handover is None:
                    continue
                owners = 2 if rng.random() < 0.2 else 1
                for n in range(owners):
                    serial = index * 20_000 + len(plan.owners)
                    plan.owners.append(OwnerPlan(
                        name=_person(rng), phone=_phone(serial), id_number=_id_number(rng, district),
                        unit_number=unit_number, building_code=code, start_date=handover, primary=n == 0))
    return plan


def plan_projects(scale: int) -> list[ProjectPlan]:
    plans: list[ProjectPlan] = []
    used_names: set[str] = set()
    units = 0
    while units < UNITS_PER_SCALE * scale:
        plan = plan_project(len(plans), used_names)
        plans.append(plan)
        units += len(plan.units)
    return plans


# --- writing


# Who built what (fictitious firms): two general contractors alternate over the buildings, one specialist
# each for waterproofing, building services, doors and windows, fit-out and sanitary ware — so the
# director's contractor breakdown and the chargeback claims have someone to name.
DEMO_GENERAL_CONTRACTORS = ("华筑建设集团有限公司", "鼎盛建工集团有限公司")
DEMO_SPECIALISTS = {
    "roof_waterproofing": "雨盾防水工程有限公司", "wet_room_waterproofing": "雨盾防水工程有限公司",
    "wall_leakage": "雨盾防水工程有限公司", "heating": "安达机电安装有限公司", "cooling": "安达机电安装有限公司",
    "electrical_lines": "安达机电安装有限公司", "plumbing_pipes": "安达机电安装有限公司",
    "doors_windows": "恒亮门窗幕墙有限公司", "fit_out": "雅居装饰工程有限公司", "sanitary_ware": "洁美卫浴供应有限公司",
}


def _seed_contractors(buildings: list[Building]) -> None:
    names = {*DEMO_GENERAL_CONTRACTORS, *DEMO_SPECIALISTS.values()}
    Contractor.objects.bulk_create([Contractor(name=n) for n in sorted(names)], ignore_conflicts=True)
    by_name = dict(Contractor.objects.filter(name__in=names).values_list("name", "id"))
    rows = []
    for index, building in enumerate(sorted(buildings, key=lambda b: b.code)):
        general = DEMO_GENERAL_CONTRACTORS[index % len(DEMO_GENERAL_CONTRACTORS)]
        for component in COMPONENTS:
            name = DEMO_SPECIALISTS.get(component, general)
            rows.append(BuildingComponentContractor(building=building, component=component,
                                                    contractor_id=by_name[name]))
    BuildingComponentContractor.objects.bulk_create(rows, ignore_conflicts=True)


def _seed_project(plan: ProjectPlan) -> Project:
    project, _created = Project.objects.get_or_create(code=plan.code, defaults={
        "name": plan.name, "city": plan.city.name, "address": plan.address, "latitude": plan.latitude,
        "longitude": plan.longitude, "delivery_date": plan.delivery_date, "service_phone": plan.service_phone,
    })
    # 竣工验收: a delivered project's buildings passed acceptance about three months before delivery
    # (the contractor's warranty periods run from it); a project still being built has none yet.
    accepted = plan.delivery_date - timedelta(days=90) if plan.delivered else None
    Building.objects.bulk_create([Building(project=project, code=code, name=name, floors=floors,
                                           completion_acceptance_date=accepted)
                                  for code, name, floors in plan.buildings], ignore_conflicts=True)
    if accepted is not None:  # a demo database seeded before buildings carried the date
        Building.objects.filter(project=project, completion_acceptance_date__isnull=True) \
            .update(completion_acceptance_date=accepted)
    buildings = {b.code: b for b in Building.objects.filter(project=project)}
    if accepted is not None:
        _seed_contractors(list(buildings.values()))
    PublicArea.objects.bulk_create(
        [PublicArea(project=project, building=buildings.get(b_code) if b_code else None, code=code, name=name)
         for code, name, b_code in plan.areas], ignore_conflicts=True)
    Unit.objects.bulk_create(
        [Unit(building=buildings[u["building_code"]], **{k: v for k, v in u.items() if k != "building_code"})
         for u in plan.units], batch_size=BATCH_SIZE, ignore_conflicts=True)
    units = {(b_id, number): u_id for u_id, b_id, number in
             Unit.objects.filter(building__project=project).values_list("id", "building_id", "number")}
    Owner.objects.bulk_create(
        [Owner(name=o.name, phone=o.phone, id_number_hash=hash_id_number(o.id_number)) for o in plan.owners],
        batch_size=BATCH_SIZE, ignore_conflicts=True)
    owners = dict(fetch_in(Owner.objects.values_list("phone", "id"), "phone", [o.phone for o in plan.owners]))
    Ownership.objects.bulk_create(
        [Ownership(owner_id=owners[o.phone], unit_id=units[(buildings[o.building_code].id, o.unit_number)],
                   start_date=o.start_date, is_primary_contact=o.primary) for o in plan.owners],
        batch_size=BATCH_SIZE, ignore_conflicts=True)
    return project


def _user(username: str, *, display_name: str, role: str, password_hash: str, superuser: bool = False) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(username=username, display_name=display_name, password=password_hash,
                                   is_staff=superuser, is_superuser=superuser)
    roles = set(user.role_rows.values_list("role", flat=True))
    if role not in roles:
        user_set_roles(user=user, roles=roles | {role})
    return user


def _seed_people(projects: list[tuple[ProjectPlan, Project]], scale: int, now: datetime) -> None:
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: the same demo password for everyone
    staff = {username: _user(username, display_name=name, role=role.value, password_hash=password_hash,
                             superuser=username == "admin")
             for username, role, name in _STAFF}
    teams = {}
    for spec in TEAMS:
        team, _created = Team.objects.get_or_create(code=spec.code, defaults={
            "name": spec.name, "supervisor": staff["manager"], "category_codes": list(spec.category_codes)})
        team.projects.add(*[project for _plan, project in projects])
        teams[spec.code] = team
    # The office staff work through the service desk, which serves every project: that is their scope.
    desk = teams.get(SERVICE_DESK)
    if desk is not None:
        desk.members.add(*[staff[name] for name in ("cs", "dispatcher", "finance", "handover", "director")])
    for i in range(1, TECHNICIANS_PER_SCALE * scale + 1):
        rng = random.Random(f"anxin-demo-technician-{i}")
        spec = FIELD_TEAMS[(i - 1) % len(FIELD_TEAMS)]
        plan, _project = projects[(i - 1) % len(projects)]
        user = _user(f"tech{i}", display_name=f"{_person(rng)}师傅", role=Role.TECHNICIAN.value,
                     password_hash=password_hash)
        teams[spec.code].members.add(user)
        # Owners' text messages give the assigned technician's number: every demo technician has one.
        User.objects.filter(id=user.id, phone="").update(phone=_phone(TECHNICIAN_PHONE_SERIALS + i))
        skills = {skill: rng.randint(2, 5) for skill in spec.skills}
        extras = sorted({s for t in FIELD_TEAMS for s in t.skills} - set(spec.skills))
        for other in rng.sample(extras, k=rng.randint(0, 2)):
            skills[other] = rng.randint(1, 3)
        base_lat, base_lon = _offset(rng, plan.latitude, 0.03), _offset(rng, plan.longitude, 0.03)
        if not TechnicianProfile.objects.filter(user=user).exists():
            technician_profile_upsert(user=user, skills=skills, on_duty=True, base_latitude=base_lat,
                                      base_longitude=base_lon, employee_no=f"T{i:05d}")
        TechnicianProfile.objects.filter(user=user, last_position_at__isnull=True).update(
            last_latitude=_offset(rng, base_lat, 0.01), last_longitude=_offset(rng, base_lon, 0.01),
            last_position_at=now - timedelta(minutes=rng.randrange(0, 90)))


@dataclass(frozen=True)
class SeedSummary:
    projects: int
    buildings: int
    units: int
    public_areas: int
    owners: int
    ownerships: int
    technicians: int


def seed_demo(*, scale: int = 1, now: datetime, progress: Callable[[str], None] | None = None) -> SeedSummary:
    """Loads the demo data for ``scale``. Idempotent; returns the totals in the database afterwards."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    plans = plan_projects(scale)
    with transaction.atomic():
        seeded = []
        for n, plan in enumerate(plans, start=1):
            seeded.append((plan, _seed_project(plan)))
            if progress and (n % 25 == 0 or n == len(plans)):
                progress(f"{n}/{len(plans)} projects")
        _seed_people(seeded, scale, now)
    return SeedSummary(
        projects=Project.objects.count(), buildings=Building.objects.count(), units=Unit.objects.count(),
        public_areas=PublicArea.objects.count(), owners=Owner.objects.count(), ownerships=Ownership.objects.count(),
        technicians=TechnicianProfile.objects.count(),
    )
