"""The homeowner's side of a QR code: what a phone shows after scanning the label on a door.

Reporting and tracking come later; this page names the place and tells the owner how to reach
customer service. A replaced (410) or unknown (404) code gets a friendly page, never an error dump.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from backend.core.errors import RateLimited
from backend.core.ratelimit import client_ip, rate_limit_hit
from backend.properties.errors import QrTokenInvalid, QrTokenRevoked
from backend.properties.qr import qr_resolve


def _unavailable(request: HttpRequest, reason: str, status: int, **context: object) -> HttpResponse:
    return render(request, "owner_portal/qr_unavailable.html", {"reason": reason, **context}, status=status)


@require_safe
def qr_landing(request: HttpRequest, token: str) -> HttpResponse:
    try:
        rate_limit_hit(name="qr_resolve", identifiers=[f"ip:{client_ip(request)}"])
        place = qr_resolve(token=token)
    except RateLimited as exc:
        response = _unavailable(request, "rate_limited", 429, retry_after=exc.details.get("retry_after_seconds"))
        response["Retry-After"] = str(exc.details.get("retry_after_seconds", 60))
    except QrTokenRevoked:
        response = _unavailable(request, "revoked", 410)
    except QrTokenInvalid:
        response = _unavailable(request, "invalid", 404)
    else:
        response = render(request, "owner_portal/qr_place.html", {"place": place})
    # Codes are for the people standing in front of them, not for search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
