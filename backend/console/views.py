"""Staff console pages and htmx partials. Each view parses, calls one service or selector and renders;
every write goes through the work-order services, so a refusal is the domain's error in the reader's
language, and nothing changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from backend.accounts import views as account_views
from backend.accounts.models import User
from backend.console import selectors
from backend.console.access import (
    APPROVER_ROLES,
    BOARD_ROLES,
    DISPATCH_ROLES,
    INTAKE_ROLES,
    LAYOUT_ROLES,
    QUEUE_ROLES,
    ensure_console,
    is_console_user,
    is_layout_user,
)
from backend.console.models import SavedFilter
from backend.core.errors import AppError, Conflict, ValidationFailed
from backend.workorders import services
from backend.workorders.access import access_order, orders_visible_to
from backend.workorders.actors import Actor
from backend.workorders.models import TimelineEvent, WorkOrder


class StaffRequest(HttpRequest):
    """A console request: a signed-in staff user (``console_view`` checked) and django-htmx's details."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


def console_view(roles: tuple[str, ...] = QUEUE_ROLES) -> Callable[..., Any]:
    """Signed-in staff of ``roles`` only (others 403, objects outside the scope 404); a domain error is
    rendered in the reader's language with its status, never a 500."""
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                ensure_console(request.user, roles)
                return view(request, *args, **kwargs)
            except AppError as error:
                return error_page(request, error)
        return wrapped
    return decorate


def error_page(request: HttpRequest, error: AppError) -> HttpResponse:
    errors = error.details.get("errors", []) if isinstance(error.details, dict) else []
    context = {"error": error, "message": str(error.message), "errors": errors, "status": error.status}
    template = "console/_error.html" if getattr(request, "htmx", False) else "console/error.html"
    response = render(request, template, context, status=error.status)
    if getattr(request, "htmx", False):
        response["HX-Retarget"] = request.headers.get("X-Error-Target", "#flash")
        response["HX-Reswap"] = "innerHTML"
    return response


def home(request: HttpRequest) -> HttpResponse:
    """``/``: office staff land on their console start page; everyone else on the account page."""
    if is_console_user(request.user):
        return redirect("console:start")
    if is_layout_user(request.user):  # sales and finance-only staff: the CRM's pages; handover officers: theirs
        from backend.accounts.access import has_role
        from backend.console.access import CRM_ROLES

        return redirect("/crm/" if has_role(request.user, *CRM_ROLES) else "/handover/")
    return account_views.home(request)


@require_GET
@console_view()
def start(request: StaffRequest) -> HttpResponse:
    from backend.accounts.access import user_roles
    from backend.accounts.roles import Role

    counters = selectors.start_counters(actor=request.user, now=timezone.now())
    roles = [Role(r).label for r in sorted(user_roles(request.user))]
    return render(request, "console/start.html", {"counters": counters, "page": "start", "roles": roles})


# --- queue ------------------------------------------------------------------------------------------


@require_GET
@console_view()
def queue(request: StaffRequest) -> HttpResponse:
    now = timezone.now()
    filters = selectors.QueueFilters.from_query(request.GET)
    page = selectors.queue_page(actor=request.user, filters=filters, now=now, cursor=request.GET.get("cursor"))
    context = {"page_data": page, "filters": filters, "now": now, "page": "queue"}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "console/_queue_rows.html", context)
    if request.htmx and request.htmx.target == "queue-body":
        return render(request, "console/_queue_table.html", context)
    options = selectors.filter_options(actor=request.user)
    # The queue listens on the board groups of the projects it may show (the filter's list).
    context.update({"options": options, "saved": selectors.saved_filters(actor=request.user),
                    "projects": [str(p["id"]) for p in options["projects"]][:50], "seq": _latest_seq(request.user)})
    return render(request, "console/queue.html", context)


@require_GET
@console_view()
def queue_row(request: StaffRequest, order_id: uuid.UUID) -> HttpResponse:
    """One row for a live update: the row as it is now, or 204 when it left the filtered queue."""
    access_order(request.user, order_id)  # outside the scope: the same 404 as an unknown order
    filters = selectors.QueueFilters.from_query(request.GET)
    row = selectors.queue_row(actor=request.user, filters=filters, order_id=order_id, now=timezone.now())
    if row is None:
        return HttpResponse(status=204)
    return render(request, "console/_queue_row.html", {"row": row})


def _latest_seq(user: Any) -> int:
    return TimelineEvent.objects.filter(order__in=orders_visible_to(user)).order_by("-id").values_list(
        "id", flat=True).first() or 0


