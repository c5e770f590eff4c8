from __future__ import annotations

import factory
from django.utils import timezone

from backend.workorders.intake.numbering import order_number_next
from backend.workorders.models import Channel, Priority, WorkOrder
from backend.workorders.states import State
from tests.factories import UnitFactory


class WorkOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkOrder

    unit = factory.SubFactory(UnitFactory)
    building = factory.LazyAttribute(lambda o: o.unit.building)
    project = factory.LazyAttribute(lambda o: o.unit.building.project)
    number = factory.LazyFunction(lambda: order_number_next(now=timezone.now()))
    contact_name = "张女士"
    contact_phone = "+8613800138000"
    channel = Channel.PHONE
    category_code = "drainage"
    priority = Priority.P3
    description = "卫生间天花板渗水"
    state = State.SUBMITTED
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)
