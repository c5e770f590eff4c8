"""Every calendar date derived from an instant is the Shanghai date, at 23:30 and at 00:30 alike.

Between 00:00 and 08:00 in Shanghai the UTC date is still yesterday's: an owner whose ownership
starts today, a warranty that ends today and today's order numbers are where that shows. Each case
runs with the clock frozen (time-machine) at 23:30 on the eve and at 00:30 on the day, with ``now``
passed to the service as the endpoints pass it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.core.dates import business_date
from backend.properties.selectors import unit_list
from backend.workorders.access import orders_of_owner
from backend.workorders.actors import Actor
from backend.workorders.intake.numbering import order_number_next
from backend.workorders.owner import steps as owner_steps
from backend.workorders.services import order_intake
from tests.factories import BuildingFactory, OwnershipFactory, UnitFactory, user_with_roles
from tests.workorders.world import two_sides

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 2)
EVE_2330 = datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC on the 1st
DAY_0030 = datetime(2026, 12, 2, 0, 30, tzinfo=SHANGHAI)  # 16:30 UTC on the 1st: the UTC date is still the 1st
INSTANTS = [pytest.param(EVE_2330, date(2026, 12, 1), id="23:30"), pytest.param(DAY_0030, DAY, id="00:30")]


@pytest.fixture
def frozen(request):
    with time_machine.travel(request.param, tick=False):
        yield request.param


@pytest.mark.parametrize(("at", "expected"), INSTANTS)
def test_the_business_date_of_an_instant_is_its_date_in_shanghai(at, expected):
    assert business_date(at) == expected
    assert business_date(at.astimezone(ZoneInfo("UTC"))) == expected
    with pytest.raises(ValueError):
        business_date(at.replace(tzinfo=None))


@pytest.mark.django_db
@pytest.mark.parametrize(("at", "expected"), INSTANTS)
def test_order_numbers_carry_the_shanghai_date(at, expected):
    with time_machine.travel(at, tick=False):
        assert order_number_next(now=at).startswith(f"WX{expected:%Y%m%d}-")


@pytest.mark.django_db
@pytest.mark.parametrize(("at", "expected"), INSTANTS)
def test_an_ownership_starting_today_counts_from_the_first_minute_in_shanghai(at, expected):
    with time_machine.travel(at, tick=False):
        home_side, _ = two_sides()
        ownership = OwnershipFactory(unit=home_side.unit, start_date=expected)
        owner = ownership.owner
        # The owner's scope (the portal's order list and tracking page) and their steps both see today's ownership.
        assert orders_of_owner(owner_id=owner.id, phone=owner.phone, today=business_date(at)).filter(
            id=home_side.order.id).exists()
        identity = owner_steps.OwnerIdentity(phone=owner.phone, owner_id=owner.id, name=owner.name)
        owner_steps.owner_message_add(identity=identity, order_id=home_side.order.id, body="今天刚收房，请尽快上门",
                                      now=at)
        # The registry shows them as the unit's current owner.
        listed = unit_list(actor=user_with_roles("administrator"), building_id=home_side.unit.building_id, now=at)
        owners = [o["name"] for u in listed["items"] if u["id"] == home_side.unit.id for o in u["owners"]]
        assert owner.name in owners


@pytest.mark.django_db
@pytest.mark.parametrize(("at", "expected"), INSTANTS)
def test_a_warranty_ending_today_is_judged_with_the_shanghai_date(at, expected):
    with time_machine.travel(at, tick=False):
        # Pipes: the contractor's two years from the building's acceptance (80号令 art.7) outlast the
        # owner's two months from the handover (102号 art.6), and the end date is the last day covered.
        # Accepted two years and a day before the Shanghai "today", the warranty ended yesterday.
        two_years = expected.replace(year=expected.year - 2)
        unit = UnitFactory(handover_date=two_years,
                           building=BuildingFactory(completion_acceptance_date=two_years - timedelta(days=1)))
        order = order_intake(actor=Actor(user=user_with_roles("customer_service")), channel="phone",
                             category_code="drainage", description="厨房下水道堵塞", contact_name="张女士",
                             contact_phone="13800138000", now=at, unit_id=unit.id, route_now=False).order
        assert order.warranty_verdict == "out"
        # Accepted one day later, today is its last day in warranty.
        younger = UnitFactory(handover_date=two_years, building=BuildingFactory(completion_acceptance_date=two_years))
        order = order_intake(actor=Actor(user=user_with_roles("customer_service")), channel="phone",
                             category_code="drainage", description="厨房下水道堵塞", contact_name="张女士",
                             contact_phone="13800138000", now=at, unit_id=younger.id, route_now=False).order
        assert order.warranty_verdict == "in"
