"""Business calendars: working hours, Chinese public holidays, 调休 and per-calendar exceptions.

Time is computed with interval arithmetic, one local day at a time: each day is turned once
into a short tuple of open intervals (integer microseconds since the epoch, cached), whole days
are skipped by their total, and pauses are subtracted as intervals. Nothing steps minute by minute.

A day's ranges belong to the day they start on: ``22:00-06:00`` on Monday is open until Tuesday
06:00, even when Tuesday itself is a holiday.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from workflows.errors import CalendarError, InvalidTimeError
from workflows.holidays import OfficialCalendar
from workflows.schema import CalendarDef, DateSpan, OpeningDef
from workflows.values import ONE_MICROSECOND, WEEKDAYS, TimeRange, duration_us, from_us, to_us

Interval = tuple[int, int]
PauseInput = Sequence[tuple[datetime, datetime]]
DayKind = Literal["always_open", "weekday", "holiday", "makeup_workday", "closure", "opening"]

# A calendar that stays closed this many days in a row is treated as broken rather than scanned on.
MAX_CLOSED_DAYS = 3660
_MINUTE_US = 60_000_000
_DAY_US = 1440 * _MINUTE_US
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_FULL_DAY = (TimeRange(0, 1440),)


@dataclass(frozen=True)
class DayStatus:
    """Why a local date has the hours it has. ``official_data`` is False when the calendar follows
    official holidays but nobody knows that year's holidays yet."""

    day: date
    kind: DayKind
    hours: tuple[TimeRange, ...]
    name: str | None
    official_data: bool


@dataclass(frozen=True)
class CalendarWarning:
    code: str
    calendar: str
    year: int
    message: str


class _Day(NamedTuple):
    """One local day: its bounds, its open segments, their total length, and the first opening
    and last closing instants (equal to ``start`` when the day is closed)."""

    start: int
    end: int
    segments: tuple[Interval, ...]
    total: int
    first: int
    last: int


