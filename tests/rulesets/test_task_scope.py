"""A Celery task reads the rule version in force once, when it starts (task_prerun), and keeps it to
the end (task_postrun): a worker needs no restart, and one task never mixes two versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from celery.signals import task_postrun, task_prerun

from backend.accounts.roles import Role
from backend.config import celery as celery_config
from backend.rulesets.models import RuleVersion
from backend.rulesets.selectors import live_pointer
from tests.factories import user_with_roles
from tests.rulesets.helpers import lowered_finance_threshold
from workflows.loader import load_definitions

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def test_the_scope_handlers_are_connected_to_celerys_task_signals():
    assert celery_config._rules_scope_open in [ref() for _key, ref in task_prerun.receivers]
    assert celery_config._rules_scope_close in [ref() for _key, ref in task_postrun.receivers]


def test_a_task_keeps_the_version_it_started_with_and_the_next_task_sees_a_publish(django_assert_num_queries):
    admin = user_with_roles(Role.ADMINISTRATOR)
    task_prerun.send(sender=None, task_id="task-1", task=None)
    try:
        with django_assert_num_queries(0):  # read once at the start, not per call
            started = live_pointer()
        # Another process publishes while this task runs (its own commit, outside this task).
        sources = lowered_finance_threshold()
        RuleVersion.objects.create(number=2, content_hash=load_definitions(sources).version, sources=sources,
                                   note="门槛", author=admin, published_at=NOW)
        assert live_pointer() == started  # the running task keeps its version
    finally:
        task_postrun.send(sender=None, task_id="task-1", task=None)
    task_prerun.send(sender=None, task_id="task-2", task=None)
    try:
        assert live_pointer() is not None and live_pointer()[0] == 2
    finally:
        task_postrun.send(sender=None, task_id="task-2", task=None)
