"""Custom periods are any range of Shanghai business dates; absurd ranges are field errors in
Chinese (422); "today" is Shanghai's, also at 23:30 and 00:30."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import QueryDict
from django.test import Client

from backend.analytics import selectors
from backend.analytics.filters import Filters
from backend.analytics.services import refresh_changed
from backend.core.errors import ValidationFailed
from tests.analytics.world import make_world, report

SHANGHAI = ZoneInfo("Asia/Shanghai")
LATE = datetime(2026, 12, 2, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC, the same day
EARLY = datetime(2026, 12, 2, 0, 30, tzinfo=SHANGHAI)  # 16:30 UTC on 1 December


def parse(query: str, now: datetime) -> Filters:
    return Filters.from_query(QueryDict(query), now=now)


def reasons(query: str, now: datetime) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse(query, now)
    return {e["field"]: str(e["reason"]) for e in caught.value.details["errors"]}


@pytest.mark.parametrize("now", [LATE, EARLY], ids=["23:30", "00:30"])
def test_a_custom_range_may_end_today_in_shanghai_but_not_tomorrow(now):
    assert parse("period=custom&start=2026-11-15&end=2026-12-02", now).days() == (date(2026, 11, 15), date(2026, 12, 2))
    assert "end" in reasons("period=custom&start=2026-11-15&end=2026-12-03", now)
    # Without an end the range runs to today's Shanghai date (2 December even while UTC says 1 December).
    assert parse("period=custom&start=2026-11-15", now).days()[1] == date(2026, 12, 2)


def test_the_previous_period_of_a_day_range_is_as_many_days_just_before():
    filters = parse("period=custom&start=2026-11-10&end=2026-11-19", LATE)
    assert filters.days(previous=True) == (date(2026, 10, 31), date(2026, 11, 9))


@pytest.mark.parametrize("query, field", [
    ("period=custom&start=2026-11-20&end=2026-11-10", "start"),
    ("period=custom&start=2010-01-01&end=2026-11-10", "start"),
    ("period=custom&start=2026-02-30&end=2026-03-10", "start"),
    ("period=custom&start=1999-12-31&end=2026-03-10", "start"),
    ("period=custom&start=2026-11-01&end=garbage", "end"),
    ("period=custom", "start"),
])
def test_absurd_ranges_are_field_errors(query, field):
    assert field in reasons(query, LATE)


@pytest.mark.django_db
def test_a_day_range_counts_only_its_days_and_a_bad_one_is_a_422_in_chinese():
    world = make_world()
    unit = world.units[0]
    # 1 December 00:30 in Shanghai is 30 November 16:30 UTC: it belongs to 1 December.
    for at in (datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI), datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI),
               datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)):
        report(world, unit=unit, at=at)
    refresh_changed(now=LATE)
    one_day = parse("period=custom&start=2026-12-01&end=2026-12-01", LATE)
    assert selectors.service_kpis(actor=world.director, filters=one_day, now=LATE)["overall"]["orders"] == 1
    assert selectors.drilldown_page(actor=world.director, filters=one_day).total == 1
    assert sum(r["orders"] for r in selectors.project_ranking(actor=world.director, filters=one_day)) == 1
    two_days = parse("period=custom&start=2026-11-30&end=2026-12-01", LATE)
    assert selectors.service_kpis(actor=world.director, filters=two_days, now=LATE)["overall"]["orders"] == 2
    client = Client()
    client.force_login(world.director)
    with time_machine.travel(LATE, tick=False):
        response = client.get("/analytics/service?period=custom&start=2026-12-05&end=2026-12-01",
                              HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 422
        assert "起始日期晚于结束日期" in response.content.decode()
        assert client.get("/analytics/service?period=custom&start=2026-12-01&end=2026-12-02").status_code == 200
