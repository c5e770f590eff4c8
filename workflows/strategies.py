"""Assignment strategies: pure functions over a snapshot of candidates.

Every strategy screens the candidates the same way (on duty, required skills, load cap), ranks
the eligible ones by its own measure and returns the evaluation of *every* candidate: the chosen
one ranks first, the others carry their score or the reasons they were excluded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from geopy.distance import geodesic

from workflows.values import to_us

DirectStrategyName = Literal["skills_match", "least_loaded", "nearest", "round_robin"]
Position = tuple[float, float]


@dataclass(frozen=True)
class Reason:
    """A reason a dispatcher can read: a stable ``code`` to translate, English ``text``, ``params``."""

    code: str
    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Candidate:
    """A technician as the routing sees them at one moment."""

    id: str
    skills: Mapping[str, int] = field(default_factory=dict)
    on_duty: bool = True
    open_load: int = 0
    position: Position | None = None
    last_assigned_at: datetime | None = None


@dataclass(frozen=True)
class Requirements:
    skills: Mapping[str, int] = field(default_factory=dict)
    max_open_load: int | None = None
    max_distance_km: float | None = None


@dataclass(frozen=True)
class CandidateEvaluation:
    """``detail`` is English text for logs; ``detail_code`` and ``detail_params`` say the same for a
    reader in any language (the app translates them)."""

    candidate_id: str
    eligible: bool
    rank: int | None = None
    score: float | None = None
    detail: str = ""
    exclusions: tuple[Reason, ...] = ()
    detail_code: str = ""
    detail_params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StrategyResult:
    strategy: DirectStrategyName
    chosen: str | None
    evaluations: tuple[CandidateEvaluation, ...]
    cursor: str | None = None
    notes: tuple[Reason, ...] = ()


def screen(candidates: Sequence[Candidate], requirements: Requirements) -> dict[str, tuple[Reason, ...]]:
    """The reasons each candidate is excluded; an empty tuple means eligible."""
    result: dict[str, tuple[Reason, ...]] = {}
    for candidate in candidates:
        reasons: list[Reason] = []
        if not candidate.on_duty:
            reasons.append(Reason("candidate.off_duty", "off duty"))
        for skill, level in sorted(requirements.skills.items()):
            has = candidate.skills.get(skill, 0)
            if has < level:
                reasons.append(Reason(
                    "candidate.missing_skill",
                    f"skill {skill} at level {has}, needs {level}" if has else f"no {skill} skill (needs level {level})",
                    {"skill": skill, "required": level, "has": has},
                ))
        cap = requirements.max_open_load
        if cap is not None and candidate.open_load >= cap:
            reasons.append(Reason("candidate.at_capacity", f"{candidate.open_load} open orders, limit {cap}",
                                  {"open_load": candidate.open_load, "limit": cap}))
        result[candidate.id] = tuple(reasons)
    return result


def _last_assigned_key(candidate: Candidate) -> tuple[int, int]:
    """Never assigned first, then the longest since the last assignment."""
    if candidate.last_assigned_at is None:
        return (0, 0)
    return (1, to_us(candidate.last_assigned_at, "last_assigned_at"))


def _rank(
    strategy: DirectStrategyName,
    candidates: Sequence[Candidate],
    exclusions: Mapping[str, tuple[Reason, ...]],
    key: Callable[[Candidate], tuple[Any, ...]],
    describe: Callable[[Candidate], tuple[float | None, Reason]],
    notes: tuple[Reason, ...] = (),
) -> StrategyResult:
    eligible = sorted((c for c in candidates if not exclusions[c.id]), key=key)
    ranks = {candidate.id: position for position, candidate in enumerate(eligible, start=1)}
    evaluations = []
    for candidate in candidates:
        if exclusions[candidate.id]:
            evaluations.append(CandidateEvaluation(candidate.id, False, exclusions=exclusions[candidate.id]))
        else:
            score, detail = describe(candidate)
            evaluations.append(CandidateEvaluation(candidate.id, True, ranks[candidate.id], score, detail.text,
                                                   detail_code=detail.code, detail_params=dict(detail.params)))
    evaluations.sort(key=lambda e: (e.rank is None, e.rank or 0, e.candidate_id))
    chosen = eligible[0].id if eligible else None
    return StrategyResult(strategy, chosen, tuple(evaluations), notes=notes)


def _load_text(candidate: Candidate) -> str:
    return f"{candidate.open_load} open order{'s' if candidate.open_load != 1 else ''}"


def _load_reason(candidate: Candidate) -> Reason:
    return Reason("candidate.load", _load_text(candidate), {"open_load": candidate.open_load})


def least_loaded(candidates: Sequence[Candidate], requirements: Requirements) -> StrategyResult:
    """Fewest open orders; ties go to whoever waited longest since their last assignment."""
    return _rank(
        "least_loaded", candidates, screen(candidates, requirements),
        key=lambda c: (c.open_load, _last_assigned_key(c), c.id),
        describe=lambda c: (float(c.open_load), _load_reason(c)),
    )


def _skill_score(candidate: Candidate, requirements: Requirements) -> int:
    skills = requirements.skills or candidate.skills
    return sum(candidate.skills.get(skill, 0) for skill in skills)


def skills_match(candidates: Sequence[Candidate], requirements: Requirements) -> StrategyResult:
    """Highest total level in the required skills (all skills when none is required); ties by load."""
    def describe(candidate: Candidate) -> tuple[float, Reason]:
        score = _skill_score(candidate, requirements)
        return float(score), Reason("candidate.skill_score", f"skill score {score}, {_load_text(candidate)}",
                                    {"score": score, "open_load": candidate.open_load})

    return _rank(
        "skills_match", candidates, screen(candidates, requirements),
        key=lambda c: (-_skill_score(c, requirements), c.open_load, _last_assigned_key(c), c.id),
        describe=describe,
    )


def distance_km(a: Position, b: Position) -> float:
    """Geodesic distance on the WGS-84 ellipsoid, in kilometres."""
    return float(geodesic(a, b).km)


def nearest(candidates: Sequence[Candidate], requirements: Requirements, site: Position) -> StrategyResult:
    """Shortest geodesic distance from the technician's last known position to the site."""
    exclusions = dict(screen(candidates, requirements))
    distances: dict[str, float] = {}
    for candidate in candidates:
        if candidate.position is None:
            exclusions[candidate.id] += (Reason("candidate.no_position", "no known position"),)
            continue
        try:
            distances[candidate.id] = distance_km(candidate.position, site)
        except ValueError:
            exclusions[candidate.id] += (Reason("candidate.invalid_position", "position is not a valid coordinate"),)
            continue
        limit = requirements.max_distance_km
        if limit is not None and distances[candidate.id] > limit:
            exclusions[candidate.id] += (Reason(
                "candidate.too_far", f"{distances[candidate.id]:.1f} km away, limit {limit:g} km",
                {"distance_km": round(distances[candidate.id], 3), "limit_km": limit},
            ),)
    return _rank(
        "nearest", candidates, exclusions,
        key=lambda c: (distances[c.id], c.open_load, c.id),
        describe=lambda c: (round(distances[c.id], 3), Reason(
            "candidate.distance", f"{distances[c.id]:.1f} km away, {_load_text(c)}",
            {"distance_km": round(distances[c.id], 3), "open_load": c.open_load})),
    )


