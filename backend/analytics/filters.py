"""The filters of every analytics page, read from (and written back into) the address, so a link
shows the same numbers to whoever opens it. Bad values are field errors (422), never a 500."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from backend.core.dates import business_date
from backend.core.errors import ValidationFailed

PERIODS = ("month", "quarter", "year", "custom")
COHORTS = ("lt1", "1to2", "gt2")  # months since handover: < 12, 12–23, >= 24
MAX_MONTHS = 120


def _month(text: str) -> date:
    year, _sep, month = text.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year.isdigit() and month.isdigit()):
        raise ValueError(text)
    if not 2000 <= int(year) <= 2100:
        raise ValueError(text)
    return date(int(year), int(month), 1)  # a month outside 1..12 raises ValueError


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Filters:
    period: str = "year"
    month: str = ""  # the period's last month (YYYY-MM); empty: this month
    start: str = ""  # custom only: first month (YYYY-MM)
    project: str = ""
    building: str = ""
    unit: str = ""
    category: str = ""
    layout: str = ""
    cohort: str = ""
    team: str = ""
    floor: str = ""
    position: str = ""

    @classmethod
    def from_query(cls, query: Any, *, now: datetime) -> Filters:
        values = {f.name: (query.get(f.name) or "").strip()[:60] for f in fields(cls)}
        errors: list[dict[str, Any]] = []
        if not values["period"]:
            values["period"] = "year"
        if values["period"] not in PERIODS:
            errors.append({"field": "period", "reason": _("Choose month, quarter, year or custom.")})
        for name in ("month", "start"):
            if values[name]:
                try:
                    _month(values[name])
                except ValueError:
                    errors.append({"field": name, "reason": _("Give a month as YYYY-MM between 2000 and 2100.")})
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
        if values["cohort"] and values["cohort"] not in COHORTS:
            errors.append({"field": "cohort", "reason": _("Choose a handover cohort.")})
        if values["category"]:
            from backend.workorders.definitions import active_definitions

            if values["category"] not in active_definitions().category_codes:
                errors.append({"field": "category", "reason": _("Unknown category.")})
        if not errors and values["period"] == "custom":
            if not values["start"]:
                errors.append({"field": "start", "reason": _("A custom period needs its first month.")})
            else:
                end = _month(values["month"]) if values["month"] else business_date(now).replace(day=1)
                first = _month(values["start"])
                if first > end:
                    errors.append({"field": "start", "reason": _("The first month is after the last.")})
                elif (end.year - first.year) * 12 + end.month - first.month >= MAX_MONTHS:
                    errors.append({"field": "start", "reason": _("A period is at most ten years.")})
        if errors:
            raise ValidationFailed(details={"errors": errors})
        if not values["month"]:
            values["month"] = business_date(now).strftime("%Y-%m")
        return cls(**values)

    # --- the period as months ----------------------------------------------------------------------

    def months(self) -> tuple[date, date]:
        """First and last month (first days) of the period, both inclusive."""
        end = _month(self.month)
        if self.period == "month":
            return end, end
        if self.period == "quarter":
            return add_months(end, -2), end
        if self.period == "year":
            return add_months(end, -11), end
        return _month(self.start), end

    def previous_months(self) -> tuple[date, date]:
        first, last = self.months()
        length = (last.year - first.year) * 12 + last.month - first.month + 1
        return add_months(first, -length), add_months(first, -1)

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
        first, last = self.months()
        rows = [(_("Period"), f"{first:%Y-%m} – {last:%Y-%m}")]
        labels = {"project": _("Project"), "building": _("Building"), "unit": _("Unit"), "category": _("Category"),
                  "layout": _("Layout"), "cohort": _("Handover cohort"), "team": _("Team"), "floor": _("Floor"),
                  "position": _("Position")}
        rows += [(str(label), getattr(self, name)) for name, label in labels.items() if getattr(self, name)]
        return rows
