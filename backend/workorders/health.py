"""Conditions an administrator must act on, reported by /api/v1/health under ``warnings``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.accounts.models import Team
from backend.core.dates import business_date
from backend.workorders.definitions import active_definitions


def definitions_warnings(now: datetime) -> list[dict[str, Any]]:
    definitions = active_definitions()
    warnings: list[dict[str, Any]] = [
        {"code": w.code, "calendar": w.calendar, "year": w.year, "message": w.message}
        for w in definitions.health_warnings(business_date(now))
    ]
    known = set(Team.objects.values_list("code", flat=True))
    missing = sorted(definitions.team_codes - known)
    if missing:
        warnings.append({"code": "definitions.teams_missing", "teams": missing,
                         "message": "routing rules name teams that do not exist: " + ", ".join(missing)})
    return warnings
