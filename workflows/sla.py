"""SLA clocks: targets in business time, pauses, and the schedule of alert instants.

The schedule is a pure function of an order's clock events (started, paused/resumed, priority or
category changed, responded/arrived/resolved, reopened) and ``now``. The app recomputes it after
every event and fires each alert whose instant has passed, once per ``key``: keys are stable
across recomputations, so a level fires exactly once even if the worker restarts.

Rules, as the administrator documentation states them:
- every target (response, arrival, resolution) runs from the start of the cycle;
- a pause stops the clock when the policy in force lists its reason in ``pause_on``;
- a change of priority or category switches to the new policy: the time already spent counts
  against the new targets, and each stretch of time is counted on the calendar in force then;
- resolving stops every target still running (a target met by resolution counts as met then);
- reopening with ``reopen: restart`` starts a new cycle with every target afresh; with
  ``reopen: resume`` the resolution clock continues and the time the order spent resolved does not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from workflows.calendar import BusinessCalendar, CalendarWarning, Interval, merge_intervals
from workflows.definition_set import DefinitionSet
from workflows.errors import SlaError
from workflows.schema import TARGET_KINDS, AlertDef, SlaPolicyBase, SlaPolicyDef, TargetKind
from workflows.values import ONE_MICROSECOND, PRIORITIES, PauseReason, Priority, from_us, to_us

EventKind = Literal[
    "started", "priority_changed", "category_changed", "paused", "resumed", "responded", "arrived", "resolved",
    "reopened",
]
ClockStatus = Literal["running", "paused", "met", "met_late", "breached"]
_MILESTONES: dict[str, TargetKind] = {"responded": "response", "arrived": "arrival", "resolved": "resolution"}


@dataclass(frozen=True)
class SlaEvent:
    kind: EventKind
    at: datetime
    category: str | None = None
    priority: Priority | None = None
    reason: PauseReason | None = None

    @classmethod
    def started(cls, at: datetime, category: str, priority: Priority) -> SlaEvent:
        return cls("started", at, category=category, priority=priority)

    @classmethod
    def paused(cls, at: datetime, reason: PauseReason) -> SlaEvent:
        return cls("paused", at, reason=reason)


@dataclass(frozen=True)
class AlertInstant:
    key: str
    cycle: int
    target: TargetKind
    level: str
    notify: str
    at: datetime
    threshold: timedelta


@dataclass(frozen=True)
class TargetClock:
    target: TargetKind
    cycle: int
    duration: timedelta
    started_at: datetime
    deadline_at: datetime | None
    met_at: datetime | None
    elapsed: timedelta
    remaining: timedelta
    status: ClockStatus
    alerts: tuple[AlertInstant, ...]


@dataclass(frozen=True)
class SlaSchedule:
    definitions_version: str
    category: str
    priority: Priority
    policy_code: str
    calendar_code: str
    cycle: int
    paused: bool
    clocks: tuple[TargetClock, ...]
    warnings: tuple[CalendarWarning, ...]
    computed_at: datetime
    alerts: tuple[AlertInstant, ...] = field(init=False)

    def __post_init__(self) -> None:
        alerts = sorted((a for c in self.clocks for a in c.alerts), key=lambda a: (a.at, a.key))
        object.__setattr__(self, "alerts", tuple(alerts))

    def clock(self, target: TargetKind, cycle: int | None = None) -> TargetClock | None:
        wanted = self.cycle if cycle is None else cycle
        return next((c for c in self.clocks if c.target == target and c.cycle == wanted), None)

    def due_alerts(self, now: datetime) -> tuple[AlertInstant, ...]:
        """Alerts whose instant is at or before ``now``; the app fires those it has not fired yet."""
        point = to_us(now, "now")
        return tuple(a for a in self.alerts if to_us(a.at) <= point)

    def next_alert_at(self) -> datetime | None:
        """The first alert instant after ``computed_at``: when to look again."""
        point = to_us(self.computed_at)
        return next((a.at for a in self.alerts if to_us(a.at) > point), None)


def policy_for(definitions: DefinitionSet, category: str, priority: Priority) -> SlaPolicyBase:
    """The first policy whose categories (subtree included) and priorities match, else ``default``."""
    path = definitions.category_path(category)
    policy: SlaPolicyDef
    for policy in definitions.sla.policies:
        if policy.match.categories and not any(code in path for code in policy.match.categories):
            continue
        if policy.match.priorities and priority not in policy.match.priorities:
            continue
        return policy
    return definitions.sla.default


def alert_ladder(definitions: DefinitionSet, policy: SlaPolicyBase) -> tuple[AlertDef, ...]:
    return policy.alerts if policy.alerts is not None else definitions.sla.alerts


# --- replaying the events ------------------------------------------------------------------------------

@dataclass
class _Cycle:
    index: int
    start: int
    end: int | None = None
    met: dict[TargetKind, int] = field(default_factory=dict)


@dataclass
class _History:
    changes: list[tuple[int, str, Priority]] = field(default_factory=list)
    pauses: list[tuple[int, int | None, PauseReason]] = field(default_factory=list)
    gaps: list[Interval] = field(default_factory=list)
    cycles: list[_Cycle] = field(default_factory=list)


def _fail(message: str, index: int, kind: str) -> SlaError:
    return SlaError(message, code="sla.invalid_events", details={"index": index, "kind": kind})


def _replay(definitions: DefinitionSet, events: Sequence[SlaEvent], now: int) -> _History:
    if not events or events[0].kind != "started":
        raise SlaError("the clock events must begin with a started event", code="sla.invalid_events")
    history = _History()
    last = None
    open_pause: tuple[int, PauseReason] | None = None
    for index, event in enumerate(events):
        at = to_us(event.at, f"events[{index}].at")
        if last is not None and at < last:
            raise _fail(f"event {index} ({event.kind}) is earlier than the event before it", index, event.kind)
        if at > now:
            raise _fail(f"event {index} ({event.kind}) is later than now", index, event.kind)
        last = at
        cycle = history.cycles[-1] if history.cycles else None
        resolved = cycle is not None and "resolution" in cycle.met
        if event.kind == "started":
            if cycle is not None:
                raise _fail("started may only be the first event", index, event.kind)
            if event.category is None or event.priority not in PRIORITIES:
                raise _fail("started needs a category and a priority P1..P4", index, event.kind)
            definitions.category(event.category)
            history.changes.append((at, event.category, event.priority))
            history.cycles.append(_Cycle(1, at))
            continue
        assert cycle is not None
        _, category, priority = history.changes[-1]
        if event.kind in ("priority_changed", "category_changed"):
            if event.kind == "priority_changed":
                if event.priority not in PRIORITIES:
                    raise _fail("priority_changed needs a priority P1..P4", index, event.kind)
                priority = event.priority
            else:
                if event.category is None:
                    raise _fail("category_changed needs a category", index, event.kind)
                definitions.category(event.category)
                category = event.category
            history.changes.append((at, category, priority))
        elif event.kind == "paused":
            if open_pause is not None or resolved or event.reason is None:
                raise _fail("paused needs a reason and a running, unpaused order", index, event.kind)
            open_pause = (at, event.reason)
        elif event.kind == "resumed":
            if open_pause is None:
                raise _fail("resumed without a pause", index, event.kind)
            history.pauses.append((open_pause[0], at, open_pause[1]))
            open_pause = None
        elif event.kind in ("responded", "arrived"):
            if not resolved:
                cycle.met.setdefault(_MILESTONES[event.kind], at)
        elif event.kind == "resolved":
            if resolved:
                raise _fail("resolved twice without a reopen", index, event.kind)
            if open_pause is not None:
                history.pauses.append((open_pause[0], at, open_pause[1]))
                open_pause = None
            for target in TARGET_KINDS:
                cycle.met.setdefault(target, at)
        elif event.kind == "reopened":
            if not resolved:
                raise _fail("reopened an order that is not resolved", index, event.kind)
            if policy_for(definitions, category, priority).reopen == "restart":
                cycle.end = at
                history.cycles.append(_Cycle(cycle.index + 1, at))
            else:
                history.gaps.append((cycle.met.pop("resolution"), at))
    if open_pause is not None:
        history.pauses.append((open_pause[0], None, open_pause[1]))
    return history


# --- counting business time -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Segment:
    start: int
    end: int | None
    policy: SlaPolicyBase
    calendar: BusinessCalendar
    pauses: tuple[Interval, ...]
    stop: int | None

    def limit(self) -> int | None:
        ends = [x for x in (self.end, self.stop) if x is not None]
        return max(self.start, min(ends)) if ends else None


def _segments(definitions: DefinitionSet, history: _History, cycle: _Cycle) -> list[_Segment]:
    points: list[tuple[int, str, Priority]] = []
    for at, category, priority in history.changes:
        if at <= cycle.start:
            points = [(cycle.start, category, priority)]
        elif cycle.end is None or at < cycle.end:
            points.append((at, category, priority))
    segments = []
    for position, (start, category, priority) in enumerate(points):
        end = points[position + 1][0] if position + 1 < len(points) else None
        if end is not None and end <= start:
            continue
        policy = policy_for(definitions, category, priority)
        closed: list[Interval] = list(history.gaps)
        stop = None
        for pause_start, pause_end, reason in history.pauses:
            if reason not in policy.pause_on:
                continue
            if pause_end is None:
                if end is None or pause_start < end:
                    stop = max(pause_start, start)
            else:
                closed.append((pause_start, pause_end))
        segments.append(_Segment(start, end, policy, definitions.calendar(policy.calendar),
                                 tuple(merge_intervals(closed)), stop))
    return segments


def _instants(segments: Sequence[_Segment], thresholds: Sequence[int]) -> list[int | None]:
    """The instant each threshold of business time is reached (None: not while the clock is stopped)."""
    results: list[int | None] = [None] * len(thresholds)
    pending = sorted(range(len(thresholds)), key=lambda i: thresholds[i])
    spent = 0
    for segment in segments:
        if not pending:
            break
        calendar, limit = segment.calendar, segment.limit()
        if limit is None:
            for i in pending:
                results[i] = calendar.add_us(segment.start, thresholds[i] - spent, segment.pauses)
            return results
        measure = calendar.between_us(segment.start, limit, segment.pauses)
        while pending and thresholds[pending[0]] <= spent + measure:
            i = pending.pop(0)
            results[i] = calendar.add_us(segment.start, thresholds[i] - spent, segment.pauses)
        spent += measure
    return results


def _elapsed(segments: Sequence[_Segment], until: int) -> int:
    total = 0
    for segment in segments:
        if segment.start >= until:
            break
        limit = segment.limit()
        end = until if limit is None else min(limit, until)
        if end > segment.start:
            total += segment.calendar.between_us(segment.start, end, segment.pauses)
    return total


def _clock(
    definitions: DefinitionSet, cycle: _Cycle, segments: Sequence[_Segment], target: TargetKind,
    duration: timedelta, now: int,
) -> TargetClock:
    policy = segments[-1].policy
    tz = segments[-1].calendar.tz
    target_us = duration // ONE_MICROSECOND
    ladder = [a for a in alert_ladder(definitions, policy) if target in a.targets]
    thresholds = [target_us] + [
        target_us * a.at_percent // 100 if a.at_percent is not None
        else target_us + (a.after_deadline or timedelta(0)) // ONE_MICROSECOND
        for a in ladder
    ]
    instants = _instants(segments, thresholds)
    deadline, met = instants[0], cycle.met.get(target)
    alerts = tuple(
        AlertInstant(
            key=f"c{cycle.index}:{target}:{alert.level}", cycle=cycle.index, target=target, level=alert.level,
            notify=alert.notify, at=from_us(at, tz), threshold=timedelta(microseconds=threshold),
        )
        for alert, at, threshold in zip(ladder, instants[1:], thresholds[1:], strict=True)
        if at is not None and (met is None or at <= met)
    )
    elapsed = _elapsed(segments, met if met is not None else now)
    status: ClockStatus
    if met is not None:
        status = "met" if deadline is None or met <= deadline else "met_late"
    elif deadline is not None and now > deadline:
        status = "breached"
    elif segments[-1].stop is not None and segments[-1].stop <= now:
        status = "paused"
    else:
        status = "running"
    return TargetClock(
        target=target, cycle=cycle.index, duration=duration, started_at=from_us(cycle.start, tz),
        deadline_at=from_us(deadline, tz) if deadline is not None else None,
        met_at=from_us(met, tz) if met is not None else None, elapsed=timedelta(microseconds=elapsed),
        remaining=duration - timedelta(microseconds=elapsed), status=status, alerts=alerts,
    )


def compute_schedule(definitions: DefinitionSet, events: Sequence[SlaEvent], now: datetime) -> SlaSchedule:
    """Every target clock of every cycle, with deadlines and alert instants, as of ``now``."""
    now_us = to_us(now, "now")
    history = _replay(definitions, events, now_us)
    clocks: list[TargetClock] = []
    calendars: dict[str, BusinessCalendar] = {}
    latest = now_us
    current: list[_Segment] = []
    for cycle in history.cycles:
        current = _segments(definitions, history, cycle)
        policy = current[-1].policy
        for segment in current:
            calendars[segment.calendar.code] = segment.calendar
        for target in TARGET_KINDS:
            duration = getattr(policy.targets, target)
            if duration is not None:
                clock = _clock(definitions, cycle, current, target, duration, now_us)
                clocks.append(clock)
                for instant in (clock.deadline_at, *(a.at for a in clock.alerts)):
                    if instant is not None:
                        latest = max(latest, to_us(instant))
    first = from_us(history.cycles[0].start, current[-1].calendar.tz)
    warnings = tuple(w for c in calendars.values() for w in c.data_warnings(first, from_us(latest, c.tz)))
    _, category, priority = history.changes[-1]
    last = current[-1]
    return SlaSchedule(
        definitions_version=definitions.version, category=category, priority=priority,
        policy_code=last.policy.code, calendar_code=last.calendar.code, cycle=history.cycles[-1].index,
        paused=last.stop is not None and last.stop <= now_us, clocks=tuple(clocks), warnings=warnings,
        computed_at=now,
    )
