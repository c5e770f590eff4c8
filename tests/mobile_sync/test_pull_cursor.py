"""A pull never misses a row that a concurrent transaction commits late (PostgreSQL).

A slow writer opens a transaction and changes an order of the technician (so the row's stamp is its
transaction id), and stays open while the device pulls; then it commits. The pull's cursor is the
xmin of its snapshot, which is at most the writer's id, so the next pull sends the change, although
it committed after the cursor was issued.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from backend.workorders.models import WorkOrder
from tests.mobile_sync.helpers import Device
from tests.workorders.world import two_sides


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_pull_started_arrives_in_the_next_pull():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers: PostgreSQL")
    a, _b = two_sides()
    device = Device(a.technician)
    device.pull()
    written, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                WorkOrder.objects.filter(id=a.order.id).update(location_detail="主卫吊顶内", updated_at=timezone.now())
                written.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(timeout=30)
    during = device.pull()  # the writer has not committed: its change is invisible here
    assert not during["changes"]["work_orders"]["updated"]
    release.set()
    assert done.wait(timeout=30)
    thread.join()
    after = device.pull()
    rows = after["changes"]["work_orders"]["updated"]
    assert [r["location_detail"] for r in rows] == ["主卫吊顶内"]
    assert after["timestamp"] >= during["timestamp"]


@pytest.mark.django_db
def test_the_cursor_never_goes_backwards():
    a, _b = two_sides()
    device = Device(a.technician)
    stamps = [device.pull()["timestamp"] for _ in range(3)]
    assert stamps == sorted(stamps) and stamps[0] > 0
