"""Request-level guards shared by every entry point."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from backend.core.errors import PayloadTooLarge, error_for_status


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
