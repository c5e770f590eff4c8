"""The business date: the calendar date of an instant where the business is (``settings.TIME_ZONE``).

Every date derived from a time — "today" for an ownership, a warranty, an order number, a holiday
warning — comes from here, never from ``instant.date()``: a UTC instant's date is yesterday in
Shanghai until 08:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings


def business_timezone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def business_date(at: datetime) -> date:
    """The calendar date of the aware instant ``at`` in the business's time zone."""
    if at.tzinfo is None:
        raise ValueError("business_date needs an aware datetime")
    return at.astimezone(business_timezone()).date()


# What a date or time from outside (an API body or query, a portal form, a cursor, an import) may be.
# Far outside it PostgreSQL stores a value that psycopg cannot read back in the business time zone
# (year 1, year 9999 plus eight hours), and no repair happens in 1900 or 2200 anyway.
EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def instant_in_window(at: datetime) -> bool:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    try:
        return EARLIEST_INSTANT <= aware <= LATEST_INSTANT
    except OverflowError:  # an offset that takes it past year 1 or 9999
        return False


def date_in_window(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE
