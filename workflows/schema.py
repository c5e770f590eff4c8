"""Typed models of the definition documents (one model per YAML file).

These models check the shape of each file on its own. Checks that need more than one field or
more than one file (unique codes, references to categories, teams and calendars) live in
``workflows.checks`` so that each problem can be reported at its own line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from workflows.values import (
    WEEKDAYS,
    ChannelField,
    Code,
    DateField,
    Duration,
    PauseReasonField,
    PriorityField,
    Text,
    TimeRangeField,
    TimezoneName,
    WarrantyField,
    WeekdayField,
    Yuan,
)

SchemaVersion = Literal[1]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- categories.yaml ---------------------------------------------------------------------------

class CategoryDef(Model):
    code: Code
    name: Text
    name_en: Text | None = None
    default_priority: PriorityField = "P3"
    children: tuple[CategoryDef, ...] = ()


class CategoriesDoc(Model):
    schema_version: SchemaVersion = 1
    categories: tuple[CategoryDef, ...] = Field(min_length=1)


# --- teams.yaml --------------------------------------------------------------------------------

class TeamDef(Model):
    code: Code
    name: Text


class TeamsDoc(Model):
    schema_version: SchemaVersion = 1
    teams: tuple[TeamDef, ...] = Field(min_length=1)


# --- calendars.yaml ----------------------------------------------------------------------------

class DateSpan(Model):
    """One date (``date: 2026-12-31``) or a range of dates (``from: ...`` / ``to: ...``)."""

    date: DateField | None = None
    from_: DateField | None = Field(default=None, alias="from")
    to: DateField | None = None
    reason: Text | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> DateSpan:
        if self.date is not None and self.from_ is None and self.to is None:
            return self
        if self.date is None and self.from_ is not None and self.to is not None:
            if self.to < self.from_:
                raise PydanticCustomError("date_span", "expected `to` on or after `from`")
            return self
        raise PydanticCustomError("date_span", "expected either `date` or both `from` and `to`")

    def days(self) -> Iterator[dt.date]:
        """Every date the span covers, in order."""
        if self.date is not None:
            yield self.date
            return
        assert self.from_ is not None and self.to is not None
        for offset in range((self.to - self.from_).days + 1):
            yield self.from_ + dt.timedelta(days=offset)


class OpeningDef(DateSpan):
    hours: tuple[TimeRangeField, ...] | None = None


class NamedDateSpan(DateSpan):
    name: Text | None = None


def _expand_weekday_key(key: Any) -> tuple[str, ...]:
    if not isinstance(key, str):
        key = ""
    if key in WEEKDAYS:
        return (key,)
    first, sep, last = key.partition("-")
    if sep and first in WEEKDAYS and last in WEEKDAYS and WEEKDAYS.index(first) <= WEEKDAYS.index(last):
        return WEEKDAYS[WEEKDAYS.index(first): WEEKDAYS.index(last) + 1]
    raise PydanticCustomError(
        "weekday_key", "expected a weekday (mon, tue, wed, thu, fri, sat, sun) or a range such as mon-fri"
    )


def _check_weekday_key(value: Any) -> Any:
    _expand_weekday_key(value)
    return value


WeekdayKey = Annotated[str, BeforeValidator(_check_weekday_key)]


class CalendarDef(Model):
    code: Code
    name: Text
    timezone: TimezoneName = "Asia/Shanghai"
    always_open: bool = False
    official_holidays: bool = True
    hours: dict[WeekdayKey, tuple[TimeRangeField, ...]] = Field(default_factory=dict)
    makeup_day_hours: tuple[TimeRangeField, ...] | None = None
    closures: tuple[DateSpan, ...] = ()
    openings: tuple[OpeningDef, ...] = ()

    @field_validator("hours", mode="after")
    @classmethod
    def _weekday_keys(cls, value: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
        seen: dict[str, str] = {}
        for key in value:
            for day in _expand_weekday_key(key):
                if day in seen:
                    raise PydanticCustomError(
                        "weekday_key", "expected each weekday once, but {day} is in both {a} and {b}",
                        {"day": day, "a": seen[day], "b": key},
                    )
                seen[day] = key
        return value

    def weekly_hours(self) -> dict[str, tuple[Any, ...]]:
        """The hours of each weekday, ``mon``..``sun``; a day not listed is closed."""
        week: dict[str, tuple[Any, ...]] = {day: () for day in WEEKDAYS}
        for key, ranges in self.hours.items():
            for day in _expand_weekday_key(key):
                week[day] = ranges
        return week


class OfficialYearDef(Model):
    """The State Council's holiday notice for one year, entered by an administrator when the
    holiday package does not know the year yet."""

    year: int = Field(ge=2000, le=2200)
    notice: Text
    holidays: tuple[NamedDateSpan, ...] = ()
    workdays: tuple[NamedDateSpan, ...] = ()


class CalendarsDoc(Model):
    schema_version: SchemaVersion = 1
    calendars: tuple[CalendarDef, ...] = Field(min_length=1)
    official_days: tuple[OfficialYearDef, ...] = ()


# --- routing.yaml ------------------------------------------------------------------------------

Strategy = Literal["skills_match", "least_loaded", "nearest", "round_robin", "grab"]
DirectStrategy = Literal["skills_match", "least_loaded", "nearest", "round_robin"]


class RoutingMatch(Model):
    categories: tuple[Code, ...] = ()
    priorities: tuple[PriorityField, ...] = ()
    projects: tuple[Text, ...] = ()
    buildings: tuple[Text, ...] = ()
    channels: tuple[ChannelField, ...] = ()
    keywords: tuple[Text, ...] = ()
    warranty: tuple[WarrantyField, ...] = ()
    weekdays: tuple[WeekdayField, ...] = ()
    hours: tuple[TimeRangeField, ...] = ()
    within_hours: Code | None = None
    outside_hours: Code | None = None


class RouteTarget(Model):
    code: Code
    name: Text
    team: Code
    skills: dict[Code, Annotated[int, Field(ge=1, le=5)]] = Field(default_factory=dict)
    strategy: Strategy = "least_loaded"
    fallback: DirectStrategy = "least_loaded"
    grab_countdown: Duration | None = None
    max_open_load: int | None = Field(default=None, ge=1)
    max_distance_km: float | None = Field(default=None, gt=0)


class RoutingRuleDef(RouteTarget):
    match: RoutingMatch


class RoutingDoc(Model):
    schema_version: SchemaVersion = 1
    timezone: TimezoneName = "Asia/Shanghai"
    rules: tuple[RoutingRuleDef, ...] = ()
    default: RouteTarget


# --- sla.yaml ----------------------------------------------------------------------------------

TargetKind = Literal["response", "arrival", "resolution"]
TARGET_KINDS: tuple[TargetKind, ...] = ("response", "arrival", "resolution")


class AlertDef(Model):
    level: Code
    notify: Code
    at_percent: int | None = Field(default=None, gt=0, le=1000)
    after_deadline: Duration | None = None
    targets: tuple[TargetKind, ...] = TARGET_KINDS

    @model_validator(mode="after")
    def _one_threshold(self) -> AlertDef:
        if (self.at_percent is None) == (self.after_deadline is None):
            raise PydanticCustomError("alert", "expected exactly one of `at_percent` or `after_deadline`")
        return self


class Targets(Model):
    response: Duration | None = None
    arrival: Duration | None = None
    resolution: Duration | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Targets:
        if self.response is None and self.arrival is None and self.resolution is None:
            raise PydanticCustomError("targets", "expected at least one of response, arrival, resolution")
        return self


class SlaMatch(Model):
    categories: tuple[Code, ...] = ()
    priorities: tuple[PriorityField, ...] = ()


class SlaPolicyBase(Model):
    code: Code
    name: Text
    calendar: Code
    targets: Targets
    pause_on: tuple[PauseReasonField, ...] = ("waiting_owner",)
    alerts: tuple[AlertDef, ...] | None = None
    reopen: Literal["restart", "resume"] = "restart"


class SlaPolicyDef(SlaPolicyBase):
    match: SlaMatch


class SlaDoc(Model):
    schema_version: SchemaVersion = 1
    alerts: tuple[AlertDef, ...] = ()
    policies: tuple[SlaPolicyDef, ...] = ()
    default: SlaPolicyBase


# --- approvals.yaml ----------------------------------------------------------------------------

class ApproverSpec(Model):
    role: Code
    scope: Literal["project", "company"] = "project"


class AmountRange(Model):
    above: Yuan | None = None
    up_to: Yuan | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AmountRange:
        if self.above is not None and self.up_to is not None and self.up_to <= self.above:
            raise PydanticCustomError("amount_range", "expected `up_to` greater than `above`")
        return self


class ApprovalWhen(Model):
    amount_yuan: AmountRange | None = None
    categories: tuple[Code, ...] = ()
    warranty: tuple[WarrantyField, ...] = ()
    projects: tuple[Text, ...] = ()


class ApprovalStepDef(Model):
    name: Text
    mode: Literal["any", "all"] = "any"
    approvers: tuple[ApproverSpec, ...] = Field(min_length=1)
    timeout: Duration | None = None
    on_timeout: Literal["remind", "escalate", "reject"] = "remind"
    escalate_to: tuple[ApproverSpec, ...] = ()

    @model_validator(mode="after")
    def _escalation_target(self) -> ApprovalStepDef:
        if self.on_timeout == "escalate" and not self.escalate_to:
            raise PydanticCustomError("escalate_to", "expected `escalate_to` when `on_timeout` is escalate")
        if self.on_timeout != "remind" and self.timeout is None:
            raise PydanticCustomError("timeout", "expected a `timeout` when `on_timeout` is {action}",
                                      {"action": self.on_timeout})
        return self


class ApprovalGraphBase(Model):
    code: Code
    name: Text
    steps: tuple[ApprovalStepDef, ...] = ()


class ApprovalGraphDef(ApprovalGraphBase):
    when: ApprovalWhen


class ApprovalsDoc(Model):
    schema_version: SchemaVersion = 1
    graphs: tuple[ApprovalGraphDef, ...] = ()
    default: ApprovalGraphBase


DOCUMENTS: dict[str, type[Model]] = {
    "categories.yaml": CategoriesDoc,
    "teams.yaml": TeamsDoc,
    "calendars.yaml": CalendarsDoc,
    "routing.yaml": RoutingDoc,
    "sla.yaml": SlaDoc,
    "approvals.yaml": ApprovalsDoc,
}
