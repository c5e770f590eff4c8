from __future__ import annotations

from django.utils import timezone

from backend.accounts import services
from backend.accounts.roles import Role
from tests.authz.framework import Call, RouteCase, Scenario
from tests.factories import user_with_roles


def _token_revoke() -> Scenario:
    owner = user_with_roles(Role.TECHNICIAN)
    token, _raw = services.device_token_issue(user=owner, name="phone", now=timezone.now())
    other = user_with_roles(Role.TECHNICIAN)
    return Scenario(
        call=Call(f"/api/v1/auth/tokens/{token.id}"),
        allowed=owner,
        wrong_object=(other, Call(f"/api/v1/auth/tokens/{token.id}")),
    )


CASES = [
    RouteCase("POST", "/api/v1/auth/tokens", public_reason="signing in: exchanges a password for a device token"),
    RouteCase("GET", "/api/v1/auth/tokens", any_signed_in_user=True,
              make=lambda: Scenario(call=Call("/api/v1/auth/tokens"), allowed=user_with_roles(Role.TECHNICIAN))),
    RouteCase("DELETE", "/api/v1/auth/tokens/{token_id}", any_signed_in_user=True, make=_token_revoke),
    RouteCase("GET", "/api/v1/auth/me", any_signed_in_user=True,
              make=lambda: Scenario(call=Call("/api/v1/auth/me"), allowed=user_with_roles(Role.FINANCE))),
    RouteCase("GET", "/api/v1/teams",
              make=lambda: Scenario(call=Call("/api/v1/teams"), allowed=user_with_roles(Role.DISPATCHER),
                                    wrong_role=user_with_roles(Role.HOMEOWNER))),
]
