"""Routing: first matching rule wins, every decision explains itself, the grab pool counts down."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workflows.definition_set import UnknownCodeError
from workflows.errors import GrabError, RoutingError
from workflows.loader import load_definitions
from workflows.routing import OrderFacts, accept_grab, expire_grab, match_rule, route
from workflows.strategies import Candidate

SITE = (31.2231, 121.5397)  # a project in Pudong
PEOPLES_SQUARE = (31.2304, 121.4737)  # about 6 km from the site
AIRPORT = (31.1443, 121.8083)  # about 27 km
SUZHOU = (31.2989, 120.5853)  # about 91 km


def tech(cid, skills=None, **fields):
    return Candidate(cid, skills=skills or {}, **fields)


def test_a_gas_leak_goes_to_the_nearest_gas_technician_and_says_why(definitions, sh):
    order = OrderFacts(category="gas-leak", priority="P1", description="厨房有燃气味", site=SITE)
    team = [
        tech("far", {"gas": 3}, position=AIRPORT),
        tech("near", {"gas": 2}, position=PEOPLES_SQUARE, open_load=4),
        tech("novice", {"gas": 1}, position=SITE),
        tech("resting", {"gas": 3}, position=SITE, on_duty=False),
        tech("lost", {"gas": 3}),
        tech("suzhou", {"gas": 3}, position=SUZHOU),
    ]
    decision = route(definitions, order, lambda code: team if code == "gas-team" else [], now=sh(2026, 3, 2, 10))
    assert (decision.rule_code, decision.team, decision.strategy, decision.assignee) == (
        "gas", "gas-team", "nearest", "near")
    assert decision.definitions_version == definitions.version
    [trace] = decision.explanation.rules
    assert trace.matched and "category 燃气 / 燃气泄漏 is within 燃气" in trace.reasons[0].text
    by_id = {e.candidate_id: e for e in decision.explanation.candidates}
    assert by_id["near"].rank == 1 and by_id["far"].rank == 2
    assert 5 < by_id["near"].score < 8 and 25 < by_id["far"].score < 30
    assert [r.code for r in by_id["novice"].exclusions] == ["candidate.missing_skill"]
    assert [r.code for r in by_id["resting"].exclusions] == ["candidate.off_duty"]
    assert [r.code for r in by_id["lost"].exclusions] == ["candidate.no_position"]
    assert [r.code for r in by_id["suzhou"].exclusions] == ["candidate.too_far"]
    assert "candidate near: #1" in decision.explanation.summary()


def test_rules_before_the_match_are_listed_with_the_conditions_that_failed(definitions, sh):
    order = OrderFacts(category="wall-paint", priority="P4", description="客厅墙面起皮")
    match = match_rule(definitions, order, sh(2026, 3, 2, 10))  # a Monday
    assert match.rule.code == "fit-out"
    skipped = {t.rule_code: t for t in match.trace if not t.matched}
    assert "fit-out-weekend" in skipped
    assert skipped["fit-out-weekend"].reasons[0].text == "mon is not one of sat, sun"
    assert [t.rule_code for t in match.trace][-1] == "fit-out"


def test_keywords_in_the_chinese_description_select_the_burst_pipe_rule(definitions, sh):
    order = OrderFacts(category="bathroom-leak", priority="P2", description="楼上卫生间往下滴水，天花板湿了")
    match = match_rule(definitions, order, sh(2026, 3, 2, 10))
    assert match.rule.code == "burst-pipe"
    assert any(r.text == "description contains 滴水" for r in match.trace[-1].reasons)
    without = OrderFacts(category="bathroom-leak", priority="P2", description="墙角发霉")
    assert match_rule(definitions, without, sh(2026, 3, 2, 10)).rule.code == "waterproofing"


def test_keyword_matching_ignores_full_width_letters_and_case(default_texts, sh):
    texts = dict(default_texts)
    texts["routing.yaml"] = texts["routing.yaml"].replace("keywords: [漏水,", "keywords: [PPR管, 漏水,")
    variant = load_definitions(texts)
    order = OrderFacts(category="water-supply", priority="P1", description="厨房ｐｐｒ管接头坏了")
    match = match_rule(variant, order, sh(2026, 3, 2, 10))
    assert match.rule.code == "burst-pipe"
    assert match.trace[-1].reasons[-1].text == "description contains PPR管"


def test_an_emergency_after_office_hours_goes_to_the_on_call_team(definitions, sh):
    order = OrderFacts(category="power-outage", priority="P1", description="全屋停电")
    evening = match_rule(definitions, order, sh(2026, 3, 2, 20, 0))
    assert evening.rule.code == "after-hours-emergency"
    assert evening.trace[-1].reasons[-1].text == "calendar office is closed at 20:00"
    national_day = match_rule(definitions, order, sh(2025, 10, 2, 10, 0))
    assert national_day.rule.code == "after-hours-emergency"
    morning = match_rule(definitions, order, sh(2026, 3, 2, 10, 0))
    assert morning.rule.code == "electrical"


def test_an_order_no_rule_covers_falls_to_the_default_rule(definitions, sh):
    order = OrderFacts(category="plumbing-electrical", priority="P3", description="不确定是什么问题")
    decision = route(definitions, order, [tech("desk-1"), tech("desk-2", open_load=1)], now=sh(2026, 3, 2, 10))
    assert (decision.rule_code, decision.team, decision.assignee) == ("service-desk", "service-desk", "desk-1")
    assert decision.explanation.rules[-1].reasons[0].code == "rule.default"


def test_an_unknown_category_is_refused(definitions, sh):
    with pytest.raises(UnknownCodeError):
        route(definitions, OrderFacts(category="nope", priority="P3"), [], now=sh(2026, 3, 2, 10))


def test_duplicate_candidates_are_refused(definitions, sh):
    order = OrderFacts(category="tiles", priority="P4")
    with pytest.raises(RoutingError) as error:
        route(definitions, order, [tech("a"), tech("a")], now=sh(2026, 3, 2, 10))
    assert error.value.code == "routing.duplicate_candidate"


def test_nearest_falls_back_to_least_loaded_when_the_site_has_no_coordinates(definitions, sh):
    order = OrderFacts(category="gas-fittings", priority="P2")
    team = [tech("busy", {"gas": 2}, open_load=3, position=SITE), tech("free", {"gas": 2}, open_load=0)]
    decision = route(definitions, order, team, now=sh(2026, 3, 2, 10))
    assert (decision.strategy, decision.applied_strategy, decision.assignee) == ("nearest", "least_loaded", "free")
    assert decision.explanation.notes[0].code == "routing.site_without_position"


def test_nobody_eligible_leaves_the_order_unassigned_with_the_reasons(definitions, sh):
    order = OrderFacts(category="slab-crack", priority="P2")
    decision = route(definitions, order, [tech("junior", {"structure": 1})], now=sh(2026, 3, 2, 10))
    assert decision.assignee is None and decision.offer is None
    assert decision.explanation.candidates[0].exclusions[0].text == "skill structure at level 1, needs 2"


def test_round_robin_takes_the_cursor_and_returns_the_next_one(definitions, sh):
    order = OrderFacts(category="window-hardware", priority="P4")
    team = [tech("w1"), tech("w2"), tech("w3", on_duty=False)]
    first = route(definitions, order, team, now=sh(2026, 3, 2, 10))
    assert (first.assignee, first.cursor_key, first.cursor) == ("w1", "doors-windows-team", "w1")
    second = route(definitions, order, team, now=sh(2026, 3, 2, 10), cursors={"doors-windows-team": "w1"})
    third = route(definitions, order, team, now=sh(2026, 3, 2, 10), cursors={"doors-windows-team": "w2"})
    assert (second.assignee, third.assignee) == ("w2", "w1")


def test_a_weekend_fit_out_order_is_offered_to_the_grab_pool_for_15_seconds(definitions, sh):
    order = OrderFacts(category="tiles", priority="P4", description="瓷砖空鼓", site=SITE)
    team = [tech("c1", open_load=2), tech("c2", open_load=1), tech("c3", on_duty=False)]
    now = sh(2026, 3, 7, 10, 0)  # a Saturday
    decision = route(definitions, order, team, now=now)
    offer = decision.offer
    assert decision.strategy == "grab" and decision.assignee is None and offer is not None
    assert offer.candidate_ids == ("c1", "c2")
    assert offer.expires_at - offer.offered_at == timedelta(seconds=15)
    assert accept_grab(offer, "c1", now + timedelta(seconds=14)) == "c1"
    with pytest.raises(GrabError) as late:
        accept_grab(offer, "c1", now + timedelta(seconds=15))
    assert late.value.code == "routing.grab_expired"
    with pytest.raises(GrabError) as stranger:
        accept_grab(offer, "c3", now + timedelta(seconds=1))
    assert stranger.value.code == "routing.grab_not_offered"


def test_an_untaken_grab_falls_back_when_the_countdown_ends(definitions, sh):
    order = OrderFacts(category="tiles", priority="P4", site=SITE)
    team = [tech("c1", open_load=2), tech("c2", open_load=1)]
    now = sh(2026, 3, 7, 10, 0)
    offer = route(definitions, order, team, now=now).offer
    assert offer is not None
    with pytest.raises(GrabError) as early:
        expire_grab(offer, team, now=now + timedelta(seconds=10))
    assert early.value.code == "routing.grab_still_open"
    fallback = expire_grab(offer, team, now=now + timedelta(seconds=15))
    assert (fallback.strategy, fallback.applied_strategy, fallback.assignee) == ("grab", "least_loaded", "c2")
    assert fallback.explanation.notes[0].code == "routing.grab_expired"


def test_a_grab_pool_with_nobody_eligible_falls_back_at_once(definitions, sh):
    order = OrderFacts(category="tiles", priority="P4")
    decision = route(definitions, order, [tech("c1", on_duty=False)], now=sh(2026, 3, 7, 10, 0))
    assert decision.offer is None and decision.assignee is None
    assert decision.explanation.notes[0].code == "routing.grab_pool_empty"


def test_the_load_cap_of_a_rule_excludes_busy_technicians(definitions, sh):
    order = OrderFacts(category="drainage", priority="P3")
    team = [tech("busy", {"plumbing": 3}, open_load=8), tech("ok", {"plumbing": 1}, open_load=7)]
    decision = route(definitions, order, team, now=sh(2026, 3, 2, 10))
    assert decision.assignee == "ok"
    busy = next(e for e in decision.explanation.candidates if e.candidate_id == "busy")
    assert busy.exclusions[0].code == "candidate.at_capacity"


def test_order_facts_with_an_impossible_priority_or_channel_are_refused():
    with pytest.raises(RoutingError) as priority:
        OrderFacts(category="tiles", priority="P5")
    assert priority.value.details == {"field": "priority", "value": "P5"}
    with pytest.raises(RoutingError):
        OrderFacts(category="tiles", priority="P3", channel="fax")


VIP_RULE = """rules:
  - code: vip-night
    name: 重点项目夜间电话报修
    match:
      projects: [p-vip]
      buildings: [b-1, b-2]
      channels: [phone]
      warranty: [in]
      hours: ["18:00-08:00"]
    team: emergency-team
    strategy: least_loaded
"""


def test_project_building_channel_warranty_and_time_of_day_conditions_all_must_hold(default_texts, sh):
    texts = dict(default_texts)
    texts["routing.yaml"] = texts["routing.yaml"].replace("rules:\n", VIP_RULE, 1)
    variant = load_definitions(texts)
    order = OrderFacts(category="tiles", priority="P4", project="p-vip", building="b-2", channel="phone",
                       warranty="in")
    for hour, minute in ((23, 0), (7, 59), (18, 0)):
        assert match_rule(variant, order, sh(2026, 3, 3, hour, minute)).rule.code == "vip-night"
    noon = match_rule(variant, order, sh(2026, 3, 3, 12, 0))
    assert noon.rule.code == "fit-out"
    assert [r.text for r in noon.trace[0].reasons] == ["12:00 is outside 18:00-08:00"]
    other = OrderFacts(category="tiles", priority="P4", project="p-1", building="b-2", channel="qr",
                       warranty="out")
    failed = match_rule(variant, other, sh(2026, 3, 3, 23, 0)).trace[0].reasons
    assert [r.code for r in failed] == ["rule.project", "rule.channel", "rule.warranty"]
    assert failed[1].text == "channel qr is not one of phone"
