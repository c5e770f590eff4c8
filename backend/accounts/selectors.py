from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from backend.accounts.access import ensure_role, is_administrator, user_roles
from backend.accounts.models import DeviceToken, Team, User
from backend.accounts.roles import STAFF_ROLES


def me_get(*, actor: User) -> dict[str, Any]:
    return {
        "id": actor.id,
        "username": actor.username,
        "display_name": actor.display_name,
        "roles": sorted(user_roles(actor)),
        "team_codes": sorted(actor.teams.values_list("code", flat=True)),
    }


def device_token_list(*, actor: User) -> QuerySet[DeviceToken]:
    qs = DeviceToken.objects.all() if is_administrator(actor) else DeviceToken.objects.filter(user=actor)
    return qs.order_by("-created_at")


def team_list(*, actor: User) -> list[dict[str, Any]]:
    ensure_role(actor, STAFF_ROLES)
    teams = Team.objects.annotate(member_count=Count("members", distinct=True)).prefetch_related("projects")
    return [
        {
            "id": t.id,
            "code": t.code,
            "name": t.name,
            "supervisor_id": t.supervisor_id,
            "category_codes": list(t.category_codes),
            "project_ids": [p.id for p in t.projects.all()],
            "member_count": t.member_count,
        }
        for t in teams
    ]
