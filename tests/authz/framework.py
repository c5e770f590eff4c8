"""The route-authorization table: every API route appears here, or the coverage test fails.

Each context adds a ``cases_<context>.py`` module in this package defining ``CASES: list[RouteCase]``.
For every case the generic test checks, with the database unchanged after each denial:
- an anonymous call gets 401 (unless the route is public, which must say why);
- a signed-in user without the needed role gets 403 (``wrong_role``);
- a user with the role asking for an object outside their scope gets 404 (``wrong_object``);
- the allowed user's call succeeds (< 400), so the denials are not a route that refuses everyone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import bearer_for


@dataclass(frozen=True)
class Call:
    url: str
    json_body: Any = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    raw_body: bytes | None = None  # sent as application/octet-stream
    headers: dict[str, str] | None = None  # extra WSGI headers, e.g. {"HTTP_UPLOAD_OFFSET": "0"}


@dataclass
class Scenario:
    call: Call
    allowed: Any
    wrong_role: Any = None
    # A user who holds the role but may not see the object, and the call naming that object.
    wrong_object: tuple[Any, Call] | None = None


@dataclass(frozen=True)
class RouteCase:
    method: str
    route: str  # as in the OpenAPI document, e.g. "/api/v1/auth/tokens/{token_id}"
    make: Callable[[], Scenario] | None = None
    public_reason: str | None = None
    # Routes that any signed-in user may call (their own data) say so instead of naming a wrong role.
    any_signed_in_user: bool = False
    notes: str = field(default="")

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.route}"


def perform(method: str, call: Call, headers: dict[str, str] | None = None, *, enforce_csrf: bool = False) -> Any:
    client = Client(enforce_csrf_checks=enforce_csrf)
    headers = {**(call.headers or {}), **(headers or {})}
    method = method.lower()
    if call.raw_body is not None:
        return getattr(client, method)(call.url, data=call.raw_body, content_type="application/octet-stream",
                                       **headers)
    if call.files is not None:
        # (file name, bytes, content type) per field: a fresh upload object for every request.
        uploads = {name: _upload(value) for name, value in call.files.items()}
        return getattr(client, method)(call.url, data={**(call.data or {}), **uploads}, **headers)
    if call.json_body is not None:
        return getattr(client, method)(call.url, data=json.dumps(call.json_body), content_type="application/json",
                                       **headers)
    return getattr(client, method)(call.url, **headers)


def _upload(value: Any) -> Any:
    if isinstance(value, tuple):
        fname, content, ctype = value
        return SimpleUploadedFile(fname, content, content_type=ctype)
    value.seek(0)  # an upload object given directly is rewound for each request
    return value


def as_user(user: Any, method: str, call: Call) -> Any:
    # Tokens are issued before the snapshot by the caller so that issuing one is not a change under test.
    return perform(method, call, headers=user._test_headers)


def prepare(user: Any) -> Any:
    if user is not None and not hasattr(user, "_test_headers"):
        user._test_headers = bearer_for(user, device=f"authz-{user.username}")
    return user


def database_snapshot() -> str:
    """A digest of every row of every model: equal digests mean nothing changed."""
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.proxy or not model._meta.managed:
            continue
        rows = list(model._default_manager.order_by("pk").values())
        # last_used_at on tokens is bookkeeping of authentication, not a change made by the route.
        for row in rows:
            row.pop("last_used_at", None)
        digest.update(model._meta.label.encode())
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


# --- Django pages (everything outside /api/v1) and WebSocket routes ---------------------------------

SIGN_IN_PATHS = ("/accounts/login/", "/admin/login/", "/portal/login")


def is_sign_in_redirect(response: Any) -> bool:
    if response.status_code not in {301, 302, 303}:
        return False
    location = response["Location"]
    return location.startswith(SIGN_IN_PATHS) or ("/verify" in location and location.startswith("/q/"))


def is_refusal(response: Any) -> bool:
    """401/403/404, or sent to sign in: the caller got nothing of the page and changed nothing."""
    return response.status_code in {401, 403, 404} or is_sign_in_redirect(response)


@dataclass
class PageScenario:
    urls: list[str]  # the first is the one the allowed caller opens; the others are refused alike
    allowed: Client | None
    refused: list[tuple[str, Client]] = field(default_factory=list)  # (who, client): a wrong role or no identity
    hidden: list[tuple[str, Client, str]] = field(default_factory=list)  # (who, client, url): the wrong object → 404
    data: dict[str, Any] | None = None
    # False where the allowed call reaches the route but the object's state refuses the step (409/422).
    allowed_succeeds: bool = True


@dataclass(frozen=True)
class PageCase:
    method: str
    route: str  # the Django URL pattern, as `backend.config.urls` spells it: "portal/orders/<uuid:order_id>"
    make: Callable[[], PageScenario] | None = None
    public_reason: str | None = None
    covers_prefix: bool = False  # one entry for every pattern under `route` (the admin site)


def page_request(client: Client, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return getattr(client, method.lower())(url, data=data or {})


@dataclass
class SocketScenario:
    path: str  # what an anonymous caller opens
    allowed: tuple[str, list[tuple[bytes, bytes]]]  # the allowed caller's path (with ?token=) and headers
    refused: list[tuple[str, str, list[tuple[bytes, bytes]]]] = field(default_factory=list)  # (who, path, headers)


@dataclass(frozen=True)
class SocketCase:
    route: str  # as in backend.config.routing: "ws/orders/<uuid:order_id>"
    make: Callable[[], SocketScenario] | None = None
    public_reason: str | None = None
