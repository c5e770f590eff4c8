"""One definition of each order filter: the orders API, the console's queue and its start counters agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.accounts.roles import Role
from backend.console.selectors import QueueFilters, queue_queryset, start_counters
from backend.workorders.models import SlaAlert, SlaDeadline, WorkOrder
from backend.workorders.selectors import OrderFilters, orders_filtered
from backend.workorders.states import State
from tests.factories import user_with_roles
from tests.workorders.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _order(name, *, deadline=None, met=None, breached=None, rung=None, sent=None, state=State.ASSIGNED):
    order = WorkOrderFactory(state=state, description=name)
    if deadline is not None:
        SlaDeadline.objects.create(order=order, cycle=1, target="resolution", policy_code="p", duration_seconds=3600,
                                   deadline_at=NOW + deadline, met_at=met, breached_at=breached, status="running")
    if rung is not None:
        SlaAlert.objects.create(order=order, key=f"{order.id}:warn", cycle=1, target="resolution", level="warning",
                                notify="technician", due_at=None if rung == "withdrawn" else NOW + rung,
                                sent_at=sent)
    return order


@pytest.fixture
def orders():
    hour = timedelta(hours=1)
    return {
        "marked_breached": _order("marked", deadline=-hour, breached=NOW - hour),
        "passed_unmet": _order("passed", deadline=-hour),
        "rung_due_unsent": _order("due", deadline=hour, rung=-hour),
        "rung_sent": _order("sent", deadline=hour, rung=-hour, sent=NOW - hour),
        "rung_later": _order("later", deadline=2 * hour, rung=hour),
        "met_withdrawn": _order("met", deadline=hour, met=NOW - hour, rung="withdrawn"),
        "no_clock": _order("none"),
        "closed_rung_due": _order("closed", deadline=hour, rung=-hour, state=State.CLOSED),
    }


def _names(qs):
    return set(qs.values_list("description", flat=True))


def test_breached_and_at_risk_mean_the_same_in_the_api_and_the_console(orders):
    del orders
    admin = user_with_roles(Role.ADMINISTRATOR)
    api = {sla: _names(orders_filtered(WorkOrder.objects.all(), OrderFilters(sla=sla), now=NOW))
           for sla in ("breached", "at_risk", "ok")}
    assert api["breached"] == {"marked", "passed"}
    assert api["at_risk"] == {"due", "sent"}  # a rung due counts, sent or not; a closed order is not at risk
    assert api["ok"] == {"due", "sent", "later", "met", "none", "closed"}
    for risk in ("breached", "at_risk"):
        queue = _names(queue_queryset(actor=admin, filters=QueueFilters(risk=risk), now=NOW))
        assert queue == api[risk] - {"closed"}
    counters = start_counters(actor=admin, now=NOW)
    assert (counters["breached"], counters["at_risk"]) == (2, 2)


def test_the_text_search_finds_a_phone_tail_only_from_four_digits(orders):
    del orders
    assert _names(orders_filtered(WorkOrder.objects.all(), OrderFilters(text="8000"), now=NOW)) == {
        "marked", "passed", "due", "sent", "later", "met", "none", "closed"}
    assert not _names(orders_filtered(WorkOrder.objects.all(), OrderFilters(text="800"), now=NOW))
