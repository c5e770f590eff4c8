"""The filters of every analytics page, read from (and written back into) the address, so a link
shows the same numbers to whoever opens it. Bad values are field errors (422), never a 500."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from backend.core.dates import business_date
from backend.core.errors import ValidationFailed

PERIODS = ("month", "quarter", "year", "custom")
COHORTS = ("lt1", "1to2", "gt2")  # months since handover: < 12, 12–23, >= 24
NO_CONTRACTOR = "none"
MAX_MONTHS = 120
MAX_DAYS = 3660  # a custom period: at most ten years


def _month(text: str) -> date:
    year, _sep, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year.isdigit() and month.isdigit()):
        raise ValueError(text)
    if not 2000 <= int(year) <= 2100:
        raise ValueError(text)
    return date(int(year), int(month), 1)  # a month outside 1..12 raises ValueError


def _day_or_month(text: str, *, last: bool) -> date:
    """``YYYY-MM-DD``, or ``YYYY-MM`` for its first (``last=False``) or last day, between 2000 and 2100."""
    if len(text) == 7:
        first = _month(text)
        return add_months(first, 1) - timedelta(days=1) if last else first
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(text)
    day = date.fromisoformat(text)  # 2026-02-30 raises ValueError
    if not 2000 <= day.year <= 2100:
        raise ValueError(text)
    return day


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Filters:
    period: str = "year"
    month: str = ""  # the period's last month (YYYY-MM); empty: this month
    start: str = ""  # custom only: first day (YYYY-MM-DD; YYYY-MM: the month's first day)
    end: str = ""  # custom only: last day (YYYY-MM-DD; YYYY-MM: its last day); empty: ``month``, else today
    project: str = ""
    building: str = ""
    unit: str = ""
    category: str = ""
    layout: str = ""
    cohort: str = ""
    team: str = ""
    floor: str = ""
    position: str = ""
    contractor: str = ""  # a contractor's id, or "none": the orders no contractor is named for

    @classmethod
    def from_query(cls, query: Any, *, now: datetime) -> Filters:
        values = {f.name: (query.get(f.name) or "").strip()[:60] for f in fields(cls)}
        errors: list[dict[str, Any]] = []
        if not values["period"]:
            values["period"] = "year"
        if values["period"] not in PERIODS:
            errors.append({"field": "period", "reason": _("Choose month, quarter, year or custom.")})
        if values["month"]:
            try:
                _month(values["month"])
            except ValueError:
                errors.append({"field": "month", "reason": _("Give a month as YYYY-MM between 2000 and 2100.")})
        for name in ("start", "end"):
            if values[name]:
                try:
                    _day_or_month(values[name], last=name == "end")
                except ValueError:
                    errors.append({"field": name, "reason": _(
                        "Give a date as YYYY-MM-DD (or a month as YYYY-MM) between 2000 and 2100.")})
        for name in ("project", "building", "unit", "team"):
            if values[name]:
                try:
                    uuid.UUID(values[name])
                except ValueError:
                    errors.append({"field": name, "reason": _("Not a valid id.")})
        for name in ("floor", "position"):
            if values[name]:
                try:
                    if not -20 <= int(values[name]) <= 999:
                        raise ValueError
                except ValueError:
                    errors.append({"field": name, "reason": _("Not a valid number.")})
        if values["contractor"] and values["contractor"] != NO_CONTRACTOR:
            try:
                uuid.UUID(values["contractor"])
            except ValueError:
                errors.append({"field": "contractor", "reason": _("Not a valid id.")})
        if values["cohort"] and values["cohort"] not in COHORTS:
            errors.append({"field": "cohort", "reason": _("Choose a handover cohort.")})
        if values["category"]:
            from backend.workorders.definitions import active_definitions

            if values["category"] not in active_definitions().category_codes:
                errors.append({"field": "category", "reason": _("Unknown category.")})
        today = business_date(now)
        if not errors and values["period"] == "custom":
            if not values["start"]:
                errors.append({"field": "start", "reason": _("A custom period needs its first day.")})
            else:
                first = _day_or_month(values["start"], last=False)
                if values["end"]:
                    last = _day_or_month(values["end"], last=True)
                elif values["month"]:
                    last = _day_or_month(values["month"], last=True)
                else:
                    last = today
                # A whole month given as YYYY-MM ends on its last day, today or not; a day after
                # today (in Shanghai) has no orders yet and is refused.
                if len(values["end"]) == 10 and last > today:
                    errors.append({"field": "end", "reason": _("The last day is after today.")})
                elif first > last:
                    errors.append({"field": "start", "reason": _("The first day is after the last.")})
                elif (last - first).days + 1 > MAX_DAYS:
                    errors.append({"field": "start", "reason": _("A period is at most ten years.")})
                else:
                    values["start"], values["end"] = first.isoformat(), last.isoformat()
                    values["month"] = last.strftime("%Y-%m")
        if errors:
            raise ValidationFailed(details={"errors": errors})
        if values["period"] != "custom":
            values["start"] = values["end"] = ""
        if not values["month"]:
            values["month"] = today.strftime("%Y-%m")
        return cls(**values)

    # --- the period as days and months ---------------------------------------------------------------

    def days(self, *, previous: bool = False) -> tuple[date, date]:
        """First and last business date of the period (or of the previous one), both inclusive. The
        previous period of a month, quarter or year is the same number of months just before; of a
        custom range, the same number of days just before."""
        if self.period == "custom":
            first, last = date.fromisoformat(self.start), date.fromisoformat(self.end)
            if previous:
                length = (last - first).days + 1
                first, last = first - timedelta(days=length), first - timedelta(days=1)
            return first, last
        first_month, last_month = self.months(previous=previous)
        return first_month, add_months(last_month, 1) - timedelta(days=1)

    def months(self, *, previous: bool = False) -> tuple[date, date]:
        """First and last month (first days) the period touches, both inclusive."""
        if self.period == "custom":
            first, last = self.days(previous=previous)
            return first.replace(day=1), last.replace(day=1)
        end = _month(self.month)
        length = {"month": 1, "quarter": 3, "year": 12}[self.period]
        if previous:
            end = add_months(end, -length)
        return add_months(end, 1 - length), end

    def previous_months(self) -> tuple[date, date]:
        return self.months(previous=True)

    def month_list(self) -> list[date]:
        first, last = self.months()
        out, day = [], first
        while day <= last:
            out.append(day)
            day = add_months(day, 1)
        return out

    # --- the address -------------------------------------------------------------------------------

    def query_string(self, **overrides: str) -> str:
        values = {f.name: getattr(self, f.name) for f in fields(self)} | overrides
        return urlencode({k: v for k, v in values.items() if v})

    def with_(self, **changes: str) -> Filters:
        return replace(self, **changes)

    def described(self) -> list[tuple[str, str]]:
        """(label, value) of the filters in force, for the export's filter sheet."""
        first, last = self.days() if self.period == "custom" else self.months()
        shown = "%Y-%m-%d" if self.period == "custom" else "%Y-%m"
        rows = [(_("Period"), f"{first.strftime(shown)} – {last.strftime(shown)}")]
        labels = {"project": _("Project"), "building": _("Building"), "unit": _("Unit"), "category": _("Category"),
                  "layout": _("Layout"), "cohort": _("Handover cohort"), "team": _("Team"), "floor": _("Floor"),
                  "position": _("Position"), "contractor": _("Contractor")}
        rows += [(str(label), getattr(self, name)) for name, label in labels.items() if getattr(self, name)]
        if self.contractor:  # the name rather than the id
            rows[-1] = (rows[-1][0], contractor_label(self.contractor))
        return rows


def contractor_label(value: str) -> str:
    """The contractor filter in words: the contractor's name, or "no contractor named"."""
    if value == NO_CONTRACTOR:
        return _("(no contractor named)")
    from backend.properties.models import Contractor

    return Contractor.objects.filter(id=value).values_list("name", flat=True).first() or value
