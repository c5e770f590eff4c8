"""Staff pages of the registry: printable QR label sheets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from backend.core.errors import NotFound, PermissionDenied
from backend.properties import qr
from backend.properties.access import access_building, access_project, ensure_registry_manager


def _label_page(request: HttpRequest, build: Callable[[], qr.QrLabelSheet]) -> HttpResponse:
    """GET shows what will be printed and a button; only the POST issues missing tokens and prints,
    so that a link, a prefetch or a crawler creates nothing."""
    actor: Any = request.user
    try:
        ensure_registry_manager(actor)
        if request.method != "POST":
            return render(request, "properties/qr_labels_confirm.html", {"action": request.path})
        sheet = build()
    except PermissionDenied:
        return render(request, "properties/forbidden.html", status=403)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "properties/qr_labels.html", {"sheet": sheet})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def building_qr_labels(request: HttpRequest, building_id: UUID) -> HttpResponse:
    """A4 sheet of QR labels for every unit and public area of a building (tokens issued as needed)."""
    actor: Any = request.user
    if request.method != "POST":
        _exists_or_404(lambda: access_building(actor, building_id), actor)
    return _label_page(request, lambda: qr.qr_label_sheet_for_building(actor=actor, building_id=building_id,
                                                                        now=timezone.now()))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def project_qr_labels(request: HttpRequest, project_id: UUID) -> HttpResponse:
    """A4 sheet of QR labels for the project-wide public areas (garages, gates, gardens)."""
    actor: Any = request.user
    if request.method != "POST":
        _exists_or_404(lambda: access_project(actor, project_id), actor)
    return _label_page(request, lambda: qr.qr_label_sheet_for_project(actor=actor, project_id=project_id,
                                                                       now=timezone.now()))


def _exists_or_404(lookup: Callable[[], Any], actor: Any) -> None:
    """The confirmation page of a building or project that does not exist is a 404 for a manager."""
    try:
        ensure_registry_manager(actor)
    except PermissionDenied:
        return  # the 403 page follows
    try:
        lookup()
    except NotFound as exc:
        raise Http404 from exc
