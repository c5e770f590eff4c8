"""Writes of the accounts context: users and roles, device tokens, technician state."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from django.utils.module_loading import import_string

from backend.accounts.access import access_token, ensure_authenticated, forget_roles
from backend.accounts.errors import InvalidCredentials, InvalidSkills, LoginCodeInvalid, LoginCodeRequired
from backend.accounts.models import DeviceToken, TechnicianProfile, User, UserRole
from backend.accounts.roles import Role
from backend.core.errors import AppError, RateLimited
from backend.core.ratelimit import rate_limit_check, rate_limit_hit, rate_limit_reset

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


# A username that failed this often in the window, from any addresses, is locked for a password
# alone: its real user passes with a code sent to the phone on file (``LOGIN_CODE_TTL``).
USER_LIMIT = "login_user"
LOGIN_CODE_TTL = timedelta(minutes=10)
LOGIN_CODE_TRIES = 5


def _over(name: str, identifiers: list[str]) -> bool:
    try:
        rate_limit_check(name=name, identifiers=identifiers)
    except RateLimited:
        return True
    return False


def _code_key(username: str) -> str:
    return "login-code:" + hashlib.sha256(username.encode("utf-8")).hexdigest()


def _code_hash(username: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{username}:{code}".encode(), hashlib.sha256).hexdigest()


def login_code_send(*, username: str, now: datetime) -> None:
    """Texts a one-time code to the phone on file of ``username``, at most once a minute. Nothing is
    said about whether the user exists or has a phone: the caller answers the same way."""
    user = User.objects.filter(username__iexact=username, is_active=True).exclude(phone="").first()
    if user is None or not cache.add(_code_key(username) + ":sent", 1, timeout=60):
        return
    # The notifications context sits above this one: it is named in the settings, as Django names its
    # pluggable backends, rather than imported.
    sms_send = import_string(settings.SMS_SEND_FUNCTION)
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_code_key(username), {"hash": _code_hash(username, code), "tries": 0},
              timeout=int(LOGIN_CODE_TTL.total_seconds()))
    try:
        sms_send(phone=user.phone, template="otp_code", idempotency_key=f"login-code:{user.id}:{int(now.timestamp())}",
                 params={"code": code, "minutes": int(LOGIN_CODE_TTL.total_seconds()) // 60}, now=now)
    except AppError:  # a phone the registry cannot text: no code, the lock stands
        cache.delete(_code_key(username))


def _login_code_valid(*, username: str, code: str) -> bool:
    """One use per code, at most ``LOGIN_CODE_TRIES`` tries."""
    stored = cache.get(_code_key(username))
    if not stored or not code:
        return False
    if stored["tries"] >= LOGIN_CODE_TRIES:
        cache.delete(_code_key(username))
        return False
    if hmac.compare_digest(stored["hash"], _code_hash(username, code.strip())):
        cache.delete(_code_key(username))
        return True
    cache.set(_code_key(username), {**stored, "tries": stored["tries"] + 1},
              timeout=int(LOGIN_CODE_TTL.total_seconds()))
    return False


def sign_in_limited(*, limit: str, username: str, address: str, attempt: Callable[[], T],
                    failure: tuple[type[BaseException], ...], now: datetime, code: str = "") -> T:
    """Runs a sign-in ``attempt`` under limits that count its failures only.

    Successful sign-ins cost nothing: an office behind one address signing in at 9 a.m. is not
    locked out. ``limit`` counts failures per address and per username *at* that address: once
    either is used up, attempts are refused with ``RateLimited`` before the password is checked, so
    a stranger elsewhere cannot lock a user out. Failures of one username from every address count
    too (``login_user``, a higher limit): past it the password alone no longer opens the account, and
    the real user passes with the code texted to their phone (``LoginCodeRequired`` says so, and
    the code is sent), so a distributed guesser gains nothing and the user is not locked out."""
    username = username.lower()
    local = [f"ip:{address}", f"user-ip:{username}|{address}"]
    rate_limit_check(name=limit, identifiers=local)
    passed_with_code = False
    if _over(USER_LIMIT, [f"user:{username}"]):
        if not code:
            login_code_send(username=username, now=now)
            raise LoginCodeRequired()
        if not _login_code_valid(username=username, code=code):
            _count_failure(limit, local, username)
            raise LoginCodeInvalid()
        passed_with_code = True
    try:
        user = attempt()
    except failure:
        _count_failure(limit, local, username)
        raise
    if passed_with_code:
        rate_limit_reset(name=USER_LIMIT, identifiers=[f"user:{username}"])
    return user


def _count_failure(limit: str, local: list[str], username: str) -> None:
    for name, identifiers in ((limit, local), (USER_LIMIT, [f"user:{username}"])):
        try:
            rate_limit_hit(name=name, identifiers=identifiers)
        except RateLimited:
            pass  # counted; the check refuses the next attempt


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
