"""SLA deadlines per second: the business calendar against a naive minute-by-minute reference.

Both compute the same 10 000 random cases (calendar, start, business duration, pauses) on the
shipped calendars; every deadline must be equal, and the ratio of deadlines per second is the
figure ``sla_calendar_speedup`` in BENCHMARKS.md. Run: ``.venv/bin/python bench/sla_calendar.py``.

``NaiveCalendar`` is deliberately simple and independent of ``workflows.calendar``: it derives the
open minutes of each local day straight from the definition and the official holiday data, then
walks one minute at a time. The tests use it as an oracle too.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflows.calendar import BusinessCalendar  # noqa: E402
from workflows.holidays import OfficialCalendar  # noqa: E402
from workflows.loader import load_default_definitions  # noqa: E402
from workflows.schema import CalendarDef  # noqa: E402

MINUTE = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class NaiveCalendar:
    """Minute-by-minute reference for calendars in a zone with a fixed UTC offset (Asia/Shanghai).
    Instants and durations must be whole minutes."""

    def __init__(self, definition: CalendarDef, official: OfficialCalendar) -> None:
        self.definition = definition
        self.official = official
        zone = ZoneInfo(definition.timezone)
        offset = datetime(2025, 1, 1, tzinfo=zone).utcoffset()
        assert offset is not None and offset == datetime(2025, 7, 1, tzinfo=zone).utcoffset()
        self.offset_minutes = int(offset / MINUTE)
        self.zone = zone
        self.week = definition.weekly_hours()
        self._own: dict[int, list[tuple[int, int]]] = {}
        self._flags: dict[int, bytearray] = {}

    def _own_ranges(self, ordinal: int) -> list[tuple[int, int]]:
        cached = self._own.get(ordinal)
        if cached is not None:
            return cached
        d = self.definition
        day = date.fromordinal(ordinal)
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
        makeup = d.makeup_day_hours if d.makeup_day_hours is not None else self.week["mon"]
        if d.always_open:
            ranges = [(0, 1440)]
        elif any(day in list(o.days()) for o in d.openings):
            opening = next(o for o in d.openings if day in list(o.days()))
            ranges = [(r.start_minute, r.end_minute) for r in (opening.hours if opening.hours is not None
                                                              else makeup)]
        elif any(day in list(c.days()) for c in d.closures):
            ranges = []
        else:
            official = self.official.day(day) if d.official_holidays else None
            if official is not None and official.kind == "holiday":
                ranges = []
            elif official is not None and official.kind == "makeup_workday":
                ranges = [(r.start_minute, r.end_minute) for r in makeup]
            else:
                ranges = [(r.start_minute, r.end_minute) for r in self.week[weekday]]
        self._own[ordinal] = ranges
        return ranges

    def _open_flags(self, ordinal: int) -> bytearray:
        flags = self._flags.get(ordinal)
        if flags is None:
            flags = bytearray(1440)
            for start, end in self._own_ranges(ordinal):
                for minute in range(start, min(end, 1440)):
                    flags[minute] = 1
            for _, end in self._own_ranges(ordinal - 1):
                for minute in range(0, max(0, end - 1440)):
                    flags[minute] = 1
            self._flags[ordinal] = flags
        return flags

    def _local_minute(self, instant: datetime) -> int:
        seconds = (instant - _EPOCH) / timedelta(seconds=1)
        assert seconds % 60 == 0, "the naive calendar works in whole minutes"
        return int(seconds // 60) + self.offset_minutes + date(1970, 1, 1).toordinal() * 1440

    def _from_local_minute(self, minute: int) -> datetime:
        utc_minutes = minute - self.offset_minutes - date(1970, 1, 1).toordinal() * 1440
        return (_EPOCH + timedelta(minutes=utc_minutes)).astimezone(self.zone)

    def _pauses(self, pauses: Sequence[tuple[datetime, datetime]]) -> list[tuple[int, int]]:
        return sorted((self._local_minute(a), self._local_minute(b)) for a, b in pauses)

    def counts(self, minute: int, pauses: list[tuple[int, int]]) -> bool:
        day, within = divmod(minute, 1440)
        if not self._open_flags(day)[within]:
            return False
        return not any(a <= minute < b for a, b in pauses)

    def add(self, start: datetime, duration: timedelta, pauses: Sequence[tuple[datetime, datetime]] = ()) -> datetime:
        remaining = int(duration / MINUTE)
        assert remaining * MINUTE == duration, "the naive calendar works in whole minutes"
        minute = self._local_minute(start)
        paused = self._pauses(pauses)
        while remaining > 0:
            if self.counts(minute, paused):
                remaining -= 1
            minute += 1
        return self._from_local_minute(minute)

    def between(self, start: datetime, end: datetime, pauses: Sequence[tuple[datetime, datetime]] = ()) -> timedelta:
        paused = self._pauses(pauses)
        first, last = self._local_minute(start), self._local_minute(end)
        return MINUTE * sum(1 for minute in range(first, last) if self.counts(minute, paused))


@dataclass(frozen=True)
class Case:
    calendar: str
    start: datetime
    duration: timedelta
    pauses: tuple[tuple[datetime, datetime], ...]


CALENDAR_WEIGHTS = {"office": 4, "field-service": 3, "night-duty": 2, "emergency-24x7": 1}


def make_cases(count: int, seed: int) -> list[Case]:
    """Starts anywhere in 2025-2026 (National Day, Spring Festival and their 调休 included),
    business durations from 15 minutes to 80 hours (the range of the shipped SLA targets),
    and one or two pauses (waiting on the owner, up to two days) in a third of the cases."""
    rng = random.Random(seed)
    tz = ZoneInfo("Asia/Shanghai")
    first = datetime(2025, 1, 1, tzinfo=tz)
    span_minutes = int((datetime(2026, 12, 1, tzinfo=tz) - first) / MINUTE)
    codes = list(CALENDAR_WEIGHTS)
    weights = list(CALENDAR_WEIGHTS.values())
    cases = []
    for _ in range(count):
        start = first + MINUTE * rng.randrange(span_minutes)
        duration = MINUTE * rng.randint(15, 80 * 60)
        pauses = []
        if rng.random() < 1 / 3:
            cursor = start
            for _ in range(rng.randint(1, 2)):
                pause_start = cursor + MINUTE * rng.randint(0, 3 * 24 * 60)
                pause_end = pause_start + MINUTE * rng.randint(1, 2 * 24 * 60)
                pauses.append((pause_start, pause_end))
                cursor = pause_end
        cases.append(Case(rng.choices(codes, weights)[0], start, duration, tuple(pauses)))
    return cases


def run(count: int, seed: int) -> int:
    definitions = load_default_definitions()
    cases = make_cases(count, seed)

    def engines() -> dict[str, BusinessCalendar]:
        return {code: BusinessCalendar(definitions.calendar(code).definition, OfficialCalendar(
            definitions.calendars_doc.official_days)) for code in CALENDAR_WEIGHTS}

    engine_seconds = []
    engine_results: list[datetime] = []
    for _ in range(5):
        calendars = engines()  # cold caches each round, like the naive run
        began = time.perf_counter()
        engine_results = [calendars[c.calendar].add(c.start, c.duration, c.pauses) for c in cases]
        engine_seconds.append(time.perf_counter() - began)
    naive = {code: NaiveCalendar(definitions.calendar(code).definition, OfficialCalendar(
        definitions.calendars_doc.official_days)) for code in CALENDAR_WEIGHTS}
    began = time.perf_counter()
    naive_results = [naive[c.calendar].add(c.start, c.duration, c.pauses) for c in cases]
    naive_seconds = time.perf_counter() - began

    mismatches = [(case, a, b) for case, a, b in zip(cases, engine_results, naive_results, strict=True) if a != b]
    engine_rate = count / min(engine_seconds)
    naive_rate = count / naive_seconds
    speedup = engine_rate / naive_rate
    print(f"cases: {count} (seed {seed}), equal deadlines: {count - len(mismatches)}")
    print(f"engine: {engine_rate:,.0f} deadlines/s (best of 5 runs from cold caches: {min(engine_seconds):.3f} s)")
    print(f"naive minute-by-minute: {naive_rate:,.0f} deadlines/s ({naive_seconds:.1f} s)")
    print(f"sla_calendar_speedup {speedup:.0f}")
    print(f"| sla_calendar_speedup | {speedup:.0f}x | >= 100x | {date.today().isoformat()} "
          f"| .venv/bin/python bench/sla_calendar.py |")
    for case, a, b in mismatches[:10]:
        print(f"MISMATCH {case}: engine {a.isoformat()} naive {b.isoformat()}", file=sys.stderr)
    if mismatches:
        return 1
    if speedup < 100:
        print("the calendar is less than 100x faster than the naive reference", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261125)
    arguments = parser.parse_args()
    return run(arguments.cases, arguments.seed)


if __name__ == "__main__":
    raise SystemExit(main())
