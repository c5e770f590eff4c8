"""Checks across fields and files: unique codes and references that must resolve.

Each check reports at the line of the offending value. A check that needs a file which failed to
load is skipped, so one broken file does not bury the real problems under consequences.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from workflows.errors import DefinitionProblem
from workflows.schema import (
    AlertDef,
    ApprovalsDoc,
    CalendarDef,
    CalendarsDoc,
    CategoriesDoc,
    CategoryDef,
    DateSpan,
    Model,
    RouteTarget,
    RoutingDoc,
    SlaDoc,
    TeamsDoc,
)

if TYPE_CHECKING:
    from workflows.loader import Loc, Locator


class _Report:
    def __init__(self, locators: Mapping[str, Locator]) -> None:
        self.locators = locators
        self.problems: list[DefinitionProblem] = []

    def __call__(self, file: str, path: Loc, message: str, code: str = "definitions.problem", **params: Any) -> None:
        self.problems.append(self.locators[file].problem(path, message, code=code, params=params))

    def unique(self, file: str, items: Iterable[tuple[Loc, str]], what: str) -> None:
        seen: dict[str, Loc] = {}
        for path, code in items:
            if code in seen:
                first = self.locators[file].line(seen[code])
                self(file, path, f'expected a unique {what} code, got "{code}" again (first on line {first})',
                     "check.duplicate_code", what=what, got=code, first_line=first)
            else:
                seen[code] = path


def _refs(report: _Report, file: str, path: Loc, codes: Iterable[str], known: Collection[str], what: str,
          where: str) -> None:
    for index, code in enumerate(codes):
        if code not in known:
            report(file, path + (index,), f'expected a {what} defined in {where}, got "{code}"',
                   "check.unknown_reference", what=what, where=where, got=code)


def _ref(report: _Report, file: str, path: Loc, code: str | None, known: Collection[str] | None, what: str,
         where: str) -> None:
    if code is not None and known is not None and code not in known:
        report(file, path, f'expected a {what} defined in {where}, got "{code}"',
               "check.unknown_reference", what=what, where=where, got=code)


def _category_items(categories: tuple[CategoryDef, ...], path: Loc) -> Iterable[tuple[Loc, str]]:
    for index, category in enumerate(categories):
        yield path + (index, "code"), category.code
        yield from _category_items(category.children, path + (index, "children"))


def _days_of(spans: Iterable[DateSpan]) -> Iterable[tuple[int, date]]:
    for position, span in enumerate(spans):
        for day in span.days():
            yield position, day


def _check_calendar(report: _Report, index: int, calendar: CalendarDef) -> None:
    file, base = "calendars.yaml", ("calendars", index)
    if calendar.always_open:
        for field in ("hours", "makeup_day_hours", "closures", "openings"):
            if getattr(calendar, field):
                report(file, base + (field,), f"expected no {field} on a calendar that is always_open",
                       "check.always_open_extra", field=field)
        return
    if not any(calendar.weekly_hours().values()):
        report(file, base + ("hours",), "expected working hours on at least one weekday (or always_open: true)",
               "check.no_hours")
    closed: dict[date, int] = {}
    for position, day in _days_of(calendar.closures):
        closed.setdefault(day, position)
    opened: dict[date, int] = {}
    for position, day in _days_of(calendar.openings):
        if day in closed:
            report(file, base + ("openings", position),
                   f"expected each date either closed or opened, but {day} is also in closures[{closed[day]}]",
                   "check.closed_and_opened", day=day.isoformat(), other=f"closures[{closed[day]}]")
        elif day in opened and opened[day] != position:
            report(file, base + ("openings", position),
                   f"expected each date opened once, but {day} is also in openings[{opened[day]}]",
                   "check.date_twice", day=day.isoformat(), other=f"openings[{opened[day]}]")
        opened.setdefault(day, position)


def _check_calendars(report: _Report, doc: CalendarsDoc) -> None:
    file = "calendars.yaml"
    report.unique(file, ((("calendars", i, "code"), c.code) for i, c in enumerate(doc.calendars)), "calendar")
    for index, calendar in enumerate(doc.calendars):
        _check_calendar(report, index, calendar)
    report.unique(file, ((("official_days", i, "year"), str(y.year)) for i, y in enumerate(doc.official_days)),
                  "year")
    for index, year_def in enumerate(doc.official_days):
        kinds: dict[date, str] = {}
        for kind in ("holidays", "workdays"):
            first_of: dict[date, int] = {}
            for position, day in _days_of(getattr(year_def, kind)):
                path = ("official_days", index, kind, position)
                if day.year != year_def.year:
                    report(file, path, f"expected dates in {year_def.year}, got {day}", "check.wrong_year",
                           year=year_def.year, day=day.isoformat())
                elif kinds.get(day, kind) != kind:
                    report(file, path, f"expected {day} to be either a holiday or a working day, not both",
                           "check.holiday_and_workday", day=day.isoformat())
                elif first_of.get(day, position) != position:
                    report(file, path, f"expected each date once, but {day} is also in {kind}[{first_of[day]}]",
                           "check.date_twice", day=day.isoformat(), other=f"{kind}[{first_of[day]}]")
                elif kind == "workdays" and day.weekday() < 5:
                    # 调休: a make-up working day is a weekend day the State Council makes a working one.
                    report(file, path, f"expected a make-up working day on a Saturday or Sunday, got {day} "
                                       f"(a {day.strftime('%A')})", "check.workday_not_weekend",
                           day=day.isoformat(), weekday=day.weekday())
                first_of.setdefault(day, position)
                kinds[day] = kind


def _check_target(report: _Report, path: Loc, target: RouteTarget, known: dict[str, Collection[str] | None]) -> None:
    file = "routing.yaml"
    _ref(report, file, path + ("team",), target.team, known["teams"], "team", "teams.yaml")
    if target.strategy == "nearest" and target.fallback == "nearest":
        report(file, path + ("fallback",), 'expected a fallback other than "nearest" for a nearest rule',
               "check.nearest_fallback")
    if target.grab_countdown is not None and target.strategy != "grab":
        report(file, path + ("grab_countdown",), 'expected grab_countdown only with strategy "grab"',
               "check.grab_countdown")
    if target.max_distance_km is not None and "nearest" not in (target.strategy, target.fallback):
        report(file, path + ("max_distance_km",), 'expected max_distance_km only when the strategy or fallback '
                                                  'is "nearest"', "check.max_distance")


def _check_routing(report: _Report, doc: RoutingDoc, known: dict[str, Collection[str] | None]) -> None:
    file = "routing.yaml"
    codes = [(("rules", i, "code"), r.code) for i, r in enumerate(doc.rules)] + [(("default", "code"),
                                                                                   doc.default.code)]
    report.unique(file, codes, "rule")
    for index, rule in enumerate(doc.rules):
        path: Loc = ("rules", index)
        if known["categories"] is not None:
            _refs(report, file, path + ("match", "categories"), rule.match.categories, known["categories"],
                  "category", "categories.yaml")
        for field in ("within_hours", "outside_hours"):
            _ref(report, file, path + ("match", field), getattr(rule.match, field), known["calendars"],
                 "calendar", "calendars.yaml")
        if rule.match.within_hours is not None and rule.match.within_hours == rule.match.outside_hours:
            report(file, path + ("match", "outside_hours"), "expected a calendar other than the within_hours one",
                   "check.same_calendar")
        _check_target(report, path, rule, known)
    _check_target(report, ("default",), doc.default, known)


def _check_ladder(report: _Report, path: Loc, alerts: tuple[AlertDef, ...]) -> None:
    report.unique("sla.yaml", (((*path, i, "level"), a.level) for i, a in enumerate(alerts)), "alert level")


def _check_sla(report: _Report, doc: SlaDoc, known: dict[str, Collection[str] | None]) -> None:
    file = "sla.yaml"
    codes = [(("policies", i, "code"), p.code) for i, p in enumerate(doc.policies)] + [(("default", "code"),
                                                                                        doc.default.code)]
    report.unique(file, codes, "policy")
    _check_ladder(report, ("alerts",), doc.alerts)
    policies: list[tuple[Loc, Any]] = [(("policies", i), p) for i, p in enumerate(doc.policies)]
    for path, policy in [*policies, (("default",), doc.default)]:
        _ref(report, file, path + ("calendar",), policy.calendar, known["calendars"], "calendar", "calendars.yaml")
        if policy.alerts is not None:
            _check_ladder(report, path + ("alerts",), policy.alerts)
        match = getattr(policy, "match", None)
        if match is not None and known["categories"] is not None:
            _refs(report, file, path + ("match", "categories"), match.categories, known["categories"], "category",
                  "categories.yaml")


def _check_approvals(report: _Report, doc: ApprovalsDoc, known: dict[str, Collection[str] | None]) -> None:
    file = "approvals.yaml"
    codes = [(("graphs", i, "code"), g.code) for i, g in enumerate(doc.graphs)] + [(("default", "code"),
                                                                                    doc.default.code)]
    report.unique(file, codes, "approval graph")
    if known["categories"] is not None:
        for index, graph in enumerate(doc.graphs):
            _refs(report, file, ("graphs", index, "when", "categories"), graph.when.categories,
                  known["categories"], "category", "categories.yaml")


def run_checks(
    documents: Mapping[str, Model], locators: Mapping[str, Locator], team_codes: Collection[str] | None
) -> list[DefinitionProblem]:
    report = _Report(locators)
    known: dict[str, Collection[str] | None] = {"categories": None, "teams": None, "calendars": None}
    categories = documents.get("categories.yaml")
    if isinstance(categories, CategoriesDoc):
        items = list(_category_items(categories.categories, ("categories",)))
        report.unique("categories.yaml", items, "category")
        known["categories"] = {code for _, code in items}
    teams = documents.get("teams.yaml")
    if isinstance(teams, TeamsDoc):
        report.unique("teams.yaml", ((("teams", i, "code"), t.code) for i, t in enumerate(teams.teams)), "team")
        known["teams"] = {team.code for team in teams.teams}
        if team_codes is not None:
            for index, team in enumerate(teams.teams):
                if team.code not in team_codes:
                    report("teams.yaml", ("teams", index, "code"),
                           f'expected a team that exists in the app, got "{team.code}"', "check.team_missing",
                           got=team.code)
    calendars = documents.get("calendars.yaml")
    if isinstance(calendars, CalendarsDoc):
        _check_calendars(report, calendars)
        known["calendars"] = {calendar.code for calendar in calendars.calendars}
    routing = documents.get("routing.yaml")
    if isinstance(routing, RoutingDoc):
        _check_routing(report, routing, known)
    sla = documents.get("sla.yaml")
    if isinstance(sla, SlaDoc):
        _check_sla(report, sla, known)
    approvals = documents.get("approvals.yaml")
    if isinstance(approvals, ApprovalsDoc):
        _check_approvals(report, approvals, known)
    return report.problems
