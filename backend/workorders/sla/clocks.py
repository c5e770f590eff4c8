"""SLA clocks of orders: the engine computes, this module stores deadlines and fires alerts exactly once.

Every change that matters to a clock appends an ``SlaClockEvent`` and recomputes the schedule
from all of the order's events (the engine is a pure function of them). Deadlines are upserted;
alert rows are keyed by the engine's stable keys, so a recomputation moves the due time of an
unsent alert and never creates a second row for the same order × target × level. Firing claims
the row with ``UPDATE ... WHERE sent_at IS NULL``: one caller wins, whatever the retries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from backend.accounts.models import Team, User
from backend.core.failpoints import failpoint
from backend.workorders.definitions import definitions_for
from backend.workorders.lifecycle.timeline import Kind, event_add
from backend.workorders.live.broadcast import order_announce
from backend.workorders.live.inbox import notify_users
from backend.workorders.models import SlaAlert, SlaClockEvent, SlaDeadline, WorkOrder
from backend.workorders.states import State, WaitingReason
from workflows.sla import AlertInstant, SlaEvent, SlaSchedule, TargetClock, compute_schedule

logger = logging.getLogger("anxin.sla")

PAUSE_REASONS: dict[str, str] = {WaitingReason.OWNER: "waiting_owner", WaitingReason.PARTS: "waiting_parts",
                 WaitingReason.APPROVAL: "waiting_approval"}
STOPPED_STATES = frozenset({State.CANCELLED, State.REJECTED})


@dataclass
class _Written:
    """The clock rows of an order created in the open transaction, as this module wrote them: an
    intake that also assigns recomputes the schedule of an order whose rows it just wrote, and need
    not read them back. Kept on the held order itself, the instance the transaction changes in
    place (the intake's, passed down to its steps), and dropped when the transaction commits; no
    other transaction can see, and so change, an order before its creation commits. ``None`` in a
    field: not known (read it)."""

    history: list[SlaClockEvent]
    deadlines: dict[tuple[int, str], SlaDeadline] | None = field(default_factory=dict)
    alerts: dict[str, SlaAlert] | None = field(default_factory=dict)


WRITTEN = "_sla_written"


def _written(order: WorkOrder) -> _Written | None:
    return order.__dict__.get(WRITTEN)


def _forget(order: WorkOrder) -> None:
    order.__dict__.pop(WRITTEN, None)


def _record(order: WorkOrder, kind: str, now: datetime, **fields: Any) -> SlaClockEvent:
    event = SlaClockEvent.objects.create(order=order, kind=kind, at=now, **fields)
    written = _written(order)
    if written is not None:
        written.history.append(event)
    return event


def _history(order: WorkOrder) -> list[SlaClockEvent]:
    """The order's clock events, oldest first: read once per change and passed along."""
    written = _written(order)
    if written is not None:
        return list(written.history)
    return list(SlaClockEvent.objects.filter(order=order).order_by("at", "id"))


def sla_start(*, order: WorkOrder, now: datetime) -> SlaClockEvent:
    """Starts the clocks of a new order: its first clock event. The schedule is stored by the
    order's first step (every step recomputes it) or, if the intake takes none, by the intake."""
    started = SlaClockEvent.objects.create(order=order, kind="started", at=now, category_code=order.category_code,
                                           priority=order.priority)
    # A new order: this is its only clock row, and it has no deadlines or alerts yet.
    order.__dict__[WRITTEN] = _Written(history=[started])
    transaction.on_commit(lambda: _forget(order))
    return started


def sla_last_event_at(*, order: WorkOrder) -> datetime | None:
    return SlaClockEvent.objects.filter(order=order).order_by("-at", "-id").values_list("at", flat=True).first()


def sla_on_transition(*, order: WorkOrder, frm: str, to: str, now: datetime) -> None:
    """Run after every step of the state machine: turns the step into clock events and stores the
    new schedule (or stops the clocks of a cancelled or rejected order)."""
    history = _history(order)
    if history and now < history[-1].at:
        now = history[-1].at  # clock events never go backwards (an offline step may carry an earlier device time)
    if not any(e.kind == "started" for e in history):
        # An order that did not come through intake (imported, created by hand) starts its clocks
        # when it was created.
        history.insert(0, _record(order, "started", order.created_at, category_code=order.category_code,
                                  priority=order.priority))
    paused, resolved, responded = _clock_state(history)
    kinds: list[tuple[str, dict[str, Any]]] = []
    # Only events that are consistent with the clock's own history are recorded (an order created by
    # an import may enter the machine in any state).
    if frm == State.WAITING and to != State.WAITING and paused:
        kinds.append(("resumed", {}))
    if to == State.WAITING and not paused and not resolved:
        kinds.append(("paused", {"reason": PAUSE_REASONS[order.waiting_reason]}))
    if to in {State.ACCEPTED, State.ASSIGNED} and not responded and not resolved:
        kinds.append(("responded", {}))
    if to == State.ON_SITE and not resolved:
        kinds.append(("arrived", {}))
    if to == State.COMPLETED and not resolved:
        kinds.append(("resolved", {}))
    if to == State.REOPENED and resolved:
        kinds.append(("reopened", {}))
    for kind, fields in kinds:
        history.append(_record(order, kind, now, **fields))
    if to in STOPPED_STATES:
        sla_stop(order=order, now=now)
    elif kinds:
        sla_recompute(order=order, now=now, history=history)


def sla_on_priority_change(*, order: WorkOrder, now: datetime) -> None:
    _forget(order)
    _record(order, "priority_changed", now, priority=order.priority)
    sla_recompute(order=order, now=now)


def _clock_state(history: list[SlaClockEvent]) -> tuple[bool, bool, bool]:
    """(paused, resolved, responded in the current cycle) from the order's clock events."""
    paused = resolved = responded = False
    for event in history:
        if event.kind == "paused":
            paused = True
        elif event.kind == "resumed":
            paused = False
        elif event.kind == "resolved":
            resolved, paused = True, False
        elif event.kind == "reopened":
            resolved = responded = False
        elif event.kind == "responded":
            responded = True
    return paused, resolved, responded


def engine_events(history: Sequence[Any]) -> list[SlaEvent]:
    """The engine's events from clock-event rows (models, or named rows with the same fields)."""
    return [SlaEvent(kind=row.kind, at=row.at, category=row.category_code or None,  # type: ignore[arg-type]
                     priority=row.priority or None, reason=row.reason or None)  # type: ignore[arg-type]
            for row in history]


def _schedule(order: WorkOrder, now: datetime, history: list[SlaClockEvent] | None) -> SlaSchedule:
    # The order's own rules version: a publish does not move the deadlines of open orders unless the
    # administrator asks for it (which sets the order's version first, backend.rules.services).
    events = engine_events(history if history is not None else _history(order))
    return compute_schedule(definitions_for(order.definitions_version), events, now)


def _deadline_row(order: WorkOrder, policy_code: str, clock: TargetClock) -> SlaDeadline:
    return SlaDeadline(order=order, cycle=clock.cycle, target=clock.target, **_deadline_values(policy_code, clock))


def _alert_row(order: WorkOrder, alert: AlertInstant) -> SlaAlert:
    return SlaAlert(order=order, key=alert.key, cycle=alert.cycle, target=alert.target, level=alert.level,
                    notify=alert.notify, due_at=alert.at)


DEADLINE_FIELDS = ("policy_code", "duration_seconds", "deadline_at", "met_at", "status")


def sla_recompute(*, order: WorkOrder, now: datetime, history: list[SlaClockEvent] | None = None) -> None:
    """Stores the engine's schedule: a handful of queries whatever the number of clocks and rungs."""
    schedule = _schedule(order, now, history)
    written = _written(order)
    with transaction.atomic(savepoint=False):  # part of the caller's transaction when there is one
        deadlines = written.deadlines if written and written.deadlines is not None else \
            {(d.cycle, d.target): d for d in SlaDeadline.objects.filter(order=order)}
        new_deadlines, changed_deadlines = [], []
        for clock in schedule.clocks:
            values = _deadline_values(schedule.policy_code, clock)
            row = deadlines.get((clock.cycle, clock.target))
            if row is None:
                new_deadlines.append(_deadline_row(order, schedule.policy_code, clock))
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                changed_deadlines.append(row)
        SlaDeadline.objects.bulk_create(new_deadlines)
        if changed_deadlines:
            SlaDeadline.objects.bulk_update(changed_deadlines, list(DEADLINE_FIELDS))
        if written is not None:
            # The inserted rows carry their keys (both databases return them) unless told otherwise.
            known = all(row.pk is not None for row in new_deadlines)
            written.deadlines = {**deadlines, **{(d.cycle, d.target): d for d in new_deadlines}} if known else None

        alerts = dict(written.alerts) if written and written.alerts is not None else \
            {a.key: a for a in SlaAlert.objects.filter(order=order)}
        new_alerts, moved = [], []
        for alert in schedule.alerts:
            existing = alerts.pop(alert.key, None)
            if existing is None:
                new_alerts.append(_alert_row(order, alert))
            elif existing.sent_at is None and existing.due_at != alert.at:
                moved.append((existing.id, alert.at))
        # ignore_conflicts: a concurrent recompute of the same order may have inserted the same key.
        SlaAlert.objects.bulk_create(new_alerts, ignore_conflicts=True)
        if written is not None:
            written.alerts = None  # inserted ignoring conflicts: their keys are not returned
        for alert_id, due_at in moved:
            # Conditional: a rung fired meanwhile keeps its sent_at and is never moved.
            SlaAlert.objects.filter(id=alert_id, sent_at__isnull=True).update(due_at=due_at)
        # Rungs that no longer apply (target met, ...) are withdrawn unless already sent.
        withdrawn = [a.id for a in alerts.values() if a.sent_at is None and a.due_at is not None]
        if withdrawn:
            SlaAlert.objects.filter(id__in=withdrawn, sent_at__isnull=True).update(due_at=None)


def sla_rebase(*, order: WorkOrder, version: str, version_number: int, now: datetime) -> list[dict[str, Any]]:
    """Puts an open order on another rules version (the administrator chose to recompute open
    orders when publishing it) and recomputes its clocks; each deadline that moves is a line on the
    order's timeline. The caller holds the order locked. Returns the moves."""
    _forget(order)
    before = {(d.cycle, d.target): d.deadline_at for d in SlaDeadline.objects.filter(order=order)}
    order.definitions_version = version
    order.save(update_fields=["definitions_version"])
    sla_recompute(order=order, now=now)
    moves = []
    for row in SlaDeadline.objects.filter(order=order).order_by("cycle", "target"):
        old = before.get((row.cycle, row.target))
        if old != row.deadline_at:
            moves.append({"target": row.target, "cycle": row.cycle,
                          "before": old.isoformat() if old else None,
                          "after": row.deadline_at.isoformat() if row.deadline_at else None})
    for move in moves:
        event_add(order=order, kind=Kind.SLA, label="rules", note=f"{move['target']} deadline moved", now=now,
                  data={**move, "reason": "rules_published", "version": version_number})
    return moves


def _deadline_values(policy_code: str, clock: TargetClock) -> dict[str, Any]:
    return {"policy_code": policy_code, "duration_seconds": int(clock.duration.total_seconds()),
            "deadline_at": clock.deadline_at, "met_at": clock.met_at, "status": clock.status}


def sla_stop(*, order: WorkOrder, now: datetime) -> None:
    _forget(order)
    SlaAlert.objects.filter(order=order, sent_at__isnull=True).update(due_at=None)
    SlaDeadline.objects.filter(order=order, met_at__isnull=True).exclude(status__in=["met", "met_late", "breached"]) \
        .update(status="stopped")


def _recipients(order: WorkOrder, notify: str) -> list[User]:
    if notify == "technician":
        return [order.technician] if order.technician else []
    if notify == "supervisor":
        if order.team_id is None:
            return []
        team = Team.objects.select_related("supervisor").filter(id=order.team_id).first()
        return [team.supervisor] if team and team.supervisor else []
    # Any other value names a role: the holders of that role serving the order's project.
    return list(User.objects.filter(is_active=True, role_rows__role=notify)
                .filter(Q(teams__projects=order.project_id) | Q(supervised_teams__projects=order.project_id))
                .distinct())


def sla_alert_fire(*, alert_id: int, now: datetime) -> bool:
    """Sends one alert if nobody has: returns True for the single caller that claimed it."""
    with transaction.atomic():
        claimed = SlaAlert.objects.filter(id=alert_id, sent_at__isnull=True, due_at__lte=now).update(sent_at=now)
        if claimed != 1:
            return False
        failpoint("sla_alert_claimed")
        alert = SlaAlert.objects.select_related("order").get(id=alert_id)
        order = alert.order
        people = _recipients(order, alert.notify)
        alert.recipients = [str(u.id) for u in people]
        alert.save(update_fields=["recipients"])
        if alert.level in {"breach", "escalation"}:
            SlaDeadline.objects.filter(order=order, cycle=alert.cycle, target=alert.target,
                                       breached_at__isnull=True).update(breached_at=now)
        event = event_add(order=order, kind=Kind.SLA, label="sla", note=f"{alert.target} {alert.level}", now=now,
                  data={"key": alert.key, "target": alert.target, "level": alert.level, "notify": alert.notify,
                        "recipients": alert.recipients})
        order_announce(order=order, kind="sla", now=now, event=event)
        from backend.notifications.services import notification_publish

        notify_users(user_ids=alert.recipients, template="sla_alert", now=now,
                     context={"order": order.number, "target": alert.target, "level": alert.level})
        notification_publish(event_type="sla.alert", idempotency_key=f"sla.alert:{alert.id}", now=now,
                             payload={"order_id": str(order.id), "number": order.number, "target": alert.target,
                                      "level": alert.level, "notify": alert.notify, "at": now.isoformat()})
    return True


def sla_due_alert_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(SlaAlert.objects.filter(sent_at__isnull=True, due_at__lte=now).order_by("due_at")
                .values_list("id", flat=True)[:limit])
