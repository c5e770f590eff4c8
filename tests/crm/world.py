"""A sales office for tests: a project with pool settings, consultants on duty, a manager, finance,
a building with units on sale. Times are fixed (a Wednesday and a Saturday, Shanghai)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.accounts.roles import Role
from backend.crm.identity import hash_id_number  # noqa: F401 - re-exported for tests
from backend.crm.models import PoolSettings, Seat, UnitSale
from backend.properties.identity import id_number_check_char
from tests.factories import BuildingFactory, ProjectFactory, UnitFactory, user_with_roles

# Wednesday 2026-03-04 10:00 in Shanghai (02:00 UTC); Saturday 2026-03-07 10:00.
WEDNESDAY = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)


def id_number(seq: int) -> str:
    first17 = f"11010519900101{seq:03d}"
    return first17 + id_number_check_char(first17)


def phone(seq: int) -> str:
    return f"+86139{seq:08d}"


@dataclass
class Office:
    project: Any
    settings: PoolSettings
    consultants: list[Any]
    manager: Any
    finance: Any
    building: Any
    units: list[Any] = field(default_factory=list)

    @property
    def alice(self) -> Any:
        return self.consultants[0]

    @property
    def bob(self) -> Any:
        return self.consultants[1]


def office(*, consultants: int = 2, units: int = 4, price_fen: int = 300_000_000, **settings: Any) -> Office:
    project = ProjectFactory()
    pool = PoolSettings.objects.create(project=project, **settings)
    people = []
    for index in range(consultants):
        user = user_with_roles(Role.SALES, display_name=f"顾问{index + 1}")
        Seat.objects.create(user=user, project=project, team="A" if index % 2 == 0 else "B")
        people.append(user)
    manager = user_with_roles(Role.SALES, display_name="销售经理")
    Seat.objects.create(user=manager, project=project, is_manager=True, on_duty=False)
    finance = user_with_roles(Role.FINANCE, display_name="财务")
    building = BuildingFactory(project=project, floors=3)
    made = []
    for index in range(units):
        unit = UnitFactory(building=building, number=f"{index // 2 + 1}0{index % 2 + 1}", floor=index // 2 + 1)
        UnitSale.objects.create(unit=unit, list_price_fen=price_fen, updated_at=WEDNESDAY)
        made.append(unit)
    return Office(project, pool, people, manager, finance, building, made)
