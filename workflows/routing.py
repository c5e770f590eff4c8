"""Routing: which rule applies to an order, which team gets it and who in the team.

``route`` is the one call: ordered rules, first match wins, ``default`` when none matches; then
the rule's strategy runs over the candidates the caller supplies for the team. The decision
carries its explanation: every rule tried (why it matched or not) and every candidate (score or
exclusion), so that a dispatcher can see why the engine chose someone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from workflows.definition_set import DefinitionSet
from workflows.errors import GrabError, RoutingError
from workflows.schema import RouteTarget, RoutingMatch, RoutingRuleDef
from workflows.strategies import (
    DEFAULT_GRAB_COUNTDOWN,
    Candidate,
    CandidateEvaluation,
    DirectStrategyName,
    Position,
    Reason,
    Requirements,
    StrategyResult,
    apply_direct,
    screen,
)
from workflows.values import (
    CHANNELS,
    PRIORITIES,
    WARRANTY_VERDICTS,
    WEEKDAYS,
    Channel,
    Priority,
    Warranty,
    require_aware,
    to_us,
)

StrategyName = Literal["skills_match", "least_loaded", "nearest", "round_robin", "grab"]


@dataclass(frozen=True)
class OrderFacts:
    """What routing may look at. ``project`` and ``building`` are the app's ids as text."""

    category: str
    priority: Priority
    description: str = ""
    project: str | None = None
    building: str | None = None
    channel: Channel | None = None
    warranty: Warranty = "unknown"
    site: Position | None = None

    def __post_init__(self) -> None:
        for name, value, allowed in (("priority", self.priority, PRIORITIES), ("warranty", self.warranty,
                                     WARRANTY_VERDICTS), ("channel", self.channel or CHANNELS[0], CHANNELS)):
            if value not in allowed:
                raise RoutingError(f"{name} must be one of {', '.join(allowed)}, got {value!r}",
                                   code="routing.invalid_order", details={"field": name, "value": value})


@dataclass(frozen=True)
class RuleTrace:
    rule_code: str
    rule_name: str
    matched: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class RuleMatch:
    rule: RouteTarget
    is_default: bool
    trace: tuple[RuleTrace, ...]


@dataclass(frozen=True)
class GrabOffer:
    """An order offered to a pool (抢单). Whoever grabs first before ``expires_at`` gets it; when the
    countdown ends untaken, ``expire_grab`` applies ``fallback`` to a fresh snapshot."""

    rule_code: str
    rule_name: str
    team: str
    candidate_ids: tuple[str, ...]
    offered_at: datetime
    expires_at: datetime
    fallback: DirectStrategyName
    requirements: Requirements
    site: Position | None
    definitions_version: str


@dataclass(frozen=True)
class Explanation:
    rules: tuple[RuleTrace, ...]
    candidates: tuple[CandidateEvaluation, ...]
    notes: tuple[Reason, ...] = ()

    def summary(self) -> str:
        """A plain-text account of the decision, for logs and the dispatcher's tooltip."""
        lines = []
        for trace in self.rules:
            verdict = "matched" if trace.matched else "skipped"
            because = "; ".join(reason.text for reason in trace.reasons) or "no conditions"
            lines.append(f"rule {trace.rule_code} ({trace.rule_name}): {verdict}: {because}")
        lines.extend(f"note: {note.text}" for note in self.notes)
        for evaluation in self.candidates:
            if evaluation.eligible:
                lines.append(f"candidate {evaluation.candidate_id}: #{evaluation.rank}, {evaluation.detail}")
            else:
                why = "; ".join(reason.text for reason in evaluation.exclusions)
                lines.append(f"candidate {evaluation.candidate_id}: excluded: {why}")
        return "\n".join(lines)


@dataclass(frozen=True)
class RoutingDecision:
    definitions_version: str
    rule_code: str
    rule_name: str
    team: str
    strategy: StrategyName
    applied_strategy: StrategyName
    required_skills: Mapping[str, int]
    assignee: str | None
    offer: GrabOffer | None
    cursor_key: str
    cursor: str | None
    explanation: Explanation


# --- matching ----------------------------------------------------------------------------------------

def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _listed(values: Sequence[str]) -> str:
    return ", ".join(values)


