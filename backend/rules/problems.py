"""The engine's definition problems in the reader's language: each problem carries a code and its
parameters (``workflows.errors.DefinitionProblem``); the English sentence is the fallback for a code
this table does not know yet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_TEXTS: dict[str, Any] = {
    "yaml.syntax": gettext_lazy("not valid YAML: %(detail)s"),
    "yaml.duplicate_key": gettext_lazy("the key “%(key)s” is written twice (first on line %(first_line)s); "
                                       "write each key once"),
    "file.unknown": gettext_lazy("unknown definition file; expected one of %(expected)s"),
    "file.missing": gettext_lazy("file is missing; a definition set needs %(expected)s"),
    "field.required": gettext_lazy("a value is required here"),
    "field.unknown": gettext_lazy("unknown field; expected one of %(allowed)s"),
    "expected.one_of": gettext_lazy("expected one of %(choices)s, got %(got)s"),
    "expected.whole_number": gettext_lazy("expected a whole number, got %(got)s"),
    "expected.number": gettext_lazy("expected a number, got %(got)s"),
    "expected.boolean": gettext_lazy("expected true or false, got %(got)s"),
    "expected.text": gettext_lazy("expected a text, got %(got)s"),
    "expected.list": gettext_lazy("expected a list, got %(got)s"),
    "expected.mapping": gettext_lazy("expected a mapping of fields, got %(got)s"),
    "expected.greater_than": gettext_lazy("expected a number greater than %(bound)s, got %(got)s"),
    "expected.greater_than_equal": gettext_lazy("expected a number of at least %(bound)s, got %(got)s"),
    "expected.less_than": gettext_lazy("expected a number less than %(bound)s, got %(got)s"),
    "expected.less_than_equal": gettext_lazy("expected a number of at most %(bound)s, got %(got)s"),
    "expected.too_short": gettext_lazy("expected at least %(count)s item(s), got %(got)s"),
    "check.duplicate_code": gettext_lazy("the %(what)s code “%(got)s” is used again (first on line %(first_line)s); "
                                         "codes must be unique"),
    "check.unknown_reference": gettext_lazy("expected a %(what)s defined in %(where)s, got “%(got)s”"),
    "check.closed_and_opened": gettext_lazy("%(day)s is both closed and opened (also in %(other)s)"),
    "check.date_twice": gettext_lazy("%(day)s is listed twice (also in %(other)s); list each date once"),
    "check.wrong_year": gettext_lazy("expected dates in %(year)s, got %(day)s"),
    "check.holiday_and_workday": gettext_lazy("%(day)s cannot be both a holiday and a working day"),
    "check.workday_not_weekend": gettext_lazy("a make-up working day (调休) must be a Saturday or Sunday; "
                                              "%(day)s is not"),
    "check.always_open_extra": gettext_lazy("a calendar that is always open takes no %(field)s"),
    "check.no_hours": gettext_lazy("expected working hours on at least one weekday (or always_open: true)"),
    "check.nearest_fallback": gettext_lazy("a “nearest” rule needs a fallback other than “nearest”"),
    "check.grab_countdown": gettext_lazy("grab_countdown only applies to the “grab” strategy"),
    "check.max_distance": gettext_lazy("max_distance_km only applies when the strategy or fallback is “nearest”"),
    "check.same_calendar": gettext_lazy("expected a calendar other than the within_hours one"),
    "check.team_missing": gettext_lazy("expected a team that exists in the app, got “%(got)s”"),
}
_GENERIC_EXPECTED = gettext_lazy("expected %(expected)s, got %(got)s")
_GENERIC_EXPECTED_SHAPE = gettext_lazy("expected %(expected)s")
_WHAT = {"calendar": gettext_lazy("calendar"), "team": gettext_lazy("team"), "category": gettext_lazy("category"),
         "rule": gettext_lazy("rule"), "policy": gettext_lazy("policy"), "year": gettext_lazy("year"),
         "approval graph": gettext_lazy("approval graph"), "alert level": gettext_lazy("alert level")}


def problem_message(problem: Mapping[str, Any]) -> str:
    """One problem's sentence in the active language."""
    code = str(problem.get("code", ""))
    text = _TEXTS.get(code)
    if text is None and code.startswith("expected.") and "expected" in (problem.get("params") or {}):
        text = _GENERIC_EXPECTED if "got" in problem["params"] else _GENERIC_EXPECTED_SHAPE
    if text is None:
        return str(problem.get("message", ""))
    params = {k: (str(_WHAT.get(v, v)) if k == "what" else v) for k, v in dict(problem.get("params") or {}).items()}
    try:
        return str(text) % params
    except (KeyError, TypeError, ValueError):
        return str(problem.get("message", ""))


def rendered(problems: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Problems with ``text`` (translated) and ``where`` (``routing.yaml:42 rules[3].team``)."""
    out = []
    for problem in problems:
        where = problem["file"] + (f":{problem['line']}" if problem.get("line") else "")
        out.append({**problem, "text": problem_message(problem),
                    "where": f"{where} {problem['path']}".strip() if problem.get("path") else where})
    return out


def summary(count: int) -> str:
    return _("%(count)s problem(s) found; nothing is in force until they are fixed.") % {"count": count}
