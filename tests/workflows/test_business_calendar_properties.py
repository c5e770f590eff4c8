"""Invariants of business-time arithmetic, on the shipped calendars and on generated ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.sla_calendar import NaiveCalendar
from workflows.calendar import BusinessCalendar
from workflows.holidays import OfficialCalendar
from workflows.loader import load_default_definitions
from workflows.schema import CalendarDef

SH = ZoneInfo("Asia/Shanghai")
US = timedelta(microseconds=1)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_DEFAULTS = load_default_definitions()
_SHIPPED = [_DEFAULTS.calendar(code) for code in sorted(_DEFAULTS.calendars)]


@st.composite
def time_ranges(draw) -> str:
    start = draw(st.integers(0, 23 * 60 + 45))
    length = draw(st.integers(15, 14 * 60))
    end = (start + length) % 1440
    fmt = lambda minute: f"{minute // 60:02d}:{minute % 60:02d}"  # noqa: E731
    return f"{fmt(start)}-{fmt(end)}"


@st.composite
def generated_calendars(draw) -> BusinessCalendar:
    week = {}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        week[day] = draw(st.lists(time_ranges(), max_size=3))
    if not any(week.values()):
        week["mon"] = ["09:00-17:00"]
    definition = CalendarDef.model_validate({
        "code": "generated", "name": "生成", "hours": week, "official_holidays": draw(st.booleans()),
    })
    return BusinessCalendar(definition, OfficialCalendar())


calendars = st.one_of(st.sampled_from(_SHIPPED), generated_calendars())
_any_instant = st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2027, 3, 1), timezones=st.just(SH))
instants = st.one_of(
    _any_instant,
    _any_instant.map(lambda moment: moment.replace(minute=moment.minute // 30 * 30, second=0, microsecond=0)),
)
# Half hours often land exactly on the end of a shift or of a whole working day: the edge cases.
durations = st.one_of(
    st.integers(0, 60 * 60 * 60).map(lambda seconds: timedelta(seconds=seconds)),
    st.integers(0, 120).map(lambda halves: timedelta(minutes=30 * halves)),
)


@st.composite
def pause_lists(draw, start: datetime) -> list[tuple[datetime, datetime]]:
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        offset = timedelta(minutes=draw(st.integers(-600, 6 * 24 * 60)))
        length = timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
        pauses.append((start + offset, start + offset + length))
    return pauses


def _paused(moment: datetime, pauses: list[tuple[datetime, datetime]]) -> bool:
    return any(a <= moment < b for a, b in pauses)


@PROPERTY
@given(calendar=calendars, start=instants, duration=durations, data=st.data())
def test_between_start_and_add_start_duration_is_the_duration(calendar, start, duration, data):
    pauses = data.draw(pause_lists(start))
    assert calendar.between(start, calendar.add(start, duration, pauses), pauses) == duration


@PROPERTY
@given(calendar=calendars, start=instants, first=durations, second=durations, data=st.data())
def test_add_is_monotonic_in_the_duration(calendar, start, first, second, data):
    pauses = data.draw(pause_lists(start))
    small, large = sorted((first, second))
    assert calendar.add(start, small, pauses) <= calendar.add(start, large, pauses)


@PROPERTY
@given(calendar=calendars, start=instants, duration=durations, data=st.data())
def test_a_deadline_is_never_inside_closed_or_paused_time(calendar, start, duration, data):
    pauses = data.draw(pause_lists(start))
    deadline = calendar.add(start, duration, pauses)
    if duration:  # adding nothing returns the start itself, open or not
        just_before = deadline - US
        assert calendar.is_open(just_before)
        assert not _paused(just_before, pauses)
        assert deadline > start


def _merged(pauses: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(p for p in pauses if p[1] > p[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


@PROPERTY
@given(calendar=calendars, start=instants, data=st.data())
def test_pauses_are_excluded_exactly(calendar, start, data):
    end = start + timedelta(minutes=data.draw(st.integers(0, 10 * 24 * 60)))
    pauses = data.draw(pause_lists(start))
    paused_open_time = sum(
        (calendar.between(max(a, start), min(b, end)) for a, b in _merged(pauses) if a < end and b > start),
        timedelta(0),
    )
    assert calendar.between(start, end, pauses) == calendar.between(start, end) - paused_open_time


@PROPERTY
@given(calendar=calendars, start=instants, data=st.data())
def test_business_time_adds_up_over_consecutive_stretches(calendar, start, data):
    middle = start + timedelta(minutes=data.draw(st.integers(0, 5 * 24 * 60)))
    end = middle + timedelta(minutes=data.draw(st.integers(0, 5 * 24 * 60)))
    assert calendar.between(start, end) == calendar.between(start, middle) + calendar.between(middle, end)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars, data=st.data())
def test_the_calendar_agrees_with_the_naive_minute_by_minute_reference(calendar, data):
    start = data.draw(instants).replace(second=0, microsecond=0)
    duration = timedelta(minutes=data.draw(st.one_of(st.integers(0, 16 * 60), st.integers(0, 32).map(lambda h: 30 * h))))
    pauses = [(a.replace(second=0, microsecond=0), b.replace(second=0, microsecond=0))
              for a, b in data.draw(pause_lists(start))]
    naive = NaiveCalendar(calendar.definition, OfficialCalendar())
    deadline = calendar.add(start, duration, pauses)
    assert deadline == naive.add(start, duration, pauses)
    end = start + timedelta(minutes=data.draw(st.integers(0, 3 * 24 * 60)))
    assert calendar.between(start, end, pauses) == naive.between(start, end, pauses)
