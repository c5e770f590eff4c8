"""Small value types shared by the definition schema and the engine.

Each parser raises pydantic's ``PydanticCustomError`` with a message that says what was expected,
so that the loader can print ``file:line path: expected ..., got ...`` for an administrator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

from workflows.errors import InvalidTimeError

SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND

PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
Priority = Literal["P1", "P2", "P3", "P4"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CHANNELS: tuple[str, ...] = ("qr", "phone", "walk_in", "wecom", "handover")
Channel = Literal["qr", "phone", "walk_in", "wecom", "handover"]
WARRANTY_VERDICTS: tuple[str, ...] = ("in", "out", "unknown")
Warranty = Literal["in", "out", "unknown"]
PAUSE_REASONS: tuple[str, ...] = ("waiting_owner", "waiting_parts", "waiting_approval")
PauseReason = Literal["waiting_owner", "waiting_parts", "waiting_approval"]


def _custom(kind: str, expected: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "expected {expected}", {"expected": expected})


def _one_of(value: Any, allowed: tuple[str, ...], label: str) -> Any:
    if isinstance(value, str) and value in allowed:
        return value
    raise _custom("one_of", f"one of {label}")


def _check_priority(value: Any) -> Any:
    return _one_of(value, PRIORITIES, "P1..P4")


def _check_weekday(value: Any) -> Any:
    return _one_of(value, WEEKDAYS, ", ".join(WEEKDAYS))


def _check_channel(value: Any) -> Any:
    return _one_of(value, CHANNELS, ", ".join(CHANNELS))


def _check_warranty(value: Any) -> Any:
    return _one_of(value, WARRANTY_VERDICTS, ", ".join(WARRANTY_VERDICTS))


def _check_pause_reason(value: Any) -> Any:
    return _one_of(value, PAUSE_REASONS, ", ".join(PAUSE_REASONS))


PriorityField = Annotated[Priority, BeforeValidator(_check_priority)]
WeekdayField = Annotated[str, BeforeValidator(_check_weekday)]
ChannelField = Annotated[Channel, BeforeValidator(_check_channel)]
WarrantyField = Annotated[Warranty, BeforeValidator(_check_warranty)]
PauseReasonField = Annotated[PauseReason, BeforeValidator(_check_pause_reason)]

_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


def _check_code(value: Any) -> Any:
    if isinstance(value, str) and _CODE_RE.match(value):
        return value
    raise _custom("code", 'a code of at most 50 lowercase letters, digits, "-" or "_"')


Code = Annotated[str, BeforeValidator(_check_code)]


def _check_text(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _custom("text", "a non-empty text")


Text = Annotated[str, BeforeValidator(_check_text)]


# --- durations --------------------------------------------------------------------------------

_DURATION_RE = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(value: Any) -> timedelta:
    """``"30m"``, ``"4h"``, ``"1h30m"``, ``"15s"`` -> timedelta. Days are refused on purpose:
    a "day" of business time is ambiguous (24 h? one working day?)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        match = _DURATION_RE.match(value)
        if match and any(match.groups()):
            hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
            return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    raise _custom("duration", "a duration like 30m, 4h, 1h30m or 15s (hours, minutes, seconds; no days)")


def format_duration(value: timedelta) -> str:
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{seconds}s" if seconds else ""]
    return "".join(parts) or "0s"


def _positive_duration(value: Any) -> timedelta:
    parsed = parse_duration(value)
    if parsed <= timedelta(0):
        raise _custom("duration", "a duration longer than zero")
    return parsed


Duration = Annotated[
    timedelta, BeforeValidator(_positive_duration), PlainSerializer(format_duration, return_type=str)
]


# --- money ------------------------------------------------------------------------------------

def _check_yuan(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _custom("amount", "an amount in yuan such as 500 or 1999.50")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _custom("amount", "an amount in yuan such as 500 or 1999.50") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise _custom("amount", "an amount in yuan, zero or more, with at most two decimals")
    return amount


Yuan = Annotated[Decimal, BeforeValidator(_check_yuan), PlainSerializer(str, return_type=str)]


# --- times of day and ranges -----------------------------------------------------------------

_TIME_RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, order=True)
class TimeRange:
    """A range of wall-clock minutes of one day. ``end_minute`` may pass 1440: the range then runs
    past midnight into the next day (``22:00-06:00`` is 1320..1800)."""

    start_minute: int
    end_minute: int

    def __str__(self) -> str:
        def fmt(minute: int) -> str:
            return f"{minute // 60:02d}:{minute % 60:02d}"

        end = self.end_minute if self.end_minute <= 1440 else self.end_minute - 1440
        return f"{fmt(self.start_minute)}-{fmt(end)}"

    def contains_minute(self, minute_of_day: int) -> bool:
        """Whether a minute of the day (0..1439) falls in the range, counting the part past midnight."""
        return self.start_minute <= minute_of_day < self.end_minute or (
            minute_of_day + 1440 < self.end_minute
        )


def parse_time_range(value: Any) -> TimeRange:
    if isinstance(value, TimeRange):
        return value
    expected = 'a time range like "08:30-12:00" (an end at or before the start runs past midnight)'
    if not isinstance(value, str):
        raise _custom("time_range", expected)
    match = _TIME_RANGE_RE.match(value)
    if not match:
        raise _custom("time_range", expected)
    sh, sm, eh, em = (int(g) for g in match.groups())
    if sh > 23 or sm > 59 or em > 59 or eh > 24 or (eh == 24 and em != 0):
        raise _custom("time_range", expected + " with real times of day")
    start, end = sh * 60 + sm, eh * 60 + em
    if start == end:
        raise _custom("time_range", expected + "; start and end are the same")
    if end < start:
        end += 1440
    return TimeRange(start, end)


TimeRangeField = Annotated[TimeRange, BeforeValidator(parse_time_range), PlainSerializer(str, return_type=str)]


def _check_timezone(value: Any) -> Any:
    if isinstance(value, str):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    raise _custom("timezone", 'an IANA time zone such as "Asia/Shanghai"')


TimezoneName = Annotated[str, BeforeValidator(_check_timezone)]


def _check_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _custom("date", "a date written YYYY-MM-DD, such as 2026-10-01")


DateField = Annotated[date, BeforeValidator(_check_date)]


# --- instants ---------------------------------------------------------------------------------

def require_aware(value: datetime, name: str = "instant") -> datetime:
    if not isinstance(value, datetime):
        raise InvalidTimeError(f"{name} must be a datetime", code="time.not_a_datetime", details={"name": name})
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTimeError(
            f"{name} must carry a time zone (got naive {value.isoformat()})",
            code="time.naive_datetime",
            details={"name": name, "value": value.isoformat()},
        )
    return value


def to_us(value: datetime, name: str = "instant") -> int:
    """An aware datetime as integer microseconds since the Unix epoch."""
    try:
        return (value - EPOCH) // ONE_MICROSECOND
    except TypeError:
        require_aware(value, name)
        raise


def from_us(value: int, tz: tzinfo) -> datetime:
    return (EPOCH + timedelta(microseconds=value)).astimezone(tz)


def duration_us(value: timedelta, name: str = "duration") -> int:
    if not isinstance(value, timedelta):
        raise InvalidTimeError(f"{name} must be a timedelta", code="time.not_a_duration", details={"name": name})
    if value < timedelta(0):
        raise InvalidTimeError(
            f"{name} must not be negative (got {value})", code="time.negative_duration", details={"name": name}
        )
    return value // ONE_MICROSECOND
