from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from backend.core.api_errors import error_response
from backend.core.errors import MalformedRequest, NotFound, ServerError
from backend.core.middleware import bad_request_response, error_page, is_api_path


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(NotFound())
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(ServerError())
    return error_page(request, 500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (a body it cannot parse, a suspicious request) in the error contract or as a page."""
    return bad_request_response(request, MalformedRequest(_("The request could not be read.")))
