"""The one state machine of a work order: its states, the transition table and who may take each step.

Nothing outside ``backend.workorders.lifecycle.machine`` assigns ``WorkOrder.state``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.accounts.roles import Role


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    EN_ROUTE = "en_route", _("En route")
    ON_SITE = "on_site", _("On site")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


class WaitingReason(models.TextChoices):
    PARTS = "parts", _("Waiting for parts")
    OWNER = "owner", _("Waiting for the owner")
    APPROVAL = "approval", _("Waiting for approval")


S = State
OFFICE = frozenset({Role.CUSTOMER_SERVICE, Role.DISPATCHER, Role.ENGINEERING_MANAGER})
DISPATCH = frozenset({Role.DISPATCHER, Role.ENGINEERING_MANAGER})
FIELD = frozenset({Role.TECHNICIAN})
# The system actor (routing, grab-pool fallback, approval results) may take these steps without a role.
SYSTEM_STEPS = frozenset(
    {(S.SUBMITTED, S.ASSIGNED), (S.ACCEPTED, S.ASSIGNED), (S.REOPENED, S.ASSIGNED), (S.SUBMITTED, S.ACCEPTED),
     (S.WAITING, S.IN_PROGRESS), (S.IN_PROGRESS, S.WAITING), (S.COMPLETED, S.CLOSED)}
)

# (from, to) -> roles that may take the step. The homeowner's steps are taken through the portal's
# services, which pass the owner as the actor with the HOMEOWNER role.
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    (S.SUBMITTED, S.ACCEPTED): OFFICE,
    (S.SUBMITTED, S.ASSIGNED): DISPATCH,
    (S.SUBMITTED, S.REJECTED): OFFICE,
    (S.SUBMITTED, S.CANCELLED): OFFICE | {Role.HOMEOWNER},
    (S.ACCEPTED, S.ASSIGNED): DISPATCH,
    (S.ACCEPTED, S.REJECTED): OFFICE,
    (S.ACCEPTED, S.CANCELLED): OFFICE | {Role.HOMEOWNER},
    (S.ASSIGNED, S.EN_ROUTE): FIELD,
    (S.ASSIGNED, S.ON_SITE): FIELD,
    (S.ASSIGNED, S.ACCEPTED): DISPATCH | FIELD,  # unassign / technician declines: back to the queue
    (S.ASSIGNED, S.CANCELLED): OFFICE | {Role.HOMEOWNER},
    (S.EN_ROUTE, S.ON_SITE): FIELD,
    (S.EN_ROUTE, S.ACCEPTED): DISPATCH,
    (S.EN_ROUTE, S.CANCELLED): OFFICE,
    (S.ON_SITE, S.IN_PROGRESS): FIELD,
    (S.ON_SITE, S.WAITING): FIELD | DISPATCH,
    (S.ON_SITE, S.CANCELLED): OFFICE,
    (S.IN_PROGRESS, S.WAITING): FIELD | DISPATCH,
    (S.IN_PROGRESS, S.COMPLETED): FIELD,
    (S.IN_PROGRESS, S.CANCELLED): OFFICE,
    (S.WAITING, S.IN_PROGRESS): FIELD | DISPATCH,
    (S.WAITING, S.CANCELLED): OFFICE,
    (S.COMPLETED, S.CLOSED): OFFICE | {Role.HOMEOWNER},
    (S.COMPLETED, S.REOPENED): OFFICE | {Role.HOMEOWNER},
    (S.CLOSED, S.REOPENED): OFFICE | {Role.HOMEOWNER},
    (S.REOPENED, S.ASSIGNED): DISPATCH,
    (S.REOPENED, S.ACCEPTED): OFFICE,
    (S.REOPENED, S.CANCELLED): OFFICE,
}

OPEN_STATES = frozenset(set(State) - {S.COMPLETED, S.CLOSED, S.CANCELLED, S.REJECTED})
# A technician is at work on the order: a cost estimate or a quote to the owner makes it wait.
WORKING_STATES = frozenset({S.ON_SITE, S.IN_PROGRESS})
# Steps that need the acting technician to be the assignee.
ASSIGNEE_ONLY_FROM = frozenset({S.ASSIGNED, S.EN_ROUTE, S.ON_SITE, S.IN_PROGRESS, S.WAITING})


# The homeowner sees a simpler timeline (parcel-style): internal state -> owner-facing label.
OWNER_LABELS: dict[str, object] = {
    S.SUBMITTED: _("Received"),
    S.ACCEPTED: _("Received"),
    S.ASSIGNED: _("Dispatched"),
    S.REOPENED: _("Received"),
    S.EN_ROUTE: _("Technician on the way"),
    S.ON_SITE: _("Repairing"),
    S.IN_PROGRESS: _("Repairing"),
    S.WAITING: _("Repairing"),
    S.COMPLETED: _("Awaiting your rating"),
    S.CLOSED: _("Completed"),
    S.CANCELLED: _("Cancelled"),
    S.REJECTED: _("Not accepted"),
}
