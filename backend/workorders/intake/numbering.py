"""Human-readable order numbers: WX<yyyymmdd>-<nnnn>, unique, gap-tolerant, race-free.

One statement claims the next value of the day: ``INSERT ... ON CONFLICT (day) DO UPDATE SET
last_value = last_value + 1 RETURNING last_value`` creates the day's counter row at 1 or advances
it, and the row stays locked until the caller's transaction ends, so two concurrent callers can
never get the same value (the second waits for the first to commit, then sees its value). Both
PostgreSQL and SQLite (3.35+) run it. A rolled-back transaction leaves a gap, which is fine.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection

from backend.core.dates import business_date


def format_number(day: date, value: int) -> str:
    return f"WX{day:%Y%m%d}-{value:04d}"


# The table and columns of OrderNumberCounter (checked by the numbering tests).
CLAIM_SQL = ("INSERT INTO workorders_ordernumbercounter (day, last_value) VALUES (%s, 1) "
             "ON CONFLICT (day) DO UPDATE SET last_value = workorders_ordernumbercounter.last_value + 1 "
             "RETURNING last_value")


def order_number_next(*, now: datetime) -> str:
    day = business_date(now)
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [day])
        (value,) = cursor.fetchone()
    return format_number(day, value)
