"""Optional read replica for the analytics pages.

With ``ANALYTICS_DATABASE_URL`` set (a PostgreSQL streaming replica of the main database, see
docs/analytics.md), every read made while an analytics page is served goes to the ``analytics``
database alias — the roll-ups and the registry names alike, so a page reads one consistent copy — and
every write still goes to ``default``. Without it, nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

ALIAS = "analytics"
_reading: ContextVar[bool] = ContextVar("analytics_reads", default=False)


@contextmanager
def analytics_reads() -> Iterator[None]:
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


class AnalyticsReadRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reading.get() and ALIAS in settings.DATABASES:
            return ALIAS
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True if ALIAS in settings.DATABASES else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == ALIAS else None  # a replica follows the primary's schema
