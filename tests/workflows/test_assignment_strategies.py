"""The assignment strategies as pure functions over candidate snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.strategies import (
    Candidate,
    Requirements,
    distance_km,
    least_loaded,
    nearest,
    round_robin,
    screen,
    skills_match,
)

SH = ZoneInfo("Asia/Shanghai")
SITE = (31.2231, 121.5397)
PROPERTY = settings(max_examples=150, deadline=None)

positions = st.one_of(st.none(), st.tuples(st.floats(30.8, 31.6), st.floats(121.0, 122.0)))
assigned = st.one_of(st.none(), st.integers(0, 10_000).map(lambda m: datetime(2026, 3, 1, tzinfo=SH)
                                                           + timedelta(minutes=m)))


@st.composite
def teams(draw):
    ids = draw(st.lists(st.sampled_from([f"t{i:02d}" for i in range(30)]), unique=True, max_size=8))
    return [
        Candidate(
            cid,
            skills=draw(st.dictionaries(st.sampled_from(["plumbing", "electrical", "gas"]), st.integers(1, 5))),
            on_duty=draw(st.booleans()),
            open_load=draw(st.integers(0, 6)),
            position=draw(positions),
            last_assigned_at=draw(assigned),
        )
        for cid in ids
    ]


requirements = st.builds(
    Requirements,
    skills=st.dictionaries(st.sampled_from(["plumbing", "electrical"]), st.integers(1, 4), max_size=1),
    max_open_load=st.one_of(st.none(), st.integers(1, 6)),
    max_distance_km=st.one_of(st.none(), st.floats(5, 80)),
)


def _eligible(team, req):
    reasons = screen(team, req)
    return [c for c in team if not reasons[c.id]]


def _check_common(result, team, req):
    assert sorted(e.candidate_id for e in result.evaluations) == sorted(c.id for c in team)
    if result.chosen is not None:
        chosen = next(c for c in team if c.id == result.chosen)
        assert chosen.on_duty
        assert all(chosen.skills.get(skill, 0) >= level for skill, level in req.skills.items())
        assert req.max_open_load is None or chosen.open_load < req.max_open_load
        assert result.evaluations[0].candidate_id == result.chosen and result.evaluations[0].rank == 1
    for evaluation in result.evaluations:
        assert evaluation.eligible == (not evaluation.exclusions)


@PROPERTY
@given(team=teams(), req=requirements)
def test_least_loaded_chooses_an_eligible_candidate_with_the_fewest_open_orders(team, req):
    result = least_loaded(team, req)
    _check_common(result, team, req)
    eligible = _eligible(team, req)
    assert (result.chosen is None) == (not eligible)
    if eligible:
        chosen = next(c for c in team if c.id == result.chosen)
        assert chosen.open_load == min(c.open_load for c in eligible)


@PROPERTY
@given(team=teams(), req=requirements)
def test_skills_match_chooses_the_highest_skill_score(team, req):
    result = skills_match(team, req)
    _check_common(result, team, req)
    eligible = _eligible(team, req)
    if eligible:
        assert result.evaluations[0].score == max(e.score for e in result.evaluations if e.eligible)


@PROPERTY
@given(team=teams(), req=requirements)
def test_nearest_chooses_the_closest_eligible_candidate_within_reach(team, req):
    result = nearest(team, req, SITE)
    _check_common(result, team, req)
    reachable = [c for c in _eligible(team, req) if c.position is not None
                 and (req.max_distance_km is None or distance_km(c.position, SITE) <= req.max_distance_km)]
    assert (result.chosen is None) == (not reachable)
    if reachable:
        chosen = next(c for c in team if c.id == result.chosen)
        assert chosen.position is not None
        assert distance_km(chosen.position, SITE) == min(distance_km(c.position, SITE) for c in reachable)


@PROPERTY
@given(team=teams(), req=requirements, data=st.data())
def test_the_choice_does_not_depend_on_the_order_of_the_snapshot(team, req, data):
    shuffled = data.draw(st.permutations(team))
    for strategy in (least_loaded, skills_match):
        assert strategy(team, req).chosen == strategy(shuffled, req).chosen
    assert nearest(team, req, SITE).chosen == nearest(shuffled, req, SITE).chosen


@PROPERTY
@given(team=teams(), req=requirements, start=st.one_of(st.none(), st.sampled_from(["t00", "t10", "t29"])))
def test_round_robin_visits_every_eligible_candidate_once_per_turn(team, req, start):
    eligible = _eligible(team, req)
    cursor = start
    chosen = []
    for _ in range(len(eligible)):
        result = round_robin(team, req, cursor)
        _check_common(result, team, req)
        chosen.append(result.chosen)
        cursor = result.cursor
    assert sorted(chosen) == sorted(c.id for c in eligible)
    if not eligible:
        assert round_robin(team, req, start).chosen is None


def test_least_loaded_breaks_ties_by_the_longest_wait_since_the_last_assignment():
    earlier = datetime(2026, 3, 2, 9, tzinfo=SH)
    team = [
        Candidate("b", open_load=1, last_assigned_at=earlier + timedelta(hours=1)),
        Candidate("c", open_load=1, last_assigned_at=earlier),
        Candidate("a", open_load=2),
    ]
    assert least_loaded(team, Requirements()).chosen == "c"
    team.append(Candidate("d", open_load=1))
    assert least_loaded(team, Requirements()).chosen == "d"  # never assigned yet


def test_skills_match_prefers_the_higher_level_then_the_lighter_load():
    team = [
        Candidate("senior-busy", skills={"structure": 5}, open_load=6),
        Candidate("senior-free", skills={"structure": 5}, open_load=1),
        Candidate("junior", skills={"structure": 3}),
    ]
    result = skills_match(team, Requirements(skills={"structure": 2}))
    assert [e.candidate_id for e in result.evaluations] == ["senior-free", "senior-busy", "junior"]
    assert result.evaluations[0].detail == "skill score 5, 1 open order"


def test_geodesic_distance_between_peoples_square_and_pudong_is_about_six_km():
    assert 6.0 < distance_km((31.2304, 121.4737), SITE) < 6.6
