"""Which orders a user may see, and the lookups that raise NotFound for everything else."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from backend.accounts.access import ensure_role, has_role, is_administrator
from backend.accounts.models import Team
from backend.accounts.roles import Role
from backend.core.errors import NotFound
from backend.workorders.models import WorkOrder

# Roles that see orders of the projects their teams serve.
PROJECT_STAFF = (Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.FINANCE,
                 Role.HANDOVER_OFFICER)


def project_ids_of(user: Any) -> QuerySet[Any]:
    teams = Team.objects.filter(Q(members=user) | Q(supervisor=user))
    return teams.values_list("projects", flat=True)


# Roles that work with orders at all; anyone else (sales, homeowners through the staff API) gets 403.
ORDER_VIEWERS = frozenset({*PROJECT_STAFF, Role.TECHNICIAN, Role.ENGINEERING_DIRECTOR, Role.ADMINISTRATOR})


def orders_visible_to(user: Any) -> QuerySet[WorkOrder]:
    ensure_role(user, ORDER_VIEWERS)
    qs = WorkOrder.objects.all()
    if is_administrator(user) or has_role(user, Role.ENGINEERING_DIRECTOR):
        return qs
    scope = Q(pk__in=[])
    if has_role(user, Role.TECHNICIAN):
        scope |= Q(technician=user)
    if Team.objects.filter(supervisor=user).exists():
        scope |= Q(team__supervisor=user)
    if has_role(user, *PROJECT_STAFF):
        scope |= Q(project_id__in=project_ids_of(user))
    return qs.filter(scope)


def access_order(user: Any, order_id: Any, *, for_update: bool = False) -> WorkOrder:
    qs = orders_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    order = qs.filter(id=order_id).first()
    if order is None:
        raise NotFound(details={"object": "work_order"})
    return order


def orders_of_owner(*, owner_id: Any, phone: str, today: Any) -> QuerySet[WorkOrder]:
    """What a homeowner verified by SMS may follow: every order on a unit they own today, and the
    public-area orders reported from their phone."""
    from backend.properties.selectors import active_ownerships

    units = active_ownerships(today).filter(owner_id=owner_id).values_list("unit_id", flat=True)
    scope = Q(public_area__isnull=False, contact_phone=phone)
    if owner_id is not None:
        scope |= Q(unit_id__in=units)
    return WorkOrder.objects.filter(scope)


def access_order_of_owner(*, owner_id: Any, phone: str, order_id: Any, today: Any, for_update: bool = False,
                          related: tuple[str, ...] = ()) -> WorkOrder:
    qs = orders_of_owner(owner_id=owner_id, phone=phone, today=today)
    if related:
        qs = qs.select_related(*related)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        order = qs.filter(id=order_id).first()
    except (ValueError, TypeError):  # not a UUID: the same miss as a stranger's order
        order = None
    if order is None:
        raise NotFound(details={"object": "work_order"})
    return order
