"""A handover for tests: a building with units, a handover officer, a batch with one slot per hour."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PIL import Image

from backend.accounts.roles import Role
from backend.handover import services
from tests.factories import BuildingFactory, ProjectFactory, UnitFactory, user_with_roles

# Monday 2026-03-02 10:00 Shanghai; the batch runs that week.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(shade: int = 120) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (shade, 40, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class Site:
    project: Any
    building: Any
    units: list[Any]
    officer: Any
    batch: Any


def site(*, units: int = 3) -> Site:
    project = ProjectFactory()
    building = BuildingFactory(project=project, floors=10)
    rows = [UnitFactory(building=building, number=f"{101 + i}", floor=1, layout="A") for i in range(units)]
    officer = user_with_roles(Role.HANDOVER_OFFICER, display_name="交付专员")
    batch = services.batch_create(actor=officer, project_id=project.id, building_id=building.id, name="一期交付",
                                  start_date=date(2026, 3, 3), end_date=date(2026, 3, 6), now=NOW)
    return Site(project=project, building=building, units=rows, officer=officer, batch=batch)


def invite_all(s: Site) -> list[Any]:
    rows = [{"unit": u.number, "phone": f"1390000{1000 + i}", "buyers": f"业主{i}、配偶{i}"}
            for i, u in enumerate(s.units)]
    return services.batch_import(actor=s.officer, batch_id=s.batch.id, rows=rows, now=NOW)


def slot(s: Site, *, hours: int = 24, capacity: int = 2) -> Any:
    return services.slot_add(actor=s.officer, batch_id=s.batch.id, starts_at=NOW + timedelta(hours=hours),
                             minutes=60, capacity=capacity)
