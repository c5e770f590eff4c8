from __future__ import annotations

import os
from datetime import datetime

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.utils import translation


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "processes: starts real processes (daphne, Celery workers, Node); "
                                       "`-m 'not processes'` skips them in a quick local loop")


# The tests that start real processes and take most of a run's time: CI runs them once; a quick
# local loop skips them with -m "not processes".
PROCESS_HEAVY = ("tests/core/test_celery_processes.py", "tests/notifications/test_worker_end_to_end.py",
                 "tests/workorders/test_sla_alerts_survive_kill.py", "tests/e2e/test_watermelondb_client.py",
                 "tests/rulesets/test_other_process_sees_a_publish.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(PROCESS_HEAVY):
            item.add_marker(pytest.mark.processes)


@pytest.fixture(scope="session", autouse=True)
def _clock_at_the_given_hour():
    """``ANXIN_TEST_CLOCK=2026-12-01T23:30+08:00 ./run test`` runs the suite as if started at that
    moment (the clock still ticks): the date-sensitive rules must hold at 23:30 and 00:30 Shanghai.
    Processes a test starts (daphne, Celery) keep the machine's clock."""
    at = os.environ.get("ANXIN_TEST_CLOCK")
    if not at:
        yield None
        return
    with time_machine.travel(datetime.fromisoformat(at), tick=True):
        yield at


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the product's default language (Chinese). A request in English leaves the
    thread's language active after it (Django's LocaleMiddleware does not reset it), which made a later
    test's labels English depending on the order the suite ran in."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache (Redis in CI): every test starts from zero."""
    cache.clear()
    yield
    cache.clear()
