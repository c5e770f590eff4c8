"""Hypothesis: publishing a routing change and then rolling it back routes every order as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.accounts.roles import Role
from backend.rules import edits
from backend.rulesets.errors import NothingToPublish
from backend.rulesets.selectors import read_live_pointer
from backend.rulesets.services import shipped_sources, version_publish, version_restore
from backend.workorders.definitions import active_definitions
from tests.factories import user_with_roles
from workflows.loader import load_default_definitions
from workflows.routing import OrderFacts, match_rule
from workflows.values import CHANNELS, PRIORITIES

pytestmark = pytest.mark.django_db

SHIPPED = load_default_definitions()
RULES = [rule.code for rule in SHIPPED.routing.rules]
TEAMS = sorted(SHIPPED.team_codes)
CATEGORIES = sorted(SHIPPED.category_codes)
WORDS = ["漏水", "燃气", "停电", "墙面开裂", "地下室渗水", "门锁坏了", "", "急"]

orders = st.lists(st.builds(
    OrderFacts, category=st.sampled_from(CATEGORIES), priority=st.sampled_from(PRIORITIES),
    description=st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join),
    project=st.sampled_from([None, "P-001", "P-002"]), channel=st.sampled_from(CHANNELS),
), min_size=1, max_size=12)
instants = st.integers(min_value=0, max_value=14 * 24 * 60).map(
    lambda minutes: datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=minutes))


def _routes(facts: list[OrderFacts], at: datetime) -> list[tuple[str, str, str]]:
    definitions = active_definitions()
    return [(m.rule.code, m.rule.team, m.rule.strategy)
            for m in (match_rule(definitions, order, at) for order in facts)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(facts=orders, at=instants, rule=st.sampled_from(RULES), team=st.sampled_from(TEAMS),
       categories=st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True))
def test_publishing_then_rolling_back_gives_the_same_routing_as_before(facts, at, rule, team, categories):
    admin = user_with_roles(Role.ADMINISTRATOR)
    before_pointer = read_live_pointer()
    before = _routes(facts, at)
    sources = shipped_sources() if before_pointer is None else dict(active_definitions().sources)
    changed = dict(sources)
    changed["routing.yaml"] = edits.routing_rule_set(sources["routing.yaml"], rule=rule, team=team,
                                                     categories=categories)
    if changed["routing.yaml"] == sources["routing.yaml"]:
        return
    try:
        published = version_publish(actor=admin, sources=changed, note="试验", expected_live=None,
                                    now=at)
    except NothingToPublish:  # the change equals the rules in force
        return
    assert active_definitions().version == published.content_hash
    number = before_pointer[0] if before_pointer else 1
    version_restore(actor=admin, number=number, note="回滚", expected_live=published.number, now=at)
    assert _routes(facts, at) == before
