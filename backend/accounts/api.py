from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from backend.accounts import selectors, services
from backend.accounts.auth import staff_auth
from backend.accounts.errors import InvalidCredentials
from backend.accounts.schemas import MeOut, TeamOut, TokenIn, TokenIssuedOut, TokenOut
from backend.core.ratelimit import client_ip
from backend.core.schemas import COMMON_ERRORS

router = Router(tags=["accounts"])


@router.post("/auth/tokens", auth=None, response={201: TokenIssuedOut, **COMMON_ERRORS},
             summary="Issue a device token (sign in a phone)")
def token_issue(request: HttpRequest, payload: TokenIn):  # type: ignore[no-untyped-def]
    """Exchanges a username and password for a token bound to one named device. Issuing again for the
    same device name revokes the previous token. Failed attempts are limited per IP and per username at that IP; a username failing from many
    addresses answers ``403 login_code_required`` and texts a code to the user's phone, to send as ``code``."""
    user = services.sign_in_limited(
        limit="token", username=payload.username, address=client_ip(request), code=payload.code,
        attempt=lambda: services.credentials_check(username=payload.username, password=payload.password),
        failure=(InvalidCredentials,), now=timezone.now())
    token, raw = services.device_token_issue(user=user, name=payload.device_name, now=timezone.now())
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": raw})


@router.get("/auth/tokens", auth=staff_auth, response={200: list[TokenOut], **COMMON_ERRORS},
            summary="List my device tokens")
def token_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.device_token_list(actor=request.user)  # type: ignore[arg-type]


@router.delete("/auth/tokens/{token_id}", auth=staff_auth, response={200: TokenOut, **COMMON_ERRORS},
               summary="Revoke a device token")
def token_revoke(request: HttpRequest, token_id: UUID):  # type: ignore[no-untyped-def]
    return services.device_token_revoke(actor=request.user, token_id=token_id, now=timezone.now())  # type: ignore[arg-type]


@router.get("/auth/me", auth=staff_auth, response={200: MeOut, **COMMON_ERRORS}, summary="Who am I")
def me(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.me_get(actor=request.user)  # type: ignore[arg-type]


@router.get("/teams", auth=staff_auth, response={200: list[TeamOut], **COMMON_ERRORS}, summary="List teams")
def team_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.team_list(actor=request.user)  # type: ignore[arg-type]
