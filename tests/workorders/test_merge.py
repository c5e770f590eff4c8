"""A duplicate report is merged into the open order it repeats: one service for the API and the console."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from backend.core.errors import ValidationFailed
from backend.workorders.models import TimelineEvent, WorkOrder
from backend.workorders.selectors import timeline_row
from backend.workorders.services import order_merge_duplicate
from backend.workorders.states import State
from tests.factories import bearer_for
from tests.workorders.factories import WorkOrderFactory
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def test_the_duplicate_is_cancelled_into_the_kept_order_and_both_timelines_say_so():
    a, _b = two_sides()
    duplicate = WorkOrderFactory(unit=a.order.unit)
    response = Client().post(f"/api/v1/orders/{duplicate.id}/merge", {"into": a.order.number.lower()},
                             content_type="application/json", **bearer_for(a.agent))
    assert response.status_code == 200 and response.json()["id"] == str(a.order.id)
    duplicate.refresh_from_db()
    assert duplicate.state == State.CANCELLED
    cancelled = TimelineEvent.objects.get(order=duplicate, to_state=State.CANCELLED)
    received = TimelineEvent.objects.get(order=a.order, kind="note")
    assert cancelled.data["merged_into"] == str(a.order.id) and received.data["merged_from"] == str(duplicate.id)
    with translation.override("zh-hans"):
        assert timeline_row(received)["note"] == f"{duplicate.number} 已合并到本工单。"
    with translation.override("en"):
        assert timeline_row(cancelled)["note"] == f"Duplicate of {a.order.number}: merged into it."


@pytest.mark.parametrize("into", ["other-place", "closed", "itself", "nonsense"])
def test_a_merge_into_anything_but_an_open_order_on_the_same_place_is_refused_and_changes_nothing(into):
    a, b = two_sides()
    duplicate = WorkOrderFactory(unit=a.order.unit)
    closed = WorkOrderFactory(unit=a.order.unit, state=State.CLOSED)
    number = {"other-place": b.order.number, "closed": closed.number, "itself": duplicate.number,
              "nonsense": "WX-NONE"}[into]
    before = list(WorkOrder.objects.order_by("id").values_list("id", "state", "revision"))
    events = TimelineEvent.objects.count()
    with pytest.raises(ValidationFailed):
        order_merge_duplicate(actor=a.dispatcher, order_id=duplicate.id, into_number=number, now=a.order.created_at)
    assert list(WorkOrder.objects.order_by("id").values_list("id", "state", "revision")) == before
    assert TimelineEvent.objects.count() == events
