"""Request-level guards shared by every entry point."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from backend.core.errors import MalformedRequest, PayloadTooLarge, error_for_status


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


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
            return HttpResponse(str(error.message), status=413, content_type="text/plain; charset=utf-8")
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
