"""New rows of several models are written together, get their ids back and count as saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from backend.core.bulk import insert_together
from backend.workorders.models import SlaAlert, SlaDeadline, TimelineEvent, WorkOrder
from tests.workorders.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db


def new_rows():
    now = timezone.now()
    order = WorkOrderFactory.build()
    order.unit.building.project.save()
    order.unit.building.save()
    order.unit.save()
    order.project, order.building = order.unit.building.project, order.unit.building
    events = [TimelineEvent(order=order, kind=TimelineEvent.Kind.CREATED, actor_label="客服", to_state="submitted",
                            data={"channel": "phone", "说明": "中文"}, created_at=now, owner_visible=True),
              TimelineEvent(order=order, kind=TimelineEvent.Kind.NOTE, actor_label="客服", note="第二条",
                            created_at=now + timedelta(seconds=1))]
    deadline = SlaDeadline(order=order, cycle=1, target="response", policy_code="p", duration_seconds=3600,
                           deadline_at=now + timedelta(hours=1), status="running")
    alerts = [SlaAlert(order=order, key=f"c1:response:{level}", cycle=1, target="response", level=level,
                       notify=["assignee"], due_at=now + timedelta(minutes=10 * level)) for level in (1, 2, 3)]
    return order, events, deadline, alerts


def test_rows_of_several_models_are_stored_with_their_ids_and_count_as_saved():
    order, events, deadline, alerts = new_rows()
    with transaction.atomic():
        insert_together([order, *events, deadline, *alerts])

    assert WorkOrder.objects.get(id=order.id).number == order.number
    stored = list(TimelineEvent.objects.filter(order=order).order_by("id"))
    assert [e.id for e in stored] == [e.id for e in events] and all(e.id for e in events)
    assert stored[0].data == {"channel": "phone", "说明": "中文"} and stored[1].note == "第二条"
    assert {a.id for a in alerts} == set(SlaAlert.objects.filter(order=order).values_list("id", flat=True))
    assert SlaDeadline.objects.get(order=order).id == deadline.id
    assert not any(row._state.adding for row in [order, *events, deadline, *alerts])
    # Saved rows: a later save() updates them instead of inserting them again.
    events[1].note = "改过"
    events[1].save()
    order.save()
    assert TimelineEvent.objects.filter(order=order).count() == 2
    assert TimelineEvent.objects.get(id=events[1].id).note == "改过"
    # The sync stamp triggers ran for the rows written together.
    assert all(stamp > 0 for stamp in TimelineEvent.objects.filter(order=order).values_list("sync_stamp", flat=True))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement is the PostgreSQL path")
def test_on_postgresql_the_rows_of_all_models_are_one_statement(django_assert_num_queries):
    order, events, deadline, alerts = new_rows()
    with transaction.atomic(), django_assert_num_queries(1):
        insert_together([order, *events, deadline, *alerts])
    assert TimelineEvent.objects.filter(order=order).count() == 2


def test_a_row_that_breaks_a_constraint_writes_none_of_them():
    order, events, deadline, alerts = new_rows()
    twin = SlaDeadline(order=order, cycle=1, target="response", policy_code="p", duration_seconds=60,
                       deadline_at=deadline.deadline_at, status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together([order, *events, deadline, twin, *alerts])
    assert not WorkOrder.objects.filter(id=order.id).exists()
    assert not TimelineEvent.objects.filter(order_id=order.id).exists()


def test_rows_of_a_model_either_all_bring_their_ids_or_none_do():
    order, events, _deadline, _alerts = new_rows()
    events[0].id = 10_000_001
    with pytest.raises(ValueError, match="every row its id or none"), transaction.atomic():
        insert_together([order, *events])


def test_nothing_to_insert_runs_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_together([])


def test_a_row_written_together_is_stored_as_bulk_create_stores_it():
    from decimal import Decimal

    from backend.workorders.models import Priority, WarrantyVerdict

    def order_like(template):
        order = WorkOrder(project=template.project, building=template.building, unit=template.unit,
                          number=f"T{WorkOrder.objects.count():05d}{len(seen)}", contact_name="张女士",
                          contact_phone="+8613800138000", channel="phone", category_code="drainage",
                          priority=Priority.P2, description="漏水", preferred_slots=[{"start": "2026-12-01T09:00"}],
                          warranty_verdict=WarrantyVerdict.IN, estimate_yuan=Decimal("123.45"), rating_quality=5,
                          routing_explanation={"规则": ["a", 1, None, True]}, created_at=template.created_at,
                          updated_at=template.created_at)
        seen.append(order)
        return order

    seen: list[WorkOrder] = []
    template = WorkOrderFactory()
    by_bulk, together = order_like(template), order_like(template)
    events = [TimelineEvent(order=o, kind=TimelineEvent.Kind.STATE, from_state="submitted", to_state="assigned",
                            owner_visible=True, actor_label="routing", data={"金额": "1.50", "n": 2},
                            created_at=template.created_at, device_at=None) for o in (by_bulk, together)]
    with transaction.atomic():
        WorkOrder.objects.bulk_create([by_bulk])
        TimelineEvent.objects.bulk_create([events[0]])
        insert_together([together, events[1]])

    def stored(model, **key):
        row = model.objects.filter(**key).values().get()
        return {k: v for k, v in row.items() if k not in {"id", "number", "sync_id", "sync_stamp", "order_id"}}

    assert stored(WorkOrder, id=together.id) == stored(WorkOrder, id=by_bulk.id)
    assert stored(TimelineEvent, id=events[1].id) == stored(TimelineEvent, id=events[0].id)
    assert stored(TimelineEvent, id=events[1].id)["kind"] == "state"
