"""The rule definitions in force, and JSON views of the engine's plain-data answers."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from backend.rulesets.selectors import definitions_of_version, live_definitions
from workflows.definition_set import DefinitionSet


def active_definitions() -> DefinitionSet:
    """The rule set in force for work that starts now: the newest published version in the
    database (the shipped YAML is version 1), read once per request or task (``backend.rulesets``)."""
    return live_definitions()


def definitions_for(version: str) -> DefinitionSet:
    """The rule set an order was routed and timed with (its ``definitions_version``), so that its
    clocks keep their rules after a publish; the set in force when that version is unknown."""
    return definitions_of_version(version) or live_definitions()


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
