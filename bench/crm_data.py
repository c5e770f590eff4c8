"""Shared setup of the CRM benchmarks: a scratch PostgreSQL database with one project's sales office and
``n`` customers written in bulk (the services' own rows are what the sweep and the funnel read)."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta
from typing import Any


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def office(now: datetime) -> tuple[Any, list[Any]]:
    from backend.accounts.models import User
    from backend.accounts.roles import Role
    from backend.accounts.services import user_set_roles
    from backend.crm.models import PoolSettings, Seat
    from backend.properties.models import Project

    project, _ = Project.objects.get_or_create(code="bench-crm", defaults={
        "name": "压测楼盘", "city": "杭州", "address": "文三路 1 号", "latitude": 30.27, "longitude": 120.15})
    PoolSettings.objects.get_or_create(project=project)
    consultants = []
    for i in range(20):
        user, created = User.objects.get_or_create(username=f"bench-sales{i}", defaults={"display_name": f"顾问{i}"})
        if created:
            user_set_roles(user=user, roles={Role.SALES})
        Seat.objects.get_or_create(user=user, project=project)
        consultants.append(user)
    return project, consultants


STAGES = ["lead", "contacted", "showing", "intent", "subscribed", "signed", "lost"]
WEIGHTS = [30, 25, 18, 12, 6, 4, 5]


def customers(*, project: Any, consultants: list[Any], n: int, now: datetime, due_share: float) -> None:
    """``n`` held customers; ``due_share`` of them have a clock that ran out (last activity 10 days ago)."""
    from backend.crm.models import Customer, CustomerEvent

    rng = random.Random(19)
    batch: list[Any] = []
    lost: list[tuple[Any, str]] = []
    due_every = max(1, round(1 / due_share)) if due_share else 0
    for i in range(n):
        stage = rng.choices(STAGES, WEIGHTS)[0]
        due = bool(due_every) and i % due_every == 0
        last = now - (timedelta(days=10) if due else timedelta(hours=rng.randint(1, 40)))
        created = last - timedelta(days=rng.randint(0, 60))
        c = Customer(project=project, name=f"客户{i}", phone=f"+86139{i:08d}", stage=stage,
                     lost_reason="预算" if stage == "lost" else "", holder=consultants[i % len(consultants)],
                     held_since=created, last_activity_at=last, created_at=created, stage_changed_at=last,
                     recycle_due_at=last + timedelta(days=3), expected_amount_fen=rng.randint(200, 500) * 1_000_000,
                     expected_close_date=(now + timedelta(days=rng.randint(0, 180))).date())
        batch.append(c)
        if stage == "lost":
            lost.append((c, rng.choice(STAGES[:4])))
        if len(batch) >= 5000:
            Customer.objects.bulk_create(batch)
            batch = []
    if batch:
        Customer.objects.bulk_create(batch)
    CustomerEvent.objects.bulk_create([CustomerEvent(customer=c, kind="stage", at=now, from_stage=f, to_stage="lost")
                                       for c, f in lost], batch_size=5000)
