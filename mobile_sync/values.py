"""Pushed values checked against their column's type and range before anything is applied.

A phone can push anything a JavaScript number or string can hold: ``NaN``, ``Infinity``, ``1e300``, a string
where a number belongs, a time in the year 1 or 9999. Each pushable column (the ones the push reads; every
other column of a pushed row is the server's and ignored) has a spec here; a row with a value outside its
column's type or range is refused with the column and the reason, and the rest of the batch is applied.
The business rules (a positive quantity, a comment's length) stay in the services the API uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

# Device times outside this window around the server's time are implausible: kept as evidence, never stored
# as a time (a year 1 or 9999 would break reading the row back) and never used for SLA clocks.
DEVICE_TIME_PAST = timedelta(days=366)
DEVICE_TIME_FUTURE = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidValue(Exception):
    def __init__(self, column: str, reason: Any) -> None:
        super().__init__(column)
        self.column, self.reason = column, reason


@dataclass(frozen=True)
class DeviceTime:
    """A pushed device time: the instant when it is plausible, and the raw value either way."""

    at: datetime | None
    raw: int | float | None

    @property
    def implausible(self) -> bool:
        return self.raw is not None and self.at is None


def text(row: dict[str, Any], name: str, *, max_length: int, required: bool = False) -> str:
    value = row.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(name, _("Expected text."))
    if required and not value:
        raise InvalidValue(name, _("This value is required."))
    if len(value) > max_length:
        raise InvalidValue(name, _("At most %(n)d characters.") % {"n": max_length})
    return value


def number(row: dict[str, Any], name: str, *, max_digits: int, places: int, low: Decimal | None = None,
           high: Decimal | None = None, optional: bool = False) -> Decimal | None:
    """A number that fits a ``DecimalField(max_digits, places)``, within [low, high] when given."""
    value = row.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(name, _("Expected a number."))
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(name, _("Expected a finite number."))
    limit = Decimal(10) ** (max_digits - places)
    if isinstance(value, int) and abs(value) >= limit:  # before Decimal(): a 4 000-digit int is costly to format
        raise InvalidValue(name, _("The number is out of range."))
    try:
        decimal = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:  # pragma: no cover — finite floats and ints always convert
        raise InvalidValue(name, _("Expected a number.")) from exc
    if abs(decimal) >= limit or (low is not None and decimal < low) or (high is not None and decimal > high):
        raise InvalidValue(name, _("The number is out of range."))
    exponent = decimal.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise InvalidValue(name, _("At most %(n)d decimal places.") % {"n": places})
    return decimal.quantize(Decimal(1).scaleb(-places))


def boolean(row: dict[str, Any], name: str) -> bool:
    value = row.get(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # WatermelonDB's SQLite adapter keeps booleans as 0 / 1
        return bool(value)
    raise InvalidValue(name, _("Expected true or false."))


def device_time(row: dict[str, Any], name: str, *, now: datetime) -> DeviceTime:
    """Epoch milliseconds from the device; null or 0 is no time. A number outside the plausible window is kept
    raw and flagged; anything that is not a number is refused."""
    value = row.get(name)
    if value is None or value == 0:
        return DeviceTime(at=None, raw=None)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(name, _("Expected a time in epoch milliseconds."))
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(name, _("Expected a time in epoch milliseconds."))
    low, high = _ms(now - DEVICE_TIME_PAST), _ms(now + DEVICE_TIME_FUTURE)
    if not low <= value <= high:
        return DeviceTime(at=None, raw=value)
    return DeviceTime(at=EPOCH + timedelta(milliseconds=int(value)), raw=value)


def _ms(at: datetime) -> int:
    return (at - EPOCH) // timedelta(milliseconds=1)
