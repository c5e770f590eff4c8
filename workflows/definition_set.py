"""A loaded, checked set of definitions, with the indexes the engine needs.

Build one with ``workflows.loader.load_definitions``; never by hand, since only the loader checks
cross-references. A set is immutable and identified by ``version`` (SHA-256 of its canonical
content): an order keeps the version it was routed and timed with.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from types import MappingProxyType

from workflows.calendar import BusinessCalendar, CalendarWarning
from workflows.errors import WorkflowError
from workflows.holidays import OfficialCalendar
from workflows.schema import (
    ApprovalsDoc,
    CalendarsDoc,
    CategoriesDoc,
    CategoryDef,
    RoutingDoc,
    SlaDoc,
    TeamDef,
    TeamsDoc,
)
from workflows.values import Priority


def walk_categories(
    categories: tuple[CategoryDef, ...], parent: str | None = None
) -> Iterator[tuple[CategoryDef, str | None]]:
    """Every category of a tree, depth first, with the code of its parent."""
    for category in categories:
        yield category, parent
        yield from walk_categories(category.children, category.code)


class UnknownCodeError(WorkflowError):
    code = "definitions.unknown_code"


class DefinitionSet:
    def __init__(
        self,
        *,
        version: str,
        sources: Mapping[str, str],
        categories: CategoriesDoc,
        teams: TeamsDoc,
        calendars: CalendarsDoc,
        routing: RoutingDoc,
        sla: SlaDoc,
        approvals: ApprovalsDoc,
    ) -> None:
        self.version = version
        self.sources: Mapping[str, str] = MappingProxyType(dict(sources))
        self.categories_doc = categories
        self.teams_doc = teams
        self.calendars_doc = calendars
        self.routing = routing
        self.sla = sla
        self.approvals = approvals
        self.official = OfficialCalendar(calendars.official_days)
        self._categories: dict[str, CategoryDef] = {}
        self._parents: dict[str, str | None] = {}
        for category, parent in walk_categories(categories.categories):
            self._categories[category.code] = category
            self._parents[category.code] = parent
        self._teams: dict[str, TeamDef] = {team.code: team for team in teams.teams}
        self._calendars: dict[str, BusinessCalendar] = {
            definition.code: BusinessCalendar(definition, self.official) for definition in calendars.calendars
        }

    def __repr__(self) -> str:
        return f"DefinitionSet(version={self.short_version!r})"

    @property
    def short_version(self) -> str:
        return self.version[:12]

    # --- categories ------------------------------------------------------------------------------

    @property
    def category_codes(self) -> frozenset[str]:
        return frozenset(self._categories)

    def category(self, code: str) -> CategoryDef:
        try:
            return self._categories[code]
        except KeyError:
            raise UnknownCodeError(
                f"unknown category {code!r}", code="definitions.unknown_category", details={"category": code}
            ) from None

    def category_path(self, code: str) -> tuple[str, ...]:
        """The codes from the root of the tree down to ``code``."""
        self.category(code)
        path: list[str] = []
        current: str | None = code
        while current is not None:
            path.append(current)
            current = self._parents[current]
        return tuple(reversed(path))

    def category_label(self, code: str) -> str:
        """``水电 / 给排水`` — the names along the path, for explanations."""
        return " / ".join(self._categories[c].name for c in self.category_path(code))

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether ``code`` is ``ancestor`` or lies in its subtree."""
        return ancestor in self.category_path(code)

    def codes_within(self, ancestor: str) -> list[str]:
        """Every category code that is ``ancestor`` or lies in its subtree (a filter's ``IN`` list)."""
        return sorted(c for c in self.category_codes if self.is_within(c, ancestor))

    def default_priority(self, code: str) -> Priority:
        """The category's own default priority (each category states one, P3 unless written)."""
        return self.category(code).default_priority

    # --- teams and calendars ------------------------------------------------------------------------

    @property
    def team_codes(self) -> frozenset[str]:
        return frozenset(self._teams)

    def team(self, code: str) -> TeamDef:
        try:
            return self._teams[code]
        except KeyError:
            raise UnknownCodeError(
                f"unknown team {code!r}", code="definitions.unknown_team", details={"team": code}
            ) from None

    @property
    def calendars(self) -> Mapping[str, BusinessCalendar]:
        return MappingProxyType(self._calendars)

    def calendar(self, code: str) -> BusinessCalendar:
        try:
            return self._calendars[code]
        except KeyError:
            raise UnknownCodeError(
                f"unknown calendar {code!r}", code="definitions.unknown_calendar", details={"calendar": code}
            ) from None

    def health_warnings(self, today: date, lookahead_days: int = 90) -> list[CalendarWarning]:
        """Warnings an administrator must see: calendars that follow official holidays for a year
        (this one, or one starting within ``lookahead_days``) that has no official data yet."""
        years = range(today.year, (today + timedelta(days=lookahead_days)).year + 1)
        return [warning for calendar in self._calendars.values() for warning in calendar.year_warnings(years)]