def round_robin(candidates: Sequence[Candidate], requirements: Requirements, cursor: str | None) -> StrategyResult:
    """The next eligible candidate after ``cursor`` (the last one chosen) in id order, wrapping
    around. The returned ``cursor`` is the one to pass next time."""
    exclusions = screen(candidates, requirements)
    ordered = sorted(c.id for c in candidates if not exclusions[c.id])
    after = [cid for cid in ordered if cursor is not None and cid > cursor]
    rotation = after + [cid for cid in ordered if cid not in after]
    position = {cid: index for index, cid in enumerate(rotation)}
    result = _rank(
        "round_robin", candidates, exclusions,
        key=lambda c: (position[c.id],),
        describe=lambda c: (float(position[c.id] + 1), Reason(
            "candidate.rotation", f"position {position[c.id] + 1} in the rotation", {"position": position[c.id] + 1})),
    )
    return StrategyResult(result.strategy, result.chosen, result.evaluations,
                          cursor=result.chosen if result.chosen is not None else cursor)


def apply_direct(
    strategy: DirectStrategyName,
    candidates: Sequence[Candidate],
    requirements: Requirements,
    *,
    site: Position | None,
    cursor: str | None,
    fallback: DirectStrategyName = "least_loaded",
) -> StrategyResult:
    """Run one strategy. ``nearest`` falls back to ``fallback`` when it can choose nobody although
    some candidates pass the screening (site without coordinates, no known position within reach)."""
    if strategy == "least_loaded":
        return least_loaded(candidates, requirements)
    if strategy == "skills_match":
        return skills_match(candidates, requirements)
    if strategy == "round_robin":
        return round_robin(candidates, requirements, cursor)
    if site is not None:
        result = nearest(candidates, requirements, site)
        if result.chosen is not None or not any(not r for r in screen(candidates, requirements).values()):
            return result
        why = Reason("routing.nearest_nobody_in_reach",
                     f"nearest found no eligible technician with a known position in reach; used {fallback}",
                     {"fallback": fallback})
    else:
        why = Reason("routing.site_without_position",
                     f"the site has no coordinates, so nearest cannot rank; used {fallback}", {"fallback": fallback})
    if fallback == "nearest":
        fallback = "least_loaded"
    fallen = apply_direct(fallback, candidates, requirements, site=site, cursor=cursor)
    return StrategyResult(fallen.strategy, fallen.chosen, fallen.evaluations, fallen.cursor, (why, *fallen.notes))


DEFAULT_GRAB_COUNTDOWN = timedelta(seconds=15)
