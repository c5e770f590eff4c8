"""An offline step counts for the SLA clocks at its device time only when that is plausible; an implausible one
(before the assignment, outside the window) counts at the server's time, and both times are on the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.workorders.actors import Actor
from backend.workorders.effects import order_transition
from backend.workorders.models import Assignment, SlaClockEvent, TimelineEvent
from backend.workorders.states import State
from mobile_sync.tables import ms
from tests.mobile_sync.helpers import Device
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db(transaction=True)


def _arrival_clock(a, device_at, *, set_off=True):  # type: ignore[no-untyped-def]
    """The technician set off (online); the arrival is an offline step at ``device_at``: the arrival clock event."""
    if set_off:
        order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=State.EN_ROUTE,
                         now=timezone.now())
    device = Device(a.technician)
    device.pull()
    step = device.event(a.order.sync_id, "en_route", "on_site", device_at=device_at)
    assert device.sync().json()["events"][0]["status"] == "applied"
    arrived = SlaClockEvent.objects.filter(order=a.order, kind="arrived")
    assert arrived.count() == 1
    return TimelineEvent.objects.get(sync_id=step["id"]), [e.at for e in arrived]


def test_a_plausible_device_time_is_the_clocks_time():
    a, _b = two_sides()
    assigned_at = Assignment.objects.filter(order=a.order).latest("started_at").started_at
    order_transition(order_id=a.order.id, actor=Actor(user=a.technician), to=State.EN_ROUTE, now=timezone.now())
    at = max(assigned_at, *SlaClockEvent.objects.filter(order=a.order).values_list("at", flat=True)) + \
        timedelta(milliseconds=5)
    assert at <= timezone.now()
    step, clocks = _arrival_clock(a, ms(at), set_off=False)
    assert ms(step.device_at) == ms(at)
    assert all(ms(c) == ms(at) for c in clocks)


@pytest.mark.parametrize("offset", [timedelta(days=-1), timedelta(days=-3650), timedelta(hours=3)])
def test_an_implausible_device_time_leaves_the_clocks_at_the_servers_time(offset):
    a, _b = two_sides()
    assigned_at = Assignment.objects.filter(order=a.order).latest("started_at").started_at
    step, clocks = _arrival_clock(a, ms(assigned_at + offset))
    assert all(c >= assigned_at for c in clocks)
    assert all(c == step.created_at for c in clocks)
    # Before the assignment or in the future: kept as a device time; outside the window: kept raw only.
    assert (step.device_at is None) == (offset == timedelta(days=-3650))
