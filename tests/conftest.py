from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache (Redis in CI): every test starts from zero."""
    cache.clear()
    yield
    cache.clear()
