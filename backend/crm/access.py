"""Who sees which customer. A consultant sees the customers they hold and the public pool of the projects
where they have a seat; a sales manager every customer of their projects; finance and administrators all.
Another consultant's private customer is a 404, exactly like one that does not exist."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from backend.accounts.access import ensure_role, has_role, is_administrator
from backend.accounts.roles import Role
from backend.core.errors import NotFound, PermissionDenied

CRM_ROLES = (Role.SALES, Role.FINANCE, Role.ADMINISTRATOR)
SALES_ROLES = (Role.SALES, Role.ADMINISTRATOR)
FINANCE_ROLES = (Role.FINANCE, Role.ADMINISTRATOR)
HANDOVER_READERS = (Role.HANDOVER_OFFICER, Role.SALES, Role.FINANCE, Role.ADMINISTRATOR)


def ensure_crm(user: Any, roles: tuple[str, ...] = CRM_ROLES) -> None:
    ensure_role(user, roles)


def seat_projects(user: Any) -> QuerySet[Any]:
    from backend.crm.models import Seat

    return Seat.objects.filter(user=user).values("project_id")


def managed_projects(user: Any) -> QuerySet[Any]:
    from backend.crm.models import Seat

    return Seat.objects.filter(user=user, is_manager=True).values("project_id")


def sees_everything(user: Any) -> bool:
    return is_administrator(user) or has_role(user, Role.FINANCE)


def customers_visible_to(user: Any) -> QuerySet[Any]:
    from backend.crm.models import Customer

    live = Customer.objects.filter(merged_into__isnull=True)
    if sees_everything(user):
        return live
    if not has_role(user, Role.SALES):
        return live.none()
    return live.filter(
        Q(project_id__in=managed_projects(user))
        | Q(project_id__in=seat_projects(user), holder__isnull=True)
        | Q(holder=user)
    )


def access_customer(user: Any, customer_id: Any, *, for_update: bool = False) -> Any:
    qs = customers_visible_to(user)
    if for_update:
        qs = qs.select_for_update()
    customer = qs.filter(id=customer_id).first()
    if customer is None:
        raise NotFound(details={"object": "customer"})
    return customer


def is_manager_of(user: Any, project_id: Any) -> bool:
    from backend.crm.models import Seat

    return is_administrator(user) or Seat.objects.filter(user=user, project_id=project_id, is_manager=True).exists()


def ensure_manager_of(user: Any, project_id: Any) -> None:
    if not is_manager_of(user, project_id):
        raise PermissionDenied(details={"required": "sales_manager"})


def access_project(user: Any, project_id: Any) -> Any:
    """A project the user works in (a seat), or any for finance and administrators."""
    from backend.properties.models import Project

    qs = Project.objects.all() if sees_everything(user) or has_role(user, Role.HANDOVER_OFFICER) else \
        Project.objects.filter(id__in=seat_projects(user))
    project = qs.filter(id=project_id).first()
    if project is None:
        raise NotFound(details={"object": "project"})
    return project


def may_see_full_phone(user: Any, customer: Any) -> bool:
    """PIPL: the full number only for the customer's own consultant (and administrators)."""
    return customer.holder_id == getattr(user, "id", None) or is_administrator(user)


def show_phone(user: Any, customer: Any) -> str:
    from backend.crm.identity import mask_phone

    return customer.phone if may_see_full_phone(user, customer) else mask_phone(customer.phone)
