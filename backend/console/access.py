"""Who may open which console page. The same role checks and order scope as the API
(``backend.accounts.access.ensure_role``, ``backend.workorders.access.orders_visible_to``)."""

from __future__ import annotations

from typing import Any

from backend.accounts.access import ensure_role, has_role
from backend.accounts.roles import Role
from backend.rulesets.services import RULE_READERS

# Office roles that work orders in the browser; technicians (phones) and homeowners have no console.
QUEUE_ROLES = (Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ENGINEERING_DIRECTOR,
               Role.FINANCE, Role.ADMINISTRATOR)
INTAKE_ROLES = (Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ADMINISTRATOR)
DISPATCH_ROLES = (Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ADMINISTRATOR)
BOARD_ROLES = (Role.DISPATCHER, Role.ENGINEERING_MANAGER, Role.ENGINEERING_DIRECTOR, Role.ADMINISTRATOR)
APPROVER_ROLES = (Role.ENGINEERING_MANAGER, Role.FINANCE, Role.ENGINEERING_DIRECTOR, Role.ADMINISTRATOR)
# Who sees the analytics pages (backend/analytics): the engineering director (every project) and
# engineering managers (the projects their teams serve).
ANALYTICS_ROLES = (Role.ENGINEERING_DIRECTOR, Role.ENGINEERING_MANAGER)
# The sales CRM's pages (backend.crm) share the staff layout: consultants and managers, finance.
CRM_ROLES = (Role.SALES, Role.FINANCE, Role.ADMINISTRATOR)
# The handover pages (backend.handover): officers and administrators work them; the engineering managers
# and director read them (the defects found at inspection are their first orders).
HANDOVER_WRITERS = (Role.HANDOVER_OFFICER, Role.ADMINISTRATOR)
HANDOVER_PAGE_ROLES = HANDOVER_WRITERS + (Role.ENGINEERING_MANAGER, Role.ENGINEERING_DIRECTOR)
LAYOUT_ROLES = tuple(dict.fromkeys(QUEUE_ROLES + CRM_ROLES + (Role.HANDOVER_OFFICER,)))
# Who reads a caller's whole phone number; everyone else sees it masked.
FULL_PHONE_ROLES = (Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ADMINISTRATOR)


def ensure_console(user: Any, roles: tuple[str, ...] = QUEUE_ROLES) -> None:
    ensure_role(user, roles)


def is_console_user(user: Any) -> bool:
    return bool(user.is_authenticated) and has_role(user, *QUEUE_ROLES)


def is_layout_user(user: Any) -> bool:
    """Anyone whose pages use the staff layout (the console's or the CRM's)."""
    return bool(user.is_authenticated) and has_role(user, *LAYOUT_ROLES)


def may_see_full_phone(user: Any) -> bool:
    return has_role(user, *FULL_PHONE_ROLES)


def nav_for(user: Any) -> list[tuple[str, str]]:
    """(url name, label key) of the pages this user may open, in the order of the navigation."""
    items: list[tuple[str, str]] = []
    if has_role(user, *QUEUE_ROLES):
        items += [("console:start", "start"), ("console:queue", "queue")]
    if has_role(user, *INTAKE_ROLES):
        items.append(("console:intake", "intake"))
    if has_role(user, *BOARD_ROLES):
        items.append(("console:board", "board"))
    if has_role(user, *APPROVER_ROLES):
        items.append(("console:approvals", "approvals"))
    if has_role(user, *ANALYTICS_ROLES):
        items.append(("analytics:hotspots", "analytics"))
    if has_role(user, Role.SALES):
        items += [("crm:mine", "crm_mine"), ("crm:pool", "crm_pool"), ("crm:grabs", "crm_grabs"),
                  ("crm:inventory", "crm_inventory")]
    if has_role(user, *CRM_ROLES):
        if user.crm_seats.filter(is_manager=True).exists():
            items.append(("crm:team", "crm_team"))
        items += [("crm:approvals", "crm_approvals"), ("crm:dashboard", "crm_dashboard"),
                  ("crm:payments", "crm_payments")]
    if has_role(user, *CRM_ROLES, Role.HANDOVER_OFFICER):
        items.append(("crm:handover", "crm_handover"))
    if has_role(user, *HANDOVER_PAGE_ROLES):
        items += [("handover:batches", "handover"), ("handover:schedule", "handover_schedule")]
    if has_role(user, *RULE_READERS):
        items.append(("rules:index", "rules"))
    return items
