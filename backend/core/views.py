from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from backend.core.api_errors import error_response
from backend.core.errors import NotFound, ServerError
from backend.core.middleware import error_page, is_api_path


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(NotFound())
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(ServerError())
    return error_page(request, 500)
