"""The rule definitions in force, and JSON views of the engine's plain-data answers."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from workflows.definition_set import DefinitionSet
from workflows.loader import load_default_definitions


def active_definitions() -> DefinitionSet:
    """The rule set in force: the shipped defaults (the loader caches them per process). Orders store
    ``version``. The one place to change when definitions come from the database."""
    return load_default_definitions()


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value
