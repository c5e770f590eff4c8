from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from backend.accounts.access import user_roles
from backend.accounts.roles import Role
from backend.core.api_errors import error_response
from backend.core.errors import NotFound, ServerError
from backend.core.middleware import error_page, is_api_path


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = [Role(r).label for r in sorted(user_roles(request.user))]
    return render(request, "core/home.html", {"roles": roles})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(NotFound())
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(ServerError())
    return error_page(request, 500)
