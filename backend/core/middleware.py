"""Request-level guards shared by every entry point."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from backend.core.errors import MalformedRequest, PayloadTooLarge, error_for_status


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def error_page(request: HttpRequest, status: int, **context: object) -> HttpResponse:
    """A page for a failed request in the layout of the part of the site it was made in
    (``settings.ERROR_PAGE_LAYOUTS``: path prefix -> base template; the staff layout otherwise)."""
    layouts: dict[str, str] = getattr(settings, "ERROR_PAGE_LAYOUTS", {})
    layout = next((name for prefix, name in layouts.items() if request.path.startswith(prefix)), "base.html")
    return render(request, "core/error.html", {"status": status, "layout": layout, **context}, status=status)


def _way_back(request: HttpRequest) -> str:
    """Where the refused form was: the referring page on this site, else the address it was sent to."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                    require_https=request.is_secure()):
        return referer
    return request.path


class RequestSizeLimitMiddleware:
    """Answers 413 before reading a body larger than MAX_REQUEST_BYTES.

    Also makes sure that no API response leaves as an HTML error page: Django's own 404 for an
    unknown URL or ninja's 405 for a wrong method are rewritten into the error contract.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from backend.core.api_errors import error_response

        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            declared = int(length)
        except ValueError:
            declared = 0
        limit = int(settings.MAX_REQUEST_BYTES)
        if declared > limit:
            error = PayloadTooLarge(details={"max_bytes": limit, "received_bytes": declared})
            if is_api_path(request.path):
                return error_response(error)
            # A form sent without the portal's script (which shrinks photos first): a page in the
            # site's layout that says what happened and leads back to the form.
            return error_page(request, 413, back_url=_way_back(request), max_mb=max(1, limit // (1024 * 1024)))
        response = self.get_response(request)
        if is_api_path(request.path) and response.status_code >= 400 and not _is_json(response):
            return error_response(error_for_status(response.status_code))
        return response


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "")
    if "json" not in content_type:
        return False
    if getattr(response, "streaming", False):
        return True
    try:
        json.loads(response.content or b"null")
    except ValueError:
        return False
    return True


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())


class MalformedInputMiddleware:
    """Answers 400 in the error contract for input no person sends and no database stores.

    A NUL character in the path or the query string (PostgreSQL text cannot hold one, so a filter
    on it failed as a server error), and a multipart body without a usable boundary, which Django
    would only find when a view reads ``request.POST`` — after the role check it should not precede.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return bad_request_response(request, MalformedRequest(
                _("The request contains a character that is not allowed (NUL)."), details={"reason": "nul_character"}))
        if request.method in {"POST", "PUT", "PATCH"} and not _multipart_ok(request):
            return bad_request_response(request, MalformedRequest(
                _("The uploaded form could not be read (multipart without a valid boundary)."),
                details={"reason": "multipart_boundary"}))
        return self.get_response(request)


def _multipart_ok(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    if not content_type.startswith("multipart/"):
        return True
    boundary = (request.content_params or {}).get("boundary", "")
    # RFC 2046: 1 to 70 characters; Django refuses anything else when it parses the body.
    return 0 < len(boundary) <= 70


def bad_request_response(request: HttpRequest, error: MalformedRequest) -> HttpResponse:
    from django.shortcuts import render

    from backend.core.api_errors import error_response

    if is_api_path(request.path):
        return error_response(error)
    return render(request, "core/error.html", {"status": 400, "message": str(error.message)}, status=400)