@require_GET
@console_view()
def changes(request: StaffRequest) -> JsonResponse:
    """The orders changed since ``since`` (a timeline event id), for a page whose socket is not open:
    the same recovery as ``GET /api/v1/orders/events``."""
    try:
        since = int(request.GET.get("since", "0"))
    except ValueError as exc:
        raise ValidationFailed(details={"errors": [{"field": "since", "reason": _("Not a number.")}]}) from exc
    rows = list(TimelineEvent.objects.filter(id__gt=since, order__in=orders_visible_to(request.user))
                .order_by("id").values_list("id", "order_id", "kind")[:200])
    return JsonResponse({"seq": rows[-1][0] if rows else since,
                         "changes": [{"order_id": str(o), "kind": k} for _i, o, k in rows]})


@require_POST
@console_view()
def filter_save(request: StaffRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip()[:60]
    if not name:
        raise ValidationFailed(details={"errors": [{"field": "name", "reason": _("Give the filter a name.")}]})
    query = selectors.QueueFilters.from_query(request.POST).query_string()
    SavedFilter.objects.update_or_create(user=request.user, name=name,
                                         defaults={"query": query, "created_at": timezone.now()})
    return redirect(f"{reverse('console:queue')}?{query}")


@require_POST
@console_view()
def filter_delete(request: StaffRequest, filter_id: int) -> HttpResponse:
    SavedFilter.objects.filter(user=request.user, id=filter_id).delete()
    return redirect("console:queue")


# --- the order workspace ----------------------------------------------------------------------------


@require_GET
@console_view()
def order(request: StaffRequest, order_id: uuid.UUID) -> HttpResponse:
    data = selectors.workspace(actor=request.user, order_id=order_id, now=timezone.now())
    template = "console/_workspace.html" if request.htmx else "console/order.html"
    return render(request, template, {**data, "page": "queue", "now": timezone.now()})


def _check_revision(request: StaffRequest, order_id: uuid.UUID) -> WorkOrder:
    """The order as the page saw it: a page older than the order's last change gets a conflict that says
    what changed, and nothing is written."""
    current = access_order(request.user, order_id)
    seen = request.POST.get("revision")
    if seen and seen.isdigit() and int(seen) != current.revision:
        last = current.events.select_related("actor").order_by("-id").first()
        raise Conflict(_("Someone changed this order a moment ago (%(what)s by %(who)s). Nothing was saved: "
                         "look at it again and repeat your step if it still applies.")
                       % {"what": last.get_kind_display() if last else "", "who": last.actor_label if last else ""},
                       code="stale_order", details={"revision": current.revision})
    return current


def _workspace_response(request: StaffRequest, order_id: uuid.UUID, message: str) -> HttpResponse:
    data = selectors.workspace(actor=request.user, order_id=order_id, now=timezone.now())
    return render(request, "console/_workspace.html", {**data, "flash": message, "now": timezone.now()})


@require_POST
@console_view()
def order_act(request: StaffRequest, order_id: uuid.UUID) -> HttpResponse:
    action = request.POST.get("action", "")
    if action == "merge":
        order = _check_revision(request, order_id)
        if "merge" not in selectors.allowed_actions(actor=request.user, order=order):
            from backend.workorders.errors import InvalidTransition

            raise InvalidTransition(details={"from": order.state, "to": "cancelled"})
        kept = services.order_merge_duplicate(actor=request.user, order_id=order.id,
                                              into_number=request.POST.get("into", ""), now=timezone.now())
        return _workspace_response(request, order_id, _("Merged into %(number)s.") % {"number": kept.number})
    if action not in selectors.ACTION_TARGETS:
        raise ValidationFailed(details={"errors": [{"field": "action", "reason": _("Unknown action.")}]})
    order = _check_revision(request, order_id)
    note = (request.POST.get("reason") or "").strip()
    if action in {"cancel", "reject", "reopen", "hold"} and not note:
        raise ValidationFailed(details={"errors": [{"field": "reason", "reason": _("Give a reason.")}]})
    changes = {}
    if action == "hold":
        changes["waiting_reason"] = request.POST.get("waiting_reason") or "parts"
    services.order_transition(order_id=order.id, actor=Actor(user=request.user), to=selectors.ACTION_TARGETS[action],
                              now=timezone.now(), note=note, changes=changes)
    return _workspace_response(request, order_id, _("Done."))


@require_POST
@console_view(DISPATCH_ROLES)
def order_assign(request: StaffRequest, order_id: uuid.UUID) -> HttpResponse:
    order = _check_revision(request, order_id)
    try:
        technician_id = uuid.UUID(request.POST.get("technician_id", ""))
    except ValueError as exc:
        raise ValidationFailed(details={"errors": [{"field": "technician_id", "reason": _("Choose a technician.")}]}) \
            from exc
    services.order_assign(actor=request.user, order_id=order.id, technician_id=technician_id,
                          reason=request.POST.get("reason", ""), now=timezone.now())
    if request.POST.get("from") == "board":
        return HttpResponse(status=204)
    return _workspace_response(request, order_id, _("Assigned."))


@require_POST
@console_view()
def order_comment(request: StaffRequest, order_id: uuid.UUID) -> HttpResponse:
    services.comment_add(actor=request.user, order_id=order_id, body=request.POST.get("body", ""),
                         owner_visible=request.POST.get("to_owner") == "1", now=timezone.now())
    return _workspace_response(request, order_id, _("Saved."))


@require_GET
@console_view(DISPATCH_ROLES)
def order_technicians(request: StaffRequest, order_id: uuid.UUID) -> HttpResponse:
    candidates = selectors.technician_picker(actor=request.user, order_id=order_id, now=timezone.now())
    order = access_order(request.user, order_id)
    return render(request, "console/_picker.html", {"candidates": candidates, "order": order})


# --- dispatch board ---------------------------------------------------------------------------------


@require_GET
@console_view(BOARD_ROLES)
def board(request: StaffRequest) -> HttpResponse:
    day_text = request.GET.get("day") or ""
    try:
        day = date.fromisoformat(day_text) if day_text else timezone.localdate()
    except ValueError as exc:
        raise ValidationFailed(details={"errors": [{"field": "day", "reason": _("Not a date.")}]}) from exc
    team = request.GET.get("team") or None
    if team:
        try:
            uuid.UUID(team)
        except ValueError as exc:
            raise ValidationFailed(details={"errors": [{"field": "team", "reason": _("Not a valid id.")}]}) from exc
    data = selectors.board(actor=request.user, team_id=team, day=day, now=timezone.now())
    template = "console/_board_lanes.html" if request.htmx else "console/board.html"
    return render(request, template, {**data, "page": "board", "now": timezone.now(),
                                      "seq": _latest_seq(request.user)})


@require_GET
@console_view(BOARD_ROLES)
def board_explain(request: StaffRequest, order_id: uuid.UUID) -> JsonResponse:
    """While a card is dragged: who the routing engine's eligibility rules admit, and its explanation."""
    order = access_order(request.user, order_id)
    order = WorkOrder.objects.select_related("project", "building").get(id=order.id)
    explanation = selectors.dry_route(order=order, now=timezone.now())
    eligible = [str(c["candidate_id"]) for c in explanation.get("candidates", []) if c.get("eligible")]
    return JsonResponse({"eligible": eligible, "explanation": explanation, "revision": order.revision,
                         "routed_to": str(order.technician_id or "")}, json_dumps_params={"default": str})


# --- phone intake -----------------------------------------------------------------------------------


@console_view(INTAKE_ROLES)
def intake(request: StaffRequest) -> HttpResponse:
    from backend.workorders.definitions import active_definitions

    context: dict[str, Any] = {"page": "intake", "areas": selectors.public_areas(actor=request.user),
                               "categories": _leaf_categories(active_definitions()),
                               "priorities": selectors.Priority.choices, "values": request.POST}
    if request.method == "POST":
        try:
            result = _intake_create(request)
        except AppError as error:
            context["error"] = error
            context["errors"] = {e.get("field"): e.get("reason") for e in error.details.get("errors", [])} \
                if isinstance(error.details, dict) else {}
            return render(request, "console/intake.html", context, status=error.status)
        return redirect(f"{reverse('console:order', args=[result.order.id])}?created=1")
    return render(request, "console/intake.html", context)


def _leaf_categories(definitions: Any) -> list[tuple[str, str]]:
    result = []

    def walk(cats: Any, prefix: str) -> None:
        for c in cats:
            label = f"{prefix}{c.name}"
            if c.children:
                walk(c.children, f"{label} / ")
            else:
                result.append((c.code, label))
    walk(definitions.categories_doc.categories, "")
    return result


def _intake_create(request: StaffRequest) -> Any:
    post = request.POST
    place = post.get("place", "")
    unit_id = area_id = None
    try:
        kind, _sep, raw = place.partition(":")
        if kind == "unit":
            unit_id = uuid.UUID(raw)
        elif kind == "area":
            area_id = uuid.UUID(raw)
    except ValueError:
        pass
    if unit_id is None and area_id is None:
        raise ValidationFailed(details={"errors": [{"field": "place", "reason": _("Choose a unit or a public area.")}]})
    slots = []
    if post.get("slot_start") and post.get("slot_end"):
        slots.append({"start": post["slot_start"], "end": post["slot_end"]})
    result = services.order_intake(
        actor=Actor(user=request.user), channel=post.get("channel") or "phone", category_code=post.get("category", ""),
        description=post.get("description", ""), contact_name=post.get("contact_name", ""),
        contact_phone=post.get("contact_phone", ""), now=timezone.now(), unit_id=unit_id, public_area_id=area_id,
        priority=post.get("priority") or None, preferred_slots=slots,
        reporter_owner_id=_uuid_or_none(post.get("owner_id")))
    for upload in request.FILES.getlist("photos")[:5]:
        services.attachment_add(actor=request.user, order_id=result.order.id, data=upload.read(),
                                original_name=upload.name or "", owner_visible=True, now=timezone.now())
    return result


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@require_GET
@console_view(INTAKE_ROLES)
def intake_caller(request: StaffRequest) -> HttpResponse:
    found = selectors.caller_lookup(actor=request.user, phone=request.GET.get("contact_phone", ""), now=timezone.now())
    return render(request, "console/_caller.html", found)


@require_GET
@console_view(INTAKE_ROLES)
def intake_duplicates(request: StaffRequest) -> HttpResponse:
    kind, _sep, raw = (request.GET.get("place") or "").partition(":")
    place_id = _uuid_or_none(raw)
    found = selectors.intake_duplicates(actor=request.user, unit_id=place_id if kind == "unit" else None,
                                        public_area_id=place_id if kind == "area" else None) if place_id else []
    return render(request, "console/_duplicates.html", {"duplicates": found})


# --- approvals --------------------------------------------------------------------------------------


@require_GET
@console_view(APPROVER_ROLES)
def approvals(request: StaffRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "console/approvals.html", {
        "waiting": selectors.approvals_waiting(actor=request.user, now=now),
        "decided": selectors.approvals_decided(actor=request.user), "delegates": selectors.delegates(actor=request.user),
        "away": selectors.stand_in_periods(actor=request.user, now=now), "page": "approvals"})


def _local_instant(value: str | None) -> datetime | None:
    """A ``datetime-local`` field's value, in the business time zone."""
    parsed = parse_datetime((value or "").strip())
    if parsed is None:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@require_POST
@console_view(APPROVER_ROLES)
def approval_away(request: StaffRequest) -> HttpResponse:
    """Names a stand-in for the approvals waiting on me while I am away."""
    try:
        starts_at = _local_instant(request.POST.get("starts_at"))
        ends_at = _local_instant(request.POST.get("ends_at"))
    except ValueError:
        starts_at = ends_at = None  # an impossible date: the service names the field
    services.approval_stand_in_set(actor=request.user, stand_in_id=_uuid_or_none(request.POST.get("stand_in")),
                                   starts_at=starts_at, ends_at=ends_at,  # type: ignore[arg-type]
                                   reason=request.POST.get("reason", ""), now=timezone.now())
    return redirect("console:approvals")


@require_POST
@console_view(APPROVER_ROLES)
def approval_away_end(request: StaffRequest, period_id: uuid.UUID) -> HttpResponse:
    services.approval_stand_in_end(actor=request.user, period_id=period_id, now=timezone.now())
    return redirect("console:approvals")


@require_POST
@console_view(APPROVER_ROLES)
def approval_decide(request: StaffRequest, approval_id: uuid.UUID) -> HttpResponse:
    decision, now = request.POST.get("decision", ""), timezone.now()
    if decision == "approve":
        services.approval_approve(actor=request.user, approval_id=approval_id,
                                  comment=request.POST.get("reason", ""), now=now)
    elif decision == "reject":
        services.approval_reject(actor=request.user, approval_id=approval_id, reason=request.POST.get("reason", ""),
                                 now=now)
    elif decision == "delegate":
        to_user = _uuid_or_none(request.POST.get("to_user_id"))
        if to_user is None:
            raise ValidationFailed(details={"errors": [{"field": "to_user_id", "reason": _("Choose a colleague.")}]})
        services.approval_delegate(actor=request.user, approval_id=approval_id, to_user_id=to_user, now=now)
    else:
        raise ValidationFailed(details={"errors": [{"field": "decision", "reason": _("Unknown decision.")}]})
    return redirect("console:approvals")


@require_GET
@console_view(LAYOUT_ROLES)
def bell(request: StaffRequest) -> HttpResponse:
    return render(request, "console/_bell.html", {"bell": selectors.bell(actor=request.user, now=timezone.now())})