def _conditions(
    definitions: DefinitionSet, match: RoutingMatch, order: OrderFacts, local: datetime, now: datetime
) -> tuple[list[Reason], list[Reason]]:
    """(conditions that hold, conditions that fail) for one rule."""
    held: list[Reason] = []
    failed: list[Reason] = []

    def check(ok: bool, code: str, yes: str, no: str, **params: object) -> None:
        # ``holds`` and the params let the app word the reason in the reader's language.
        (held if ok else failed).append(Reason(code, yes if ok else no, {**params, "holds": ok}))

    if match.categories:
        path = definitions.category_path(order.category)
        within = next((code for code in match.categories if code in path), None)
        label = definitions.category_label(order.category)
        check(within is not None, "rule.category",
              f"category {label} is within {definitions.category(within).name if within else ''}",
              f"category {label} is not within {_listed(match.categories)}",
              category=order.category, listed=list(match.categories), within=within)
    if match.priorities:
        check(order.priority in match.priorities, "rule.priority",
              f"priority {order.priority} is one of {_listed(match.priorities)}",
              f"priority {order.priority} is not one of {_listed(match.priorities)}", priority=order.priority,
              listed=list(match.priorities))
    for name, value in (("project", order.project), ("building", order.building), ("channel", order.channel)):
        listed: tuple[str, ...] = getattr(match, name + "s")
        if listed:
            check(value in listed, f"rule.{name}", f"{name} {value} is one of {_listed(listed)}",
                  f"{name} {value or '(none)'} is not one of {_listed(listed)}", value=value, listed=list(listed))
    if match.warranty:
        check(order.warranty in match.warranty, "rule.warranty",
              f"warranty {order.warranty} is one of {_listed(match.warranty)}",
              f"warranty {order.warranty} is not one of {_listed(match.warranty)}", warranty=order.warranty,
              listed=list(match.warranty))
    if match.keywords:
        text = _normalize(order.description)
        found = [word for word in match.keywords if _normalize(word) in text]
        check(bool(found), "rule.keywords", f"description contains {_listed(found)}",
              f"description contains none of {_listed(match.keywords)}", found=found, listed=list(match.keywords))
    if match.weekdays:
        day = WEEKDAYS[local.weekday()]
        check(day in match.weekdays, "rule.weekday", f"{day} is one of {_listed(match.weekdays)}",
              f"{day} is not one of {_listed(match.weekdays)}", weekday=day, listed=list(match.weekdays))
    if match.hours:
        minute = local.hour * 60 + local.minute
        hit = next((r for r in match.hours if r.contains_minute(minute)), None)
        listed_hours = [str(r) for r in match.hours]
        check(hit is not None, "rule.hours", f"{local:%H:%M} is within {hit}",
              f"{local:%H:%M} is outside {_listed(listed_hours)}", time=f"{local:%H:%M}",
              within=str(hit) if hit is not None else None, listed=listed_hours)
    for name, want_open in (("within_hours", True), ("outside_hours", False)):
        code = getattr(match, name)
        if code is not None:
            is_open = definitions.calendar(code).is_open(now)
            state = "open" if is_open else "closed"
            check(is_open == want_open, f"rule.{name}", f"calendar {code} is {state} at {local:%H:%M}",
                  f"calendar {code} is {state} at {local:%H:%M}", calendar=code, open=is_open,
                  time=f"{local:%H:%M}")
    return held, failed


def match_rule(definitions: DefinitionSet, order: OrderFacts, now: datetime) -> RuleMatch:
    """The first rule whose conditions all hold (else ``default``), with a trace of every rule tried."""
    definitions.category(order.category)
    require_aware(now, "now")
    local = now.astimezone(ZoneInfo(definitions.routing.timezone))
    trace: list[RuleTrace] = []
    rule: RoutingRuleDef
    for rule in definitions.routing.rules:
        held, failed = _conditions(definitions, rule.match, order, local, now)
        if not failed:
            trace.append(RuleTrace(rule.code, rule.name, True, tuple(held)))
            return RuleMatch(rule, False, tuple(trace))
        trace.append(RuleTrace(rule.code, rule.name, False, tuple(failed)))
    default = definitions.routing.default
    trace.append(RuleTrace(default.code, default.name, True,
                           (Reason("rule.default", "no rule above matched; the default applies"),)))
    return RuleMatch(default, True, tuple(trace))


# --- choosing --------------------------------------------------------------------------------------

def requirements_of(rule: RouteTarget) -> Requirements:
    return Requirements(dict(rule.skills), rule.max_open_load, rule.max_distance_km)


def _decision(
    definitions_version: str, rule: RouteTarget, result: StrategyResult, trace: tuple[RuleTrace, ...],
    strategy: StrategyName, notes: tuple[Reason, ...] = (),
) -> RoutingDecision:
    return RoutingDecision(
        definitions_version=definitions_version, rule_code=rule.code, rule_name=rule.name, team=rule.team,
        strategy=strategy, applied_strategy=result.strategy, required_skills=dict(rule.skills),
        assignee=result.chosen, offer=None, cursor_key=rule.team, cursor=result.cursor,
        explanation=Explanation(trace, result.evaluations, notes + result.notes),
    )


