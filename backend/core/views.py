from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from backend.accounts.access import user_roles
from backend.accounts.roles import Role
from backend.core.api_errors import error_response
from backend.core.errors import MalformedRequest, NotFound, ServerError
from backend.core.middleware import bad_request_response, is_api_path


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = [Role(r).label for r in sorted(user_roles(request.user))]
    return render(request, "core/home.html", {"roles": roles})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(NotFound())
    return render(request, "core/error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(ServerError())
    return render(request, "core/error.html", {"status": 500}, status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (a body it cannot parse, a suspicious request) in the error contract or as a page."""
    return bad_request_response(request, MalformedRequest(_("The request could not be read.")))
