from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from backend.workorders.intake.numbering import order_number_next

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_numbers_count_up_per_shanghai_day():
    late_utc = datetime(2026, 11, 24, 16, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on the 25th in Shanghai
    assert order_number_next(now=datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)) == "WX20261124-0001"
    assert order_number_next(now=datetime(2026, 11, 24, 23, 0, tzinfo=SHANGHAI)) == "WX20261124-0002"
    assert order_number_next(now=late_utc) == "WX20261125-0001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_never_get_the_same_number():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises writers)")
    now = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                results.append(order_number_next(now=now))
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 80 and len(set(results)) == 80
    assert sorted(results)[-1] == "WX20261124-0080"