def route(
    definitions: DefinitionSet,
    order: OrderFacts,
    candidates_for: Callable[[str], Sequence[Candidate]] | Sequence[Candidate],
    *,
    now: datetime,
    cursors: Mapping[str, str] | None = None,
) -> RoutingDecision:
    """Route an order at ``now``.

    ``candidates_for(team_code)`` returns the snapshot of the team's technicians (a plain sequence
    is accepted when the caller already knows the team). ``cursors`` holds round-robin cursors by
    team code, read only when the rule's strategy or fallback is round-robin; the decision returns
    the team's new cursor in ``cursor``. A decision without an assignee and without an offer means
    nobody is eligible: the order waits in the team's queue.
    """
    match = match_rule(definitions, order, now)
    rule = match.rule
    candidates = list(candidates_for(rule.team) if callable(candidates_for) else candidates_for)
    _check_unique(candidates)
    # Only round-robin reads the team's cursor (the caller may lock it to read it).
    cursor = (cursors or {}).get(rule.team) if "round_robin" in (rule.strategy, rule.fallback) else None
    requirements = requirements_of(rule)
    if rule.strategy != "grab":
        result = apply_direct(rule.strategy, candidates, requirements, site=order.site, cursor=cursor,
                              fallback=rule.fallback)
        return _decision(definitions.version, rule, result, match.trace, rule.strategy)
    exclusions = screen(candidates, requirements)
    eligible = tuple(sorted(c.id for c in candidates if not exclusions[c.id]))
    if not eligible:
        result = apply_direct(rule.fallback, candidates, requirements, site=order.site, cursor=cursor)
        note = Reason("routing.grab_pool_empty", f"nobody is eligible for the grab pool; used {rule.fallback}",
                      {"fallback": rule.fallback})
        return _decision(definitions.version, rule, result, match.trace, "grab", (note,))
    countdown = rule.grab_countdown or DEFAULT_GRAB_COUNTDOWN
    offer = GrabOffer(
        rule_code=rule.code, rule_name=rule.name, team=rule.team, candidate_ids=eligible, offered_at=now,
        expires_at=now + countdown, fallback=rule.fallback, requirements=requirements, site=order.site,
        definitions_version=definitions.version,
    )
    evaluations = tuple(
        CandidateEvaluation(c.id, True, detail="offered in the grab pool", detail_code="candidate.grab_offered")
        if not exclusions[c.id]
        else CandidateEvaluation(c.id, False, exclusions=exclusions[c.id])
        for c in sorted(candidates, key=lambda c: (bool(exclusions[c.id]), c.id))
    )
    note = Reason("routing.grab_offered",
                  f"offered to {len(eligible)} technician(s) for {int(countdown.total_seconds())} s; "
                  f"then {rule.fallback}", {"countdown_seconds": countdown.total_seconds(),
                                            "fallback": rule.fallback, "count": len(eligible)})
    return RoutingDecision(
        definitions_version=definitions.version, rule_code=rule.code, rule_name=rule.name, team=rule.team,
        strategy="grab", applied_strategy="grab", required_skills=dict(rule.skills), assignee=None, offer=offer,
        cursor_key=rule.team, cursor=cursor, explanation=Explanation(match.trace, evaluations, (note,)),
    )


def _check_unique(candidates: Sequence[Candidate]) -> None:
    ids = [c.id for c in candidates]
    if len(set(ids)) != len(ids):
        raise RoutingError("candidate ids must be unique", code="routing.duplicate_candidate",
                           details={"ids": sorted({i for i in ids if ids.count(i) > 1})})


# --- the grab pool ----------------------------------------------------------------------------------

def accept_grab(offer: GrabOffer, candidate_id: str, at: datetime) -> str:
    """Check a grab: the candidate was offered the order and the countdown is still running.
    Which of two simultaneous grabs wins is the database's business (the first committed)."""
    if to_us(at, "at") >= to_us(offer.expires_at):
        raise GrabError("the grab countdown has ended", code="routing.grab_expired",
                        details={"expires_at": offer.expires_at.isoformat()})
    if candidate_id not in offer.candidate_ids:
        raise GrabError("this order was not offered to this technician", code="routing.grab_not_offered",
                        details={"candidate": candidate_id})
    return candidate_id


def expire_grab(
    offer: GrabOffer, candidates: Sequence[Candidate], *, now: datetime, cursor: str | None = None
) -> RoutingDecision:
    """Nobody grabbed before the countdown ended: apply the offer's fallback to a fresh snapshot."""
    if to_us(now, "now") < to_us(offer.expires_at):
        raise GrabError("the grab countdown is still running", code="routing.grab_still_open",
                        details={"expires_at": offer.expires_at.isoformat()})
    _check_unique(candidates)
    result = apply_direct(offer.fallback, list(candidates), offer.requirements, site=offer.site, cursor=cursor)
    waited = int((offer.expires_at - offer.offered_at) / timedelta(seconds=1))
    note = Reason("routing.grab_expired", f"nobody grabbed within {waited} s; used {offer.fallback}",
                  {"fallback": offer.fallback, "waited_seconds": waited})
    return RoutingDecision(
        definitions_version=offer.definitions_version, rule_code=offer.rule_code, rule_name=offer.rule_name,
        team=offer.team, strategy="grab", applied_strategy=result.strategy,
        required_skills=dict(offer.requirements.skills), assignee=result.chosen, offer=None,
        cursor_key=offer.team, cursor=result.cursor, explanation=Explanation((), result.evaluations,
                                                                              (note, *result.notes)),
    )
