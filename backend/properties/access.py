"""Who may see and change the registry, and the lookups that hide what the actor may not see.

Registry readers (customer service, dispatchers, managers, sales, handover staff) see every project
of the developer; there is no per-project partition of the registry today. Every read still starts
from ``projects_visible_to`` so that introducing one later changes this file only.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from backend.accounts.access import ensure_role
from backend.accounts.roles import REGISTRY_MANAGERS, REGISTRY_READERS, Role
from backend.core.errors import NotFound
from backend.properties.models import Building, Project, PublicArea, Unit

# Who may register homeowners and their ownerships: handover staff hand the keys over.
OWNER_REGISTRARS = frozenset({Role.ADMINISTRATOR, Role.HANDOVER_OFFICER})


def ensure_registry_reader(actor: Any) -> None:
    ensure_role(actor, REGISTRY_READERS)


def ensure_registry_manager(actor: Any) -> None:
    ensure_role(actor, REGISTRY_MANAGERS)


def ensure_owner_registrar(actor: Any) -> None:
    ensure_role(actor, OWNER_REGISTRARS)


def projects_visible_to(actor: Any) -> QuerySet[Project]:
    ensure_registry_reader(actor)
    return Project.objects.all()


def buildings_visible_to(actor: Any) -> QuerySet[Building]:
    return Building.objects.filter(project__in=projects_visible_to(actor))


def units_visible_to(actor: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(building__project__in=projects_visible_to(actor))


def public_areas_visible_to(actor: Any) -> QuerySet[PublicArea]:
    return PublicArea.objects.filter(project__in=projects_visible_to(actor))


def _get_or_404(qs: QuerySet[Any], object_id: UUID | str, name: str) -> Any:
    obj = qs.filter(id=object_id).first()
    if obj is None:
        raise NotFound(details={"object": name})
    return obj


def access_project(actor: Any, project_id: UUID | str) -> Project:
    return _get_or_404(projects_visible_to(actor), project_id, "project")


def access_building(actor: Any, building_id: UUID | str) -> Building:
    return _get_or_404(buildings_visible_to(actor).select_related("project"), building_id, "building")


def access_unit(actor: Any, unit_id: UUID | str) -> Unit:
    return _get_or_404(units_visible_to(actor).select_related("building__project"), unit_id, "unit")


def access_public_area(actor: Any, area_id: UUID | str) -> PublicArea:
    return _get_or_404(public_areas_visible_to(actor).select_related("project", "building"), area_id,
                       "public_area")
