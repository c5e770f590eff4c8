"""Who takes a step on an order: a staff user, the system (routing, timers, approvals), or a homeowner.

A leaf of the work-order context: every part (the state machine, intake, dispatch, the owner's
steps) names its actor with this type, and it imports nothing of the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.accounts.access import user_roles
from backend.accounts.models import User
from backend.accounts.roles import Role


@dataclass(frozen=True)
class Actor:
    """A user, the system (``system`` names the part: "routing", "grab_fallback", "approval"), or a
    homeowner verified by the portal (``owner_id``; None for a visitor in a public area)."""

    user: User | None = None
    system: str = ""
    owner_id: object = None
    label: str = ""
    extra_roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def roles(self) -> frozenset[str]:
        base = user_roles(self.user) if self.user is not None else frozenset()
        if self.owner_id is not None:
            base = base | {Role.HOMEOWNER}
        return base | self.extra_roles

    def display(self) -> str:
        if self.label:
            return self.label
        if self.user is not None:
            return str(self.user)
        return self.system or "owner"


def system_actor(name: str) -> Actor:
    return Actor(system=name, label=name)
