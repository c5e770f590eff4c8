"""The page-authorization entry types, shaped like tests/authz/framework.py's ``PageCase`` and
``PageScenario`` of the authorization table that covers every Django URL. Until that table is on this
branch, tests/console/test_console_authorization.py runs the console's entries itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

SIGN_IN_PATHS = ("/accounts/login/", "/admin/login/", "/portal/login")


@dataclass
class PageScenario:
    urls: list[str]
    allowed: Client | None
    refused: list[tuple[str, Client]] = field(default_factory=list)
    hidden: list[tuple[str, Client, str]] = field(default_factory=list)
    data: dict[str, Any] | None = None
    allowed_succeeds: bool = True


@dataclass(frozen=True)
class PageCase:
    method: str
    route: str
    make: Callable[[], PageScenario] | None = None
    public_reason: str | None = None
    covers_prefix: bool = False


def is_sign_in_redirect(response: Any) -> bool:
    return response.status_code in {301, 302, 303} and response["Location"].startswith(SIGN_IN_PATHS)


def is_refusal(response: Any) -> bool:
    return response.status_code in {401, 403, 404} or is_sign_in_redirect(response)
