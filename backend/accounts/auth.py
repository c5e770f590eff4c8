"""Authentication for the API: a device's Bearer token, or the staff web session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from backend.accounts import services
from backend.accounts.models import User
from backend.core.errors import NotAuthenticated


class DeviceTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = services.device_token_authenticate(raw=token, now=timezone.now())
        if user is None:
            return None
        request.user = user
        return user


class StaffSessionAuth(SessionAuth):
    def __call__(self, request: HttpRequest) -> Any:
        # Without a signed-in session there is nothing for a forged request to ride on: the caller is
        # anonymous (401), and the CSRF check, which would answer 403 first, is for session holders.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and not user.is_active:
            return None
        return user


# Routes that need a signed-in caller use this; the role checks happen in the services.
staff_auth = [DeviceTokenAuth(), StaffSessionAuth()]


def caller(request: HttpRequest) -> User:
    """The signed-in user of a request that passed ``staff_auth`` (the route's auth ran first)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user
