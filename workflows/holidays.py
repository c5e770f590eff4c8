"""China's official public holidays and make-up working days (调休).

The data comes from the ``chinese-calendar`` package, which follows the State Council's yearly
notice with a lag: a year it does not know raises ``NotImplementedError`` there. Here such a year
is *unknown*, never guessed: an administrator can enter the notice in ``calendars.yaml``
(``official_days``), and until then ``missing_years`` names the year so the app can warn.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

import chinese_calendar

from workflows.schema import OfficialYearDef

DayKind = Literal["holiday", "makeup_workday", "ordinary"]
Source = Literal["package", "entered"]

# Years probed for package data. The package has covered 2004 onwards; probing a wide window keeps
# this module right when a new release adds years, without trusting its private constants.
_PROBE_YEARS = range(1990, 2101)


@dataclass(frozen=True)
class OfficialDay:
    kind: DayKind
    name: str | None = None


@lru_cache(maxsize=1)
def package_years() -> frozenset[int]:
    """The years for which the installed ``chinese-calendar`` has official data."""
    years = set()
    for year in _PROBE_YEARS:
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


def _package_day(day: date) -> OfficialDay:
    """Read from the package's public ``workdays`` / ``holidays`` tables (date -> holiday name):
    the same data ``get_holiday_detail`` reads, without its per-call range check."""
    if day in chinese_calendar.workdays:
        return OfficialDay("makeup_workday", str(chinese_calendar.workdays[day]))
    if day in chinese_calendar.holidays:
        return OfficialDay("holiday", str(chinese_calendar.holidays[day]))
    return OfficialDay("ordinary")


class OfficialCalendar:
    """Official day kinds from the package, overridden year by year by administrator entries."""

    def __init__(self, entered: Sequence[OfficialYearDef] = ()) -> None:
        self._entered_years: dict[int, str] = {}
        self._entered_days: dict[date, OfficialDay] = {}
        for year_def in entered:
            self._entered_years[year_def.year] = year_def.notice
            for span in year_def.holidays:
                for day in span.days():
                    self._entered_days[day] = OfficialDay("holiday", span.name or span.reason)
            for span in year_def.workdays:
                for day in span.days():
                    self._entered_days[day] = OfficialDay("makeup_workday", span.name or span.reason)
        self._cache: dict[date, OfficialDay | None] = {}

    def source(self, year: int) -> Source | None:
        if year in self._entered_years:
            return "entered"
        if year in package_years():
            return "package"
        return None

    def years_with_data(self) -> frozenset[int]:
        return package_years() | frozenset(self._entered_years)

    def missing_years(self, years: Iterable[int]) -> list[int]:
        known = self.years_with_data()
        return sorted({year for year in years if year not in known})

    def day(self, day: date) -> OfficialDay | None:
        """The official kind of a day, or None when nobody knows it yet (no data for its year)."""
        try:
            return self._cache[day]
        except KeyError:
            pass
        source = self.source(day.year)
        result: OfficialDay | None
        if source == "entered":
            result = self._entered_days.get(day, OfficialDay("ordinary"))
        elif source == "package":
            result = _package_day(day)
        else:
            result = None
        self._cache[day] = result
        return result
