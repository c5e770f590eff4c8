"""Writes of the accounts context: users and roles, device tokens, technician state."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth import authenticate
from django.db import transaction

from backend.accounts.access import access_token, ensure_authenticated, forget_roles
from backend.accounts.errors import InvalidCredentials, InvalidSkills
from backend.accounts.models import DeviceToken, TechnicianProfile, User, UserRole
from backend.accounts.roles import Role
from backend.core.errors import RateLimited
from backend.core.ratelimit import rate_limit_check, rate_limit_hit

T = TypeVar("T")

TOKEN_PREFIX = "ax_"
# last_used_at is written at most this often per token, so that authentication is not a write per request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_token(raw: str) -> str:
    # Tokens carry 256 random bits: a fast hash is enough, a slow one would only cost every request.
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def user_create(*, username: str, password: str | None, roles: Iterable[str] = (), display_name: str = "",
                phone: str = "", email: str = "") -> User:
    with transaction.atomic():
        user = User(username=username, display_name=display_name, phone=phone, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user_set_roles(user=user, roles=roles)
    return user


def user_set_roles(*, user: User, roles: Iterable[str]) -> None:
    wanted = {Role(r) for r in roles}
    with transaction.atomic():
        UserRole.objects.filter(user=user).exclude(role__in=wanted).delete()
        existing = set(UserRole.objects.filter(user=user).values_list("role", flat=True))
        UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in wanted if r not in existing])
    forget_roles(user)


def sign_in_limited(*, limit: str, identifiers: list[str], attempt: Callable[[], T],
                    failure: tuple[type[BaseException], ...]) -> T:
    """Runs a sign-in ``attempt`` under the ``limit`` that counts its failures only.

    Successful sign-ins cost nothing: an office behind one address signing in at 9 a.m. is not
    locked out. Once the identifiers (address, username) have failed ``limit`` times in the window,
    further attempts are refused with ``RateLimited`` before the password is even checked."""
    rate_limit_check(name=limit, identifiers=identifiers)
    try:
        return attempt()
    except failure:
        try:
            rate_limit_hit(name=limit, identifiers=identifiers)
        except RateLimited:
            pass  # counted; the check refuses the next attempt
        raise


def credentials_check(*, username: str, password: str) -> User:
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise InvalidCredentials()
    return user  # type: ignore[return-value]


def device_token_issue(*, user: User, name: str, now: datetime) -> tuple[DeviceToken, str]:
    """Issues the token for one named device. A device that already had one gets a new token and the old
    one is revoked: one device, one token."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        DeviceToken.objects.filter(user=user, name=name, revoked_at__isnull=True).update(revoked_at=now)
        token = DeviceToken.objects.create(
            user=user, name=name, prefix=raw[: len(TOKEN_PREFIX) + 6], token_hash=hash_token(raw), created_at=now
        )
    return token, raw


def device_token_revoke(*, actor: User, token_id: Any, now: datetime) -> DeviceToken:
    ensure_authenticated(actor)
    token = access_token(actor, token_id)
    DeviceToken.objects.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db()
    return token


def device_token_authenticate(*, raw: str, now: datetime) -> User | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        DeviceToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    # A conditional update: at most one write per token per LAST_USED_RESOLUTION, whatever the concurrency.
    DeviceToken.objects.filter(id=token.id).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
        last_used_at=now
    )
    user = token.user
    user.device_token = token  # type: ignore[attr-defined]
    return user


def validate_skills(skills: dict[str, Any]) -> dict[str, int]:
    if not isinstance(skills, dict):
        raise InvalidSkills()
    clean: dict[str, int] = {}
    for code, level in skills.items():
        if not isinstance(code, str) or not code or isinstance(level, bool) or not isinstance(level, int):
            raise InvalidSkills(details={"skill": str(code)})
        if not 1 <= level <= 5:
            raise InvalidSkills(details={"skill": code, "level": level})
        clean[code] = level
    return clean


def technician_profile_upsert(*, user: User, skills: dict[str, Any], on_duty: bool = False,
                              base_latitude: Decimal | None = None, base_longitude: Decimal | None = None,
                              employee_no: str = "") -> TechnicianProfile:
    profile, _ = TechnicianProfile.objects.update_or_create(
        user=user,
        defaults={
            "skills": validate_skills(skills),
            "on_duty": on_duty,
            "base_latitude": base_latitude,
            "base_longitude": base_longitude,
            "employee_no": employee_no,
        },
    )
    return profile
