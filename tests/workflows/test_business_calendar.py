"""Business calendars on real Chinese holiday cases: National Day, 调休, lunch breaks, night shifts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from workflows.calendar import BusinessCalendar
from workflows.errors import CalendarError, InvalidTimeError
from workflows.holidays import OfficialCalendar, package_years
from workflows.schema import CalendarDef, OfficialYearDef

H = timedelta(hours=1)
M = timedelta(minutes=1)


def calendar(official: tuple[OfficialYearDef, ...] = (), **fields) -> BusinessCalendar:
    definition = CalendarDef.model_validate({"code": "test", "name": "测试", **fields})
    return BusinessCalendar(definition, OfficialCalendar(official))


OFFICE_HOURS = {"mon-fri": ["08:30-12:00", "13:30-17:30"]}


def test_the_installed_holiday_package_knows_2025_and_2026_but_not_2027():
    assert {2025, 2026} <= package_years()
    assert 2027 not in package_years()


def test_an_order_at_1750_before_national_day_2025_is_due_after_the_eight_day_holiday(definitions, sh):
    office = definitions.calendar("office")
    # Tue 30 Sep 2025 is the last workday; 1-8 Oct are closed; Thu 9 Oct opens at 08:30.
    assert office.add(sh(2025, 9, 30, 17, 50), 4 * H) == sh(2025, 10, 9, 14, 0)


def test_a_4_hour_target_reaches_into_the_makeup_saturday_after_national_day_2026(definitions, sh):
    office = definitions.calendar("office")
    # Fri 9 Oct 2026 17:50 is after hours; Sat 10 Oct 2026 is a 调休 working day with Monday's hours.
    assert office.add(sh(2026, 10, 9, 17, 50), 4 * H) == sh(2026, 10, 10, 14, 0)


def test_a_resolution_target_from_the_eve_of_national_day_2026_runs_across_the_makeup_saturday(definitions, sh):
    office = definitions.calendar("office")
    start = sh(2026, 9, 30, 17, 50)
    assert office.add(start, 4 * H) == sh(2026, 10, 8, 14, 0)
    # 8 Oct 7.5 h + 9 Oct 7.5 h + Sat 10 Oct (调休) 7.5 h, Sun 11 closed, Mon 12 Oct 1.5 h.
    assert office.add(start, 24 * H) == sh(2026, 10, 12, 10, 0)
    assert office.between(start, sh(2026, 10, 12, 10, 0)) == 24 * H


def test_the_makeup_sunday_before_national_day_2025_is_a_working_day(definitions, sh):
    office = definitions.calendar("office")
    status = office.day_status(date(2025, 9, 28))
    assert status.kind == "makeup_workday" and status.name == "National Day"
    assert office.add(sh(2025, 9, 26, 17, 0), 4 * H) == sh(2025, 9, 28, 12, 0)


def test_an_ordinary_weekend_and_the_official_holiday_are_closed(definitions):
    office = definitions.calendar("office")
    assert office.day_status(date(2025, 9, 27)).hours == ()
    holiday = office.day_status(date(2025, 10, 6))
    assert holiday.kind == "holiday" and holiday.name == "Mid-autumn Festival" and holiday.hours == ()


def test_an_order_in_the_lunch_break_starts_counting_at_1330(definitions, sh):
    office = definitions.calendar("office")
    assert not office.is_open(sh(2026, 3, 2, 12, 10))
    assert office.next_open(sh(2026, 3, 2, 12, 10)) == sh(2026, 3, 2, 13, 30)
    assert office.add(sh(2026, 3, 2, 12, 10), 30 * M) == sh(2026, 3, 2, 14, 0)
    assert office.between(sh(2026, 3, 2, 11, 30), sh(2026, 3, 2, 14, 0)) == 60 * M


def test_a_deadline_that_ends_exactly_at_noon_does_not_jump_over_lunch(definitions, sh):
    office = definitions.calendar("office")
    assert office.add(sh(2026, 3, 2, 11, 0), 1 * H) == sh(2026, 3, 2, 12, 0)


def test_a_target_of_exactly_one_working_day_ends_at_closing_time_that_day(definitions, sh):
    office = definitions.calendar("office")
    assert office.add(sh(2026, 3, 2, 8, 0), 7.5 * H) == sh(2026, 3, 2, 17, 30)
    assert office.add(sh(2026, 3, 2, 8, 0), 15 * H) == sh(2026, 3, 3, 17, 30)


def test_the_24x7_calendar_ignores_holidays(definitions, sh):
    emergency = definitions.calendar("emergency-24x7")
    assert emergency.add(sh(2025, 9, 30, 17, 50), 4 * H) == sh(2025, 9, 30, 21, 50)
    assert emergency.between(sh(2025, 10, 1), sh(2025, 10, 8)) == 7 * 24 * H


def test_a_split_weekend_shift_counts_both_halves(definitions, sh):
    field = definitions.calendar("field-service")
    # Sat 7 Mar 2026: 09:00-12:00 and 14:00-17:00.
    assert field.add(sh(2026, 3, 7, 11, 0), 2 * H) == sh(2026, 3, 7, 15, 0)


def test_a_night_shift_runs_past_midnight_and_belongs_to_the_day_it_starts():
    night = calendar(hours={"mon-fri": ["22:00-06:00"]}, official_holidays=False)
    sh = ZoneInfo("Asia/Shanghai")
    friday_night = datetime(2026, 3, 6, 23, 0, tzinfo=sh)
    assert night.is_open(datetime(2026, 3, 7, 5, 0, tzinfo=sh))  # Saturday morning, Friday's shift
    assert not night.is_open(datetime(2026, 3, 9, 5, 0, tzinfo=sh))  # Monday morning: no Sunday shift
    assert night.add(friday_night, 2 * H) == datetime(2026, 3, 7, 1, 0, tzinfo=sh)
    # 7 h left on Friday's shift, then Monday 22:00.
    assert night.add(friday_night, 8 * H) == datetime(2026, 3, 9, 23, 0, tzinfo=sh)


def test_overlapping_shifts_of_consecutive_days_are_not_counted_twice():
    cal = calendar(hours={"mon-sun": ["20:00-08:00", "06:00-10:00"]}, official_holidays=False)
    sh = ZoneInfo("Asia/Shanghai")
    day = datetime(2026, 3, 3, tzinfo=sh)
    assert cal.between(day, day + 24 * H) == 14 * H


def test_a_calendar_closure_and_opening_override_the_weekly_hours_and_holidays(sh):
    cal = calendar(
        hours=OFFICE_HOURS,
        closures=[{"date": "2026-03-04", "reason": "年会"}],
        openings=[{"date": "2026-03-08", "hours": ["09:00-11:00"], "reason": "集中交付"},
                  {"date": "2026-10-01", "reason": "国庆值班"}],
    )
    assert cal.day_status(date(2026, 3, 4)).kind == "closure"
    assert cal.between(sh(2026, 3, 4), sh(2026, 3, 5)) == timedelta(0)
    assert cal.between(sh(2026, 3, 8), sh(2026, 3, 9)) == 2 * H
    # An opening without hours uses the make-up-day hours (Monday's by default), even on a holiday.
    assert cal.between(sh(2026, 10, 1), sh(2026, 10, 2)) == 7.5 * H


def test_a_range_of_closed_dates_closes_every_day_in_it(sh):
    cal = calendar(hours=OFFICE_HOURS, closures=[{"from": "2026-03-02", "to": "2026-03-04"}])
    assert cal.add(sh(2026, 3, 2, 8, 0), 1 * H) == sh(2026, 3, 5, 9, 30)


def test_a_year_without_official_data_is_counted_by_weekly_hours_and_reported(sh):
    cal = calendar(hours=OFFICE_HOURS)
    new_year = date(2027, 1, 1)  # a Friday; the 2027 notice is not in the package
    status = cal.day_status(new_year)
    assert status.kind == "weekday" and not status.official_data
    assert cal.between(sh(2027, 1, 1), sh(2027, 1, 2)) == 7.5 * H
    assert cal.missing_official_years([2026, 2027]) == [2027]
    [warning] = cal.data_warnings(sh(2026, 12, 30), sh(2027, 1, 4))
    assert warning.code == "calendar.no_official_data" and warning.year == 2027


def test_official_days_entered_by_an_administrator_fill_a_missing_year(sh):
    notice = OfficialYearDef.model_validate({
        "year": 2027, "notice": "国务院办公厅通知",
        "holidays": [{"from": "2027-01-01", "to": "2027-01-03", "name": "元旦"}],
        "workdays": [{"date": "2027-01-09", "name": "元旦调休"}],
    })
    cal = calendar((notice,), hours=OFFICE_HOURS)
    assert cal.day_status(date(2027, 1, 1)).kind == "holiday"
    assert cal.day_status(date(2027, 1, 9)).kind == "makeup_workday"
    assert cal.day_status(date(2027, 1, 4)).official_data
    assert cal.missing_official_years([2027]) == []
    assert cal.data_warnings(sh(2027, 1, 1), sh(2027, 12, 31)) == []


def test_a_calendar_that_ignores_official_holidays_never_warns(definitions, sh):
    night = definitions.calendar("night-duty")
    assert night.missing_official_years([2027, 2030]) == []
    assert night.day_status(date(2025, 10, 1)).kind == "weekday"


def test_pauses_are_excluded_from_business_time(definitions, sh):
    office = definitions.calendar("office")
    start = sh(2026, 3, 2, 9, 0)
    pause = (sh(2026, 3, 2, 10, 0), sh(2026, 3, 2, 14, 0))  # 2 h of open time paused (10-12, 13:30-14)
    assert office.between(start, sh(2026, 3, 2, 17, 30), [pause]) == 4.5 * H
    assert office.add(start, 2 * H, [pause]) == sh(2026, 3, 2, 15, 0)


def test_a_pause_spanning_days_is_skipped_in_one_step(definitions, sh):
    office = definitions.calendar("office")
    pause = (sh(2026, 3, 2, 10, 0), sh(2026, 6, 1, 9, 0))
    assert office.add(sh(2026, 3, 2, 9, 0), 2 * H, [pause]) == sh(2026, 6, 1, 10, 0)


def test_between_is_negative_when_the_end_comes_first(definitions, sh):
    office = definitions.calendar("office")
    assert office.between(sh(2026, 3, 2, 11), sh(2026, 3, 2, 9)) == -2 * H


def test_adding_nothing_returns_the_start_and_any_time_zone_is_accepted(definitions, sh):
    office = definitions.calendar("office")
    start_utc = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert office.add(start_utc, timedelta(0)) == start_utc
    result = office.add(start_utc, 1 * H)
    assert result == sh(2026, 3, 2, 10, 0) and result.tzinfo == ZoneInfo("Asia/Shanghai")


def test_sub_second_durations_stay_exact(definitions, sh):
    office = definitions.calendar("office")
    duration = timedelta(hours=3, microseconds=1)
    deadline = office.add(sh(2026, 3, 2, 9, 0, 0), duration)
    assert deadline == sh(2026, 3, 2, 13, 30) + timedelta(microseconds=1)
    assert office.between(sh(2026, 3, 2, 9, 0), deadline) == duration


def test_naive_datetimes_and_negative_durations_are_refused(definitions):
    office = definitions.calendar("office")
    with pytest.raises(InvalidTimeError) as naive:
        office.add(datetime(2026, 3, 2, 9), H)
    assert naive.value.code == "time.naive_datetime"
    with pytest.raises(InvalidTimeError) as negative:
        office.add(datetime(2026, 3, 2, 9, tzinfo=UTC), -H)
    assert negative.value.code == "time.negative_duration"
    with pytest.raises(InvalidTimeError):
        office.between(datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 3, 9, tzinfo=UTC),
                       [(datetime(2026, 3, 2, 12, tzinfo=UTC), datetime(2026, 3, 2, 11, tzinfo=UTC))])


def test_a_calendar_closed_for_ten_years_is_an_error_not_an_endless_loop(sh):
    cal = calendar(hours=OFFICE_HOURS, closures=[{"from": "2026-01-01", "to": "2037-01-01"}])
    with pytest.raises(CalendarError) as error:
        cal.add(sh(2026, 1, 1), H)
    assert error.value.code == "calendar.no_open_time"


def test_days_with_a_daylight_saving_change_have_their_real_length():
    berlin = ZoneInfo("Europe/Berlin")
    always = calendar(always_open=True, timezone="Europe/Berlin")
    spring = datetime(2026, 3, 29, tzinfo=berlin)
    assert always.between(spring, datetime(2026, 3, 30, tzinfo=berlin)) == 23 * H
    days = calendar(hours={"mon-sun": ["00:00-24:00"]}, timezone="Europe/Berlin", official_holidays=False)
    assert days.between(spring, datetime(2026, 3, 30, tzinfo=berlin)) == 23 * H
    autumn = datetime(2026, 10, 25, tzinfo=berlin)
    assert days.between(autumn, datetime(2026, 10, 26, tzinfo=berlin)) == 25 * H
    assert days.add(spring, 23 * H) == datetime(2026, 3, 30, tzinfo=berlin)


def test_open_intervals_list_the_open_time_between_two_instants(definitions, sh):
    office = definitions.calendar("office")
    intervals = office.open_intervals(sh(2025, 9, 30, 12, 0), sh(2025, 10, 9, 10, 0))
    assert intervals == [(sh(2025, 9, 30, 13, 30), sh(2025, 9, 30, 17, 30)),
                         (sh(2025, 10, 9, 8, 30), sh(2025, 10, 9, 10, 0))]
