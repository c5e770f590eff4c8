"""Demo data for the sales office: the ``sales`` login (a consultant) and ``salesmgr`` (the sales manager)
find customers in every funnel stage, a public pool, alerts, a sales board with reserved, subscribed and
signed units, a discount waiting for approval and payments. Written through the services, idempotent."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Q

from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.accounts.services import user_set_roles
from backend.crm import services
from backend.crm.models import ChannelPartner, Customer, PoolSettings, Seat, UnitSale
from backend.properties.demo import DEMO_PASSWORD
from backend.properties.models import HandoverStatus, Project, Unit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
PRICE_PER_M2_FEN = 3_200_000  # 32 000 ¥/m²


def _user(username: str, name: str, password_hash: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(username=username, display_name=name, password=password_hash)
    if not user.role_rows.filter(role=Role.SALES).exists():
        user_set_roles(user=user, roles={*user.role_rows.values_list("role", flat=True), Role.SALES})
    return user


def sales_project() -> Project | None:
    """The project still on sale: the one with the most units not yet delivered."""
    return (Project.objects.annotate(open=Count("buildings__units", filter=Q(
        buildings__units__handover_status=HandoverStatus.NOT_DELIVERED))).filter(open__gt=0).order_by("-open", "code")
        .first())


def seed_crm(*, now: datetime) -> int:
    """Returns the number of customers created (0 when the demo office exists already)."""
    project = sales_project()
    sales = User.objects.filter(username="sales").first()
    if project is None or sales is None:
        return 0
    if Customer.objects.filter(project=project).exists():
        return 0
    rng = random.Random("anxin-crm-demo")
    password_hash = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        PoolSettings.objects.get_or_create(project=project)
        manager = _user("salesmgr", "销售经理 宋佳", password_hash)
        team = [sales, _user("sales2", "置业顾问 林晨", password_hash), _user("sales3", "置业顾问 许诺", password_hash)]
        Seat.objects.get_or_create(user=manager, project=project, defaults={"is_manager": True, "on_duty": False})
        for index, user in enumerate(team):
            Seat.objects.get_or_create(user=user, project=project, defaults={"team": "一组" if index < 2 else "二组"})
        units = list(Unit.objects.filter(building__project=project, handover_status=HandoverStatus.NOT_DELIVERED)
                     .order_by("building__code", "floor", "number"))
        UnitSale.objects.bulk_create([
            UnitSale(unit=u, list_price_fen=int((u.area_m2 or 90) * PRICE_PER_M2_FEN), updated_at=now,
                     status="not_for_sale" if i % 17 == 16 else "available")
            for i, u in enumerate(units)], ignore_conflicts=True)
        partner, _ = ChannelPartner.objects.get_or_create(
            project=project, name="安居客渠道", defaults={"commission_rule": {"kind": "percent", "basis_points": 100}})
        free = iter(u for u in units if UnitSale.objects.filter(unit=u, status="available").exists())
        created = 0
        plan = ["lead"] * 8 + ["contacted"] * 7 + ["showing"] * 6 + ["intent"] * 5 + ["subscribed"] * 3 + \
            ["signed"] * 3 + ["lost"] * 3 + ["pool"] * 6
        for n, target in enumerate(plan):
            consultant = team[n % len(team)] if n % 3 else sales
            start = now - timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 20))
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if n % 2 else "")
            phone = f"+86186{50_000_000 + n * 7919:08d}"
            channel = "partner" if n % 5 == 0 else ("phone" if n % 4 == 0 else "walk_in")
            holder = manager if target == "pool" else consultant
            result = services.lead_create(actor=holder, project_id=project.id, name=name, phone=phone,
                                          channel="phone" if target == "pool" else "walk_in", consent=True,
                                          partner_id=partner.id if channel == "partner" else None,
                                          expected_amount_fen=int(rng.randint(250, 450)) * 1_000_000,
                                          now=start, dispatch=False)
            customer = result.customer
            Customer.objects.filter(id=customer.id).update(
                expected_close_date=(now + timedelta(days=rng.randint(10, 120))).date())
            created += 1
            if target == "pool":
                continue
            at = start
            if target != "lead" or n % 2:
                at = start + timedelta(minutes=rng.choice([2, 3, 4, 9, 25]))
                services.follow_up_log(actor=consultant, customer_id=customer.id, kind="call",
                                       note="首次电话沟通，了解预算与需求", next_step="邀约到访", now=at)
            if target in {"showing", "intent", "subscribed", "signed"}:
                at += timedelta(hours=rng.randint(3, 30))
                services.follow_up_log(actor=consultant, customer_id=customer.id, kind="showing",
                                       note="带看样板间与在售楼栋", next_step="算价", now=at)
            if target in {"intent", "subscribed", "signed"}:
                at += timedelta(hours=2)
                services.stage_change(actor=consultant, customer_id=customer.id, to="intent", now=at)
            if target == "lost":
                services.stage_change(actor=consultant, customer_id=customer.id, to="lost", reason="预算不足",
                                      now=at + timedelta(hours=1))
            if target in {"subscribed", "signed"}:
                unit = next(free)
                at += timedelta(hours=3)
                services.unit_reserve(actor=consultant, unit_id=unit.id, customer_id=customer.id, now=at)
                sub = services.subscription_create(actor=consultant, unit_id=unit.id, customer_id=customer.id,
                                                   deposit_fen=5_000_000, now=at + timedelta(hours=1))
                if target == "signed":
                    discount = 12_000_000 if n == plan.index("signed") else 1_000_000
                    contract = services.contract_create(
                        actor=consultant, subscription_id=sub.id, buyers=[name], discount_fen=discount,
                        payment_method="mortgage", now=at + timedelta(hours=2))
                    if contract.status == "approved":
                        services.contract_sign(actor=consultant, contract_id=contract.id, now=at + timedelta(hours=3))
        # Two units held for the consultants' customers on the board.
        for customer in Customer.objects.filter(project=project, holder=sales, stage="showing")[:2]:
            services.unit_reserve(actor=sales, unit_id=next(free).id, customer_id=customer.id, now=now)
        services.alerts_due(now=now)
        services.warn_due(now=now)
    return created


def seed_codes(*, now: datetime) -> None:
    """A marketing code per demo campaign (idempotent)."""
    from backend.crm.models import MarketingCode

    project = sales_project()
    sales = User.objects.filter(username="sales").first()
    if project is None:
        return
    MarketingCode.objects.get_or_create(token="demo-open-day", defaults={
        "project": project, "campaign": "开盘看房团", "consultant": sales, "cost_fen": 2_000_000, "created_at": now})
