"""Roles, and the functions that check them. No view tests a role with its own ``if``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HOMEOWNER = "homeowner", _("Homeowner")
    CUSTOMER_SERVICE = "customer_service", _("Customer service agent")
    DISPATCHER = "dispatcher", _("Dispatcher")
    TECHNICIAN = "technician", _("Technician")
    ENGINEERING_MANAGER = "engineering_manager", _("Engineering manager")
    ENGINEERING_DIRECTOR = "engineering_director", _("Engineering director")
    FINANCE = "finance", _("Finance")
    SALES = "sales", _("Sales")
    HANDOVER_OFFICER = "handover_officer", _("Handover officer")
    ADMINISTRATOR = "administrator", _("Administrator")


STAFF_ROLES = frozenset(Role) - {Role.HOMEOWNER}
# Who may manage the property registry (imports, QR codes, label sheets).
REGISTRY_MANAGERS = frozenset({Role.ADMINISTRATOR})
REGISTRY_READERS = frozenset(
    {
        Role.ADMINISTRATOR,
        Role.CUSTOMER_SERVICE,
        Role.DISPATCHER,
        Role.ENGINEERING_MANAGER,
        Role.ENGINEERING_DIRECTOR,
        Role.HANDOVER_OFFICER,
        Role.SALES,
    }
)
