"""Human-readable order numbers: WX<yyyymmdd>-<nnnn>, unique, gap-tolerant, race-free.

The day's counter row is created if missing (a unique insert that tolerates a concurrent twin) and
then advanced with one conditional ``UPDATE ... SET last_value = last_value + 1`` whose result is
read back inside the same transaction: two concurrent callers can never get the same value. A
rolled-back transaction leaves a gap, which is fine.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F

from backend.workorders.models import OrderNumberCounter

SHANGHAI = ZoneInfo("Asia/Shanghai")


def format_number(day: date, value: int) -> str:
    return f"WX{day:%Y%m%d}-{value:04d}"


def order_number_next(*, now: datetime) -> str:
    day = now.astimezone(SHANGHAI).date()
    with transaction.atomic():
        if not OrderNumberCounter.objects.filter(day=day).exists():
            try:
                with transaction.atomic():
                    OrderNumberCounter.objects.create(day=day, last_value=0)
            except IntegrityError:
                pass  # created by a concurrent caller: the update below serialises on its row
        OrderNumberCounter.objects.filter(day=day).update(last_value=F("last_value") + 1)
        value = OrderNumberCounter.objects.filter(day=day).values_list("last_value", flat=True).get()
    return format_number(day, value)
