"""The form views' edits: each changes one value in a definition file's YAML text and returns the
new text, keeping the file's comments, order and layout (ruamel.yaml round trip). The result goes
through the same loader as a hand edit, so a form can never write what the editor would refuse."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from backend.core.errors import ValidationFailed


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load(text: str) -> Any:
    try:
        return _yaml().load(text)
    except Exception as exc:  # noqa: BLE001 — ruamel raises many kinds; the loader reports the line
        raise ValidationFailed(code="definitions_unreadable",
                               details={"errors": [{"field": "yaml", "reason": str(exc)[:300]}]}) from exc


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _flow_map(**values: Any) -> CommentedMap:
    mapping = CommentedMap(values)
    mapping.fa.set_flow_style()
    return mapping


def _fail(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(details={"errors": [{"field": field, "reason": reason}]})


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# --- approvals.yaml ------------------------------------------------------------------------------

def approval_boundaries(text: str) -> list[dict[str, Any]]:
    """Every amount a graph starts above or ends at, with the graphs that use it."""
    data = _load(text)
    found: dict[Any, list[str]] = {}
    for graph in data.get("graphs") or []:
        amounts = (graph.get("when") or {}).get("amount_yuan") or {}
        for key in ("above", "up_to"):
            if amounts.get(key) is not None:
                found.setdefault(amounts[key], [])
                if graph["code"] not in found[amounts[key]]:
                    found[amounts[key]].append(graph["code"])
    return [{"amount": amount, "graphs": graphs} for amount, graphs in sorted(found.items())]


def approval_threshold_set(text: str, *, old: Decimal, new: Decimal) -> str:
    """Moves an amount boundary: every ``above`` and ``up_to`` equal to ``old`` becomes ``new`` (so
    "finance countersigns above 5 000" becomes "above 3 000" in each graph that shares the border)."""
    if new < 0:
        raise _fail("new", "expected 0 or more")
    data = _load(text)
    changed = 0
    for graph in data.get("graphs") or []:
        amounts = (graph.get("when") or {}).get("amount_yuan")
        if not amounts:
            continue
        for key in ("above", "up_to"):
            if amounts.get(key) is not None and Decimal(str(amounts[key])) == old:
                amounts[key] = _number(new)
                changed += 1
    if not changed:
        raise _fail("old", f"no graph starts above or ends at {old}")
    return _dump(data)


# --- sla.yaml ------------------------------------------------------------------------------------

def _policies(data: Any) -> Iterable[Any]:
    yield from data.get("policies") or []
    if data.get("default") is not None:
        yield data["default"]


def sla_policies(text: str) -> list[dict[str, Any]]:
    return [{"code": p["code"], "name": p.get("name", ""), "targets": dict(p.get("targets") or {})}
            for p in _policies(_load(text))]


def sla_target_set(text: str, *, policy: str, target: str, duration: str) -> str:
    if target not in {"response", "arrival", "resolution"}:
        raise _fail("target", "expected response, arrival or resolution")
    duration = duration.strip()
    if not duration:
        raise _fail("duration", "required")
    data = _load(text)
    for candidate in _policies(data):
        if candidate["code"] == policy:
            targets = candidate.get("targets")
            if targets is None:
                candidate["targets"] = targets = _flow_map()
            targets[target] = duration
            return _dump(data)
    raise _fail("policy", f"no policy {policy!r}")


# --- routing.yaml --------------------------------------------------------------------------------

def routing_rules(text: str) -> list[dict[str, Any]]:
    data = _load(text)
    rules = [{"code": r["code"], "name": r.get("name", ""), "team": r.get("team", ""),
              "strategy": r.get("strategy", ""), "categories": list((r.get("match") or {}).get("categories") or [])}
             for r in data.get("rules") or []]
    return rules


def team_codes(text: str) -> list[str]:
    """The teams a draft's teams.yaml defines (the routing form offers these)."""
    return sorted(str(t["code"]) for t in _load(text).get("teams") or [] if t.get("code"))


def routing_rule_set(text: str, *, rule: str, team: str, categories: list[str]) -> str:
    data = _load(text)
    for candidate in data.get("rules") or []:
        if candidate["code"] != rule:
            continue
        if team:
            candidate["team"] = team
        match = candidate.get("match")
        if categories:
            if match is None:
                candidate["match"] = match = CommentedMap()
            seq = CommentedSeq(categories)
            seq.fa.set_flow_style()
            match["categories"] = seq
        elif match is not None and "categories" in match:
            del match["categories"]
        return _dump(data)
    raise _fail("rule", f"no rule {rule!r}")


# --- calendars.yaml ------------------------------------------------------------------------------

def calendar_codes(text: str) -> list[dict[str, str]]:
    return [{"code": c["code"], "name": c.get("name", "")} for c in _load(text).get("calendars") or []]


def calendar_closure_add(text: str, *, calendar: str, start: date, end: date, reason: str) -> str:
    if end < start:
        raise _fail("end", "expected on or after the first day")
    data = _load(text)
    for candidate in data.get("calendars") or []:
        if candidate["code"] != calendar:
            continue
        closures = candidate.get("closures")
        if closures is None:
            candidate["closures"] = closures = CommentedSeq()
        span = _flow_map(date=start) if start == end else _flow_map(**{"from": start, "to": end})
        if reason.strip():
            span["reason"] = reason.strip()[:100]
        closures.append(span)
        return _dump(data)
    raise _fail("calendar", f"no calendar {calendar!r}")


def _spans(lines: str, field: str) -> CommentedSeq:
    """``2027-02-06..2027-02-13 春节`` or ``2027-02-14 春节调休``, one a line."""
    seq = CommentedSeq()
    for number, raw in enumerate(lines.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        when, _sep, name = line.partition(" ")
        try:
            if ".." in when:
                first, last = (date.fromisoformat(part) for part in when.split("..", 1))
                span = _flow_map(**{"from": first, "to": last})
            else:
                span = _flow_map(date=date.fromisoformat(when))
        except ValueError as exc:
            raise _fail(field, f"line {number}: expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, got {when!r}") from exc
        if name.strip():
            span["name"] = name.strip()[:100]
        seq.append(span)
    return seq


def official_year_set(text: str, *, year: int, notice: str, holidays: str, workdays: str) -> str:
    """Enters (or replaces) the State Council's notice for ``year``; the loader then checks that
    every date is in the year and listed once, and that each 调休 working day is a weekend day."""
    if not notice.strip():
        raise _fail("notice", "required")
    data = _load(text)
    entry = CommentedMap()
    entry["year"] = int(year)
    entry["notice"] = notice.strip()[:200]
    entry["holidays"] = _spans(holidays, "holidays")
    entry["workdays"] = _spans(workdays, "workdays")
    years = data.get("official_days")
    if years is None or not isinstance(years, list):
        data["official_days"] = years = CommentedSeq()
    for index, existing in enumerate(years):
        if int(existing.get("year", 0)) == int(year):
            years[index] = entry
            break
    else:
        years.append(entry)
    return _dump(data)
