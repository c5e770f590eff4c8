"""Role checks and access lookups that every context reuses.

``has_role`` / ``ensure_role`` answer "may this user do this kind of thing"; ``access_*``
functions answer "may this user see this object" and raise ``NotFound`` on a miss, so that an
object that exists but belongs to someone else looks exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backend.accounts.roles import STAFF_ROLES, Role
from backend.core.errors import NotAuthenticated, NotFound, PermissionDenied

_CACHE_ATTR = "_anxin_roles"


def user_roles(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(user.role_rows.values_list("role", flat=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_roles(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user: Any, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def is_staff_member(user: Any) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def is_administrator(user: Any) -> bool:
    return has_role(user, Role.ADMINISTRATOR) or bool(getattr(user, "is_superuser", False) and user.is_active)


def ensure_authenticated(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotAuthenticated()


def ensure_role(user: Any, roles: Iterable[str]) -> None:
    """Raises 401 for an anonymous caller and 403 when the user holds none of ``roles``."""
    ensure_authenticated(user)
    wanted = set(roles)
    if Role.ADMINISTRATOR in wanted and is_administrator(user):
        return
    if not user_roles(user) & wanted:
        raise PermissionDenied(details={"required_roles": sorted(wanted)})


def access_token(user: Any, token_id: Any) -> Any:
    """A device token the user may manage: their own, or any for an administrator."""
    from backend.accounts.models import DeviceToken

    qs = DeviceToken.objects.all() if is_administrator(user) else DeviceToken.objects.filter(user=user)
    token = qs.filter(id=token_id).first()
    if token is None:
        raise NotFound(details={"object": "device_token"})
    return token
