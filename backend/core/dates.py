"""The business date: the calendar date of an instant where the business is (``settings.TIME_ZONE``).

Every date derived from a time — "today" for an ownership, a warranty, an order number, a holiday
warning — comes from here, never from ``instant.date()``: a UTC instant's date is yesterday in
Shanghai until 08:00.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings


def business_timezone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def business_date(at: datetime) -> date:
    """The calendar date of the aware instant ``at`` in the business's time zone."""
    if at.tzinfo is None:
        raise ValueError("business_date needs an aware datetime")
    return at.astimezone(business_timezone()).date()