def normalize_pauses(pauses: PauseInput) -> list[Interval]:
    """Pauses as sorted, merged microsecond intervals; empty pauses are dropped."""
    if not pauses:
        return []
    raw: list[Interval] = []
    for index, pause in enumerate(pauses):
        start, end = pause
        start_us, end_us = to_us(start, f"pauses[{index}].start"), to_us(end, f"pauses[{index}].end")
        if end_us < start_us:
            raise InvalidTimeError(
                f"pause {index} ends before it starts", code="time.pause_reversed", details={"index": index}
            )
        raw.append((start_us, end_us))
    return merge_intervals(raw)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined and empty ones dropped."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class BusinessCalendar:
    def __init__(self, definition: CalendarDef, official: OfficialCalendar) -> None:
        self.definition = definition
        self.code = definition.code
        self.name = definition.name
        self.tz = ZoneInfo(definition.timezone)
        self.always_open = definition.always_open
        self.follows_official = definition.official_holidays and not definition.always_open
        self._official = official
        week = definition.weekly_hours()
        self._weekly: tuple[tuple[TimeRange, ...], ...] = tuple(tuple(week[day]) for day in WEEKDAYS)
        self._makeup: tuple[TimeRange, ...] = (
            tuple(definition.makeup_day_hours) if definition.makeup_day_hours is not None else self._weekly[0]
        )
        self._closures: dict[date, DateSpan] = {day: span for span in definition.closures for day in span.days()}
        self._openings: dict[date, OpeningDef] = {day: span for span in definition.openings for day in span.days()}
        self._days: dict[int, _Day] = {}
        self._hours: dict[int, tuple[TimeRange, ...]] = {}
        self._offset_us = 0

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.code!r})"

    # --- what a day looks like ----------------------------------------------------------------

    def day_status(self, day: date) -> DayStatus:
        if self.always_open:
            return DayStatus(day, "always_open", _FULL_DAY, None, True)
        opening = self._openings.get(day)
        if opening is not None:
            hours = opening.hours if opening.hours is not None else self._makeup
            return DayStatus(day, "opening", tuple(hours), opening.reason, self._has_data(day))
        closure = self._closures.get(day)
        if closure is not None:
            return DayStatus(day, "closure", (), closure.reason, self._has_data(day))
        if self.follows_official:
            official = self._official.day(day)
            if official is None:
                return DayStatus(day, "weekday", self._weekly[day.weekday()], None, False)
            if official.kind == "holiday":
                return DayStatus(day, "holiday", (), official.name, True)
            if official.kind == "makeup_workday":
                return DayStatus(day, "makeup_workday", self._makeup, official.name, True)
        return DayStatus(day, "weekday", self._weekly[day.weekday()], None, True)

    def _has_data(self, day: date) -> bool:
        return not self.follows_official or self._official.source(day.year) is not None

    def _local_us(self, day: date, minute: int) -> int:
        extra_days, minute = divmod(minute, 1440)
        local = datetime.combine(day + timedelta(days=extra_days), time(minute // 60, minute % 60), self.tz)
        return to_us(local)

    def _own_hours(self, ordinal: int) -> tuple[TimeRange, ...]:
        hours = self._hours.get(ordinal)
        if hours is None:
            hours = self._hours[ordinal] = self.day_status(date.fromordinal(ordinal)).hours
        return hours

    def _day(self, ordinal: int) -> _Day:
        cached = self._days.get(ordinal)
        if cached is not None:
            return cached
        day = date.fromordinal(ordinal)
        day_start, day_end = self._local_us(day, 0), self._local_us(day, 1440)
        ranges = [(r.start_minute, min(r.end_minute, 1440)) for r in self._own_hours(ordinal)]
        ranges += [(0, r.end_minute - 1440) for r in self._own_hours(ordinal - 1) if r.end_minute > 1440]
        ranges.sort()
        minutes: list[Interval] = []
        for start, end in ranges:
            if minutes and start <= minutes[-1][1]:
                minutes[-1] = (minutes[-1][0], max(minutes[-1][1], end))
            else:
                minutes.append((start, end))
        if day_end - day_start == _DAY_US:
            segments = [(day_start + a * _MINUTE_US, day_start + b * _MINUTE_US) for a, b in minutes]
        else:  # a day with a daylight-saving transition: convert each wall time on its own
            segments = [(self._local_us(day, a), self._local_us(day, b)) for a, b in minutes]
        segments = [(a, b) for a, b in segments if b > a]
        first, last = (segments[0][0], segments[-1][1]) if segments else (day_start, day_start)
        result = _Day(day_start, day_end, tuple(segments), sum(b - a for a, b in segments), first, last)
        self._days[ordinal] = result
        return result

    def _ordinal(self, instant_us: int) -> int:
        """The local date (as an ordinal) of an instant: guessed from the last offset seen and
        checked against the cached bounds of that day, so zones with daylight saving stay exact."""
        guess = (instant_us + self._offset_us) // _DAY_US + _EPOCH_ORDINAL
        day = self._days.get(guess)
        if day is not None and day.start <= instant_us < day.end:
            return guess
        local = from_us(instant_us, self.tz)
        offset = local.utcoffset()
        if offset is not None:
            self._offset_us = offset // ONE_MICROSECOND
        return local.toordinal()

    # --- public questions -----------------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """Whether the calendar is open at this instant (intervals are closed at the start, open at the end)."""
        point = to_us(instant)
        return any(a <= point < b for a, b in self._day(self._ordinal(point)).segments)

    def next_open(self, instant: datetime) -> datetime:
        """The first open instant at or after ``instant``."""
        point = to_us(instant)
        ordinal = self._ordinal(point)
        for _ in range(MAX_CLOSED_DAYS):
            for a, b in self._day(ordinal).segments:
                if b > point:
                    return from_us(max(a, point), self.tz)
            ordinal += 1
        raise self._no_open_time()

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The open intervals between two instants, clipped to them, adjacent intervals joined."""
        s, e = to_us(start, "start"), to_us(end, "end")
        result: list[Interval] = []
        ordinal = self._ordinal(s)
        while s < e:
            day = self._day(ordinal)
            for a, b in day.segments:
                a, b = max(a, s), min(b, e)
                if a >= b:
                    continue
                if result and result[-1][1] == a:
                    result[-1] = (result[-1][0], b)
                else:
                    result.append((a, b))
            s = max(s, day.end)
            ordinal += 1
        return [(from_us(a, self.tz), from_us(b, self.tz)) for a, b in result]

    def add(self, start: datetime, duration: timedelta, pauses: PauseInput = ()) -> datetime:
        """The earliest instant by which ``duration`` of open, unpaused time has passed since ``start``.

        A zero duration returns ``start`` itself. Otherwise the result is always the end of open
        time, never an instant inside a closure or a pause.
        """
        result = self.add_us(to_us(start, "start"), duration_us(duration), normalize_pauses(pauses))
        return from_us(result, self.tz)

    def between(self, start: datetime, end: datetime, pauses: PauseInput = ()) -> timedelta:
        """Open, unpaused time between two instants; negative when ``end`` is before ``start``."""
        total = self.between_us(to_us(start, "start"), to_us(end, "end"), normalize_pauses(pauses))
        return timedelta(microseconds=total)

    # --- health of the official data --------------------------------------------------------------

    def official_data_years(self) -> frozenset[int]:
        return self._official.years_with_data()

    def missing_official_years(self, years: Iterable[int]) -> list[int]:
        """The given years this calendar needs official holiday data for and has none."""
        if not self.follows_official:
            return []
        return self._official.missing_years(years)

    def data_warnings(self, start: datetime, end: datetime) -> list[CalendarWarning]:
        """One warning per year touched by ``[start, end]`` for which holidays are unknown."""
        first = to_us(start, "start")
        last = max(first, to_us(end, "end"))
        return self.year_warnings(range(from_us(first, self.tz).year, from_us(last, self.tz).year + 1))

    def year_warnings(self, years: Iterable[int]) -> list[CalendarWarning]:
        """One warning per given year for which this calendar needs holidays nobody knows yet."""
        return [
            CalendarWarning(
                code="calendar.no_official_data",
                calendar=self.code,
                year=year,
                message=(
                    f"No official holiday data for {year}: calendar {self.code} counts {year} by its weekly "
                    f"hours only (no 节假日, no 调休) until an administrator enters the State Council notice "
                    f"under official_days in calendars.yaml."
                ),
            )
            for year in self.missing_official_years(years)
        ]

    # --- the arithmetic, on integer microseconds ------------------------------------------------

    def _no_open_time(self) -> CalendarError:
        return CalendarError(
            f"calendar {self.code} has no open time within {MAX_CLOSED_DAYS} days",
            code="calendar.no_open_time",
            details={"calendar": self.code},
        )

    def add_us(self, start: int, remaining: int, pauses: Sequence[Interval]) -> int:
        if remaining <= 0:
            return start
        count = len(pauses)
        ordinal = self._ordinal(start)
        cursor = start
        j = 0
        closed_days = 0
        days = self._days
        while True:
            day_start, day_end, segments, total, first, last = days.get(ordinal) or self._day(ordinal)
            while j < count and pauses[j][1] <= cursor:
                j += 1
            if j < count and pauses[j][0] <= cursor and pauses[j][1] >= day_end:
                cursor = pauses[j][1]
                ordinal = self._ordinal(cursor)
                continue
            if last <= cursor:  # closed, or closed for the rest of the day
                closed_days = closed_days + 1 if not total else 0
                if closed_days > MAX_CLOSED_DAYS:
                    raise self._no_open_time()
                ordinal += 1
                cursor = day_end
                continue
            closed_days = 0
            if total < remaining and cursor <= first and (j == count or pauses[j][0] >= last):
                remaining -= total
                ordinal += 1
                cursor = day_end
                continue
            k = j
            for a, b in segments:
                if b <= cursor:
                    continue
                if a < cursor:
                    a = cursor
                while a < b:
                    while k < count and pauses[k][1] <= a:
                        k += 1
                    if k < count and pauses[k][0] < b:
                        pause_start, pause_end = pauses[k]
                        if pause_start > a:
                            length = pause_start - a
                            if length >= remaining:
                                return a + remaining
                            remaining -= length
                        a = pause_end
                    else:
                        length = b - a
                        if length >= remaining:
                            return a + remaining
                        remaining -= length
                        break
            ordinal += 1
            cursor = day_end

    def between_us(self, start: int, end: int, pauses: Sequence[Interval]) -> int:
        if end < start:
            return -self.between_us(end, start, pauses)
        count = len(pauses)
        ordinal = self._ordinal(start)
        cursor = start
        j = 0
        total = 0
        days = self._days
        while cursor < end:
            day_start, day_end, segments, day_total, first, last = days.get(ordinal) or self._day(ordinal)
            while j < count and pauses[j][1] <= cursor:
                j += 1
            if j < count and pauses[j][0] <= cursor and pauses[j][1] >= min(day_end, end):
                cursor = pauses[j][1]
                if cursor >= end:
                    break
                ordinal = self._ordinal(cursor)
                continue
            if day_total and cursor <= first and end >= last and (j == count or pauses[j][0] >= last):
                total += day_total
            else:
                k = j
                for a, b in segments:
                    if b <= cursor:
                        continue
                    if a >= end:
                        break
                    a, b = max(a, cursor), min(b, end)
                    while a < b:
                        while k < count and pauses[k][1] <= a:
                            k += 1
                        if k < count and pauses[k][0] < b:
                            pause_start, pause_end = pauses[k]
                            if pause_start > a:
                                total += pause_start - a
                            a = pause_end
                        else:
                            total += b - a
                            break
            ordinal += 1
            cursor = day_end
        return total
