"""Races on PostgreSQL, real threads on separate connections: owners booking the last seat of a
handover slot at the same moment. The seat is claimed by ``UPDATE … WHERE booked < capacity``, so
exactly one wins and the other gets a clear 409 ``handover_slot_full``, never an overbooking."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from backend.core.errors import AppError
from backend.handover import services
from backend.handover.models import Appointment, Item, ItemStatus, Slot
from tests.handover.world import NOW, invite_all, site, slot

pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls: list[Callable[[], Any]]) -> list[tuple[str, int]]:
    """Runs the calls at once; each gives ("won", 0) or (its error code, its HTTP status)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database that several threads share (PostgreSQL in CI)")
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, int]] = []

    def run(call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            call()
            results.append(("won", 0))
        except AppError as exc:
            results.append((exc.code, exc.status))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_owners_booking_the_last_seat_at_once_one_wins_the_other_is_told_it_is_full():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    s = site(units=3)
    first, a, b = invite_all(s)
    last = slot(s, capacity=2)
    services.appointment_book(item_id=first.id, slot_id=last.id, now=NOW)  # one seat left
    results = _race([lambda item=item: services.appointment_book(item_id=item.id, slot_id=last.id, now=NOW)
                     for item in (a, b)])
    assert sorted(results) == [("handover_slot_full", 409), ("won", 0)]
    assert Slot.objects.get(id=last.id).booked == 2
    live = Appointment.objects.filter(slot=last, cancelled_at__isnull=True)
    assert live.count() == 2
    loser = ({a.id, b.id} - set(live.values_list("item_id", flat=True))).pop()
    assert Item.objects.get(id=loser).status == ItemStatus.INVITED  # the loser's item is untouched


def test_six_owners_racing_for_three_seats_fill_the_slot_exactly():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    s = site(units=6)
    items = invite_all(s)
    three = slot(s, capacity=3)
    results = _race([lambda item=item: services.appointment_book(item_id=item.id, slot_id=three.id, now=NOW)
                     for item in items])
    assert sorted(results) == [("handover_slot_full", 409)] * 3 + [("won", 0)] * 3
    assert Slot.objects.get(id=three.id).booked == 3
    assert Appointment.objects.filter(slot=three, cancelled_at__isnull=True).count() == 3
    assert Item.objects.filter(id__in=[i.id for i in items], status=ItemStatus.BOOKED).count() == 3
