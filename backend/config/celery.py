"""The Celery application. Broker: Redis in production, a filesystem transport in embedded mode."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.base")

app = Celery("anxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Each task reads the rule version in force once, at its start: a publish is seen by the next task
# without restarting the worker (backend.rulesets.selectors). Wiring a third-party app's signals.
_rules_tokens: dict[str, object] = {}


@task_prerun.connect
def _rules_scope_open(task_id: str | None = None, **_kwargs: object) -> None:
    from backend.rulesets.selectors import open_scope

    if task_id is not None:
        _rules_tokens[task_id] = open_scope()


@task_postrun.connect
def _rules_scope_close(task_id: str | None = None, **_kwargs: object) -> None:
    from backend.rulesets.selectors import close_scope

    token = _rules_tokens.pop(task_id, None) if task_id is not None else None
    if token is not None:
        close_scope(token)  # type: ignore[arg-type]
