"""The rows one service writes for one order inside its transaction, sent to the database together.

An intake builds the order, appends its "created" event, starts the SLA clocks, routes the order
and assigns it through the state machine. Each of those steps, called on its own, writes its rows
at once: a timeline event, SLA clock events, deadline and alert rows, an assignment, a live update.
Given an ``OrderWrites``, the same steps queue those rows instead, and ``flush`` computes the SLA
schedule once from the order's whole clock history, writes the new rows together
(``backend.core.bulk.insert_together``: one statement on PostgreSQL) and queues the live updates
and webhooks in the order the steps happened — each with the sequence id of the timeline event it
announces, as if the steps had written one by one.

A new order that is not saved yet (``order_writes(order, new=True)`` on an unsaved instance) is
inserted by the flush with its final values: the steps change it in memory (``order_save``), so an
intake that routes and assigns writes the order row once, not an INSERT and then an UPDATE.

The steps still run the same code (the state machine checks and applies every step, routing stores
its explanation): only when their rows reach the database changes. Use it through ``order_writes``
inside ``transaction.atomic()``; nothing is written if the block raises (the transaction rolls back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Model

from backend.core.bulk import insert_together
from backend.workorders.models import SlaClockEvent, TimelineEvent, WorkOrder


@dataclass(eq=False)
class LiveChange:
    """One ``order_changed`` call: its message (``seq`` filled in at flush) and where it goes."""

    message: dict[str, Any]
    groups: list[str]
    seq_event: TimelineEvent | None
    publish: bool
    now: datetime


@dataclass(eq=False)
class OrderWrites:
    order: WorkOrder
    # Created in this transaction: the order has no row yet in any other table (no events, clocks,
    # deadlines, alerts or assignments), so nothing needs reading back or closing.
    new: bool = False
    events: list[TimelineEvent] = field(default_factory=list)
    # New rows of other tables the steps made (an assignment), inserted by the flush.
    rows: list[Model] = field(default_factory=list)
    # The order's SLA clock events, oldest first, once known (read from the database on first use
    # unless the order is new), including the queued ones.
    clock_history: list[SlaClockEvent] | None = None
    clock_new: list[SlaClockEvent] = field(default_factory=list)
    sla_recompute_at: datetime | None = None
    sla_stop_at: datetime | None = None
    changes: list[LiveChange] = field(default_factory=list)
    after_flush: list[Callable[[], None]] = field(default_factory=list)
    flushed: bool = False

    def add_event(self, **fields: Any) -> TimelineEvent:
        event = TimelineEvent(order=self.order, **fields)
        self.events.append(event)
        return event

    @property
    def order_pending(self) -> bool:
        """The order's row is not in the database yet: the flush inserts it with its final values."""
        return self.order._state.adding

    def flush(self) -> None:
        if self.flushed:
            raise RuntimeError("an OrderWrites is flushed once")
        self.flushed = True
        from backend.workorders.sla import sla_fresh_schedule, sla_recompute, sla_stop

        rows: list[Model] = [self.order] if self.order_pending else []
        rows += self.rows
        rows += self.clock_new
        # A new order has no deadline or alert rows yet: its schedule is inserted with the rest.
        fresh = self.new and self.sla_recompute_at is not None
        if fresh:
            rows += sla_fresh_schedule(order=self.order, now=self.sla_recompute_at,  # type: ignore[arg-type]
                                       history=self.clock_history)
        rows += self.events
        insert_together(rows)
        if self.sla_recompute_at is not None and not fresh:
            sla_recompute(order=self.order, now=self.sla_recompute_at, history=self.clock_history)
        if self.sla_stop_at is not None:
            sla_stop(order=self.order, now=self.sla_stop_at)
        if self.changes:
            from backend.workorders.events import order_changes_send

            for change in self.changes:
                if change.seq_event is not None:
                    change.message["seq"] = change.seq_event.id
            order_changes_send(self.changes)
        for callback in self.after_flush:
            callback()


@contextmanager
def order_writes(order: WorkOrder, *, new: bool = False) -> Iterator[OrderWrites]:
    """Queue the rows of the steps taken on ``order`` in the block and write them when it ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("order_writes needs the caller's transaction (transaction.atomic())")
    if order._state.adding and not new:
        raise ValueError("an unsaved order is a new one: order_writes(order, new=True)")
    writes = OrderWrites(order=order, new=new, clock_history=[] if new else None)
    yield writes
    writes.flush()


def event_record(order: WorkOrder, writes: OrderWrites | None, **fields: Any) -> TimelineEvent:
    """Appends a timeline event to the order: written at once, or queued in ``writes``."""
    if writes is None:
        return TimelineEvent.objects.create(order=order, **fields)
    if writes.order is not order:
        raise ValueError("writes belong to another order")
    return writes.add_event(**fields)


def order_save(order: WorkOrder, fields: set[str] | list[str], writes: OrderWrites | None = None) -> None:
    """Saves the fields a step changed, unless the order's row is still to be inserted by ``writes``."""
    if writes is not None and writes.order is order and writes.order_pending:
        return
    order.save(update_fields=sorted(fields))
