"""The CRM's staff pages, in the console's layout. Each view parses, calls one service or selector and
renders; a refusal is the domain's error in the reader's language with its status, nothing changed."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.roles import Role
from backend.console.views import StaffRequest, console_view
from backend.core.errors import NotFound, ValidationFailed
from backend.crm import selectors, services
from backend.crm.access import CRM_ROLES, HANDOVER_READERS, SALES_ROLES, is_manager_of, sees_everything
from backend.crm.models import Seat, Subscription
from backend.crm.services.dispatch import open_grabs_for
from backend.properties.models import Building, Project

SALES_PAGE = (Role.SALES,)


def _field(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(details={"errors": [{"field": field, "reason": reason}]})


def yuan_to_fen(text: str, field: str) -> int:
    """``"1234.5"`` → 123450: exact decimal arithmetic, at most two decimals, never a float."""
    try:
        value = Decimal((text or "0").replace(",", "").strip())
    except InvalidOperation:
        raise _field(field, _("Not an amount.")) from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")) or value > Decimal(10**11):
        raise _field(field, _("Not an amount (yuan, at most two decimals)."))
    return int(value * 100)


def _projects(user: Any) -> list[Project]:
    if sees_everything(user) or user.role_rows.filter(role=Role.HANDOVER_OFFICER).exists():
        return list(Project.objects.order_by("code"))
    return list(Project.objects.filter(crm_seats__user=user).order_by("code").distinct())


def _project(request: StaffRequest) -> Project | None:
    projects = _projects(request.user)
    wanted = request.GET.get("project")
    for project in projects:
        if wanted and str(project.id) == wanted:
            return project
    if wanted:
        raise NotFound(details={"object": "project"})
    return projects[0] if projects else None


@require_GET
@console_view(CRM_ROLES)
def mine(request: StaffRequest) -> HttpResponse:
    now = timezone.now()
    tag = (request.GET.get("tag") or "").strip()[:40] or None
    rows = selectors.my_customers(actor=request.user, now=now, stage=request.GET.get("stage") or None, tag=tag)
    return render(request, "crm/mine.html", {"rows": rows, "page": "crm_mine", "projects": _projects(request.user),
                                             "alerts": selectors.alerts_for(actor=request.user, limit=10),
                                             "segments": selectors.tag_segments(actor=request.user), "tag": tag})


@require_POST
@console_view(SALES_PAGE)
def lead_new(request: StaffRequest) -> HttpResponse:
    result = services.lead_create(actor=request.user, project_id=request.POST.get("project_id"),
                                  name=request.POST.get("name", ""), phone=request.POST.get("phone", ""),
                                  channel=request.POST.get("channel", "walk_in"),
                                  consent=request.POST.get("consent") == "on",
                                  id_number=request.POST.get("id_number", ""), note=request.POST.get("note", ""),
                                  referral_code=request.POST.get("referral_code", ""), now=timezone.now())
    return redirect("crm:customer", customer_id=result.customer.id)


@require_GET
@console_view(SALES_PAGE)
def pool(request: StaffRequest) -> HttpResponse:
    rows = selectors.public_pool(actor=request.user, now=timezone.now())
    return render(request, "crm/pool.html", {"rows": rows, "page": "crm_pool"})


@require_GET
@console_view(SALES_PAGE)
def grabs(request: StaffRequest) -> HttpResponse:
    """Offers arrive over one socket per project where the consultant is on duty; the rows are re-read on
    each message, and polled slowly only while no socket is open."""
    projects = Seat.objects.filter(user=request.user, on_duty=True, is_manager=False).values_list("project_id",
                                                                                                 flat=True)
    paths = [f"/ws/crm/projects/{project_id}/grabs" for project_id in projects]
    return render(request, "crm/grabs.html", {"grabs": open_grabs_for(actor=request.user, now=timezone.now()),
                                              "page": "crm_grabs", "socket_paths": paths})


@require_GET
@console_view(SALES_PAGE)
def grabs_live(request: StaffRequest) -> HttpResponse:
    """The grab pool's rows, re-read by the page on each socket message (or polled while the socket is down);
    the countdown ticks in the browser."""
    return render(request, "crm/_grabs.html", {"grabs": open_grabs_for(actor=request.user, now=timezone.now())})


@require_GET
@console_view(CRM_ROLES)
def customer(request: StaffRequest, customer_id: uuid.UUID) -> HttpResponse:
    now = timezone.now()
    data = selectors.customer_360(actor=request.user, customer_id=customer_id, now=now)
    c = data["customer"]
    units = selectors.available_units(actor=request.user, project_id=c.project_id) if data["is_holder"] else []
    referrals = selectors.referrals_of(actor=request.user, customer_id=c.id)
    referral_url = request.build_absolute_uri(reverse("crm:referral", args=[referrals["code"]])) \
        if referrals["code"] else ""
    tags_context = {"tags": data["row"]["tags"], "may_tag": data["may_tag"], "customer_id": c.id,
                    "suggestions": selectors.tag_segments(actor=request.user) if data["may_tag"] else []}
    return render(request, "crm/customer.html", {**data, **tags_context, "page": "crm_mine", "units": units, "now": now,
                                                 "referrals": referrals, "referral_url": referral_url,
                                                 "is_manager": is_manager_of(request.user, c.project_id),
                                                 "may_refer": data["is_holder"] or is_manager_of(request.user,
                                                                                                 c.project_id)})


@require_POST
@console_view(SALES_ROLES)
def customer_act(request: StaffRequest, customer_id: uuid.UUID) -> HttpResponse:
    """One form endpoint for the customer page's steps; each calls its one service."""
    now, post, user = timezone.now(), request.POST, request.user
    action = post.get("action", "")
    if action == "follow_up":
        services.follow_up_log(actor=user, customer_id=customer_id, kind=post.get("kind", ""),
                               note=post.get("note", ""), next_step=post.get("next_step", ""), now=now)
    elif action == "stage":
        services.stage_change(actor=user, customer_id=customer_id, to=post.get("to", ""),
                              reason=post.get("reason", ""), now=now)
    elif action == "claim":
        services.customer_claim(actor=user, customer_id=customer_id, now=now)
    elif action == "grab":
        services.lead_grab(actor=user, customer_id=customer_id, now=now)
    elif action == "release":
        services.customer_release(actor=user, customer_id=customer_id, reason=post.get("reason", ""), now=now)
        return redirect("crm:mine")
    elif action == "reserve":
        services.unit_reserve(actor=user, unit_id=_uuid(post.get("unit_id"), "unit_id"), customer_id=customer_id,
                              now=now)
    elif action == "subscribe":
        services.subscription_create(actor=user, unit_id=_uuid(post.get("unit_id"), "unit_id"),
                                     customer_id=customer_id,
                                     deposit_fen=yuan_to_fen(post.get("deposit_yuan", ""), "deposit_yuan"), now=now)
    elif action == "contract":
        subscription = Subscription.objects.filter(id=_uuid(post.get("subscription_id"), "subscription_id"),
                                                   customer_id=customer_id).first()
        if subscription is None:
            raise NotFound(details={"object": "subscription"})
        buyers = [b for b in (post.get("buyers", "").replace("，", ",").split(",")) if b.strip()]
        services.contract_create(actor=user, subscription_id=subscription.id, buyers=buyers,
                                 discount_fen=yuan_to_fen(post.get("discount_yuan", ""), "discount_yuan"),
                                 payment_method=post.get("payment_method", ""),
                                 down_payment_percent=_int(post.get("down_payment_percent", "30"), "down_payment_percent"),
                                 instalments=_int(post.get("instalments", "0"), "instalments"), now=now)
    elif action == "merge":  # a manager merges the duplicate record with that phone into this customer
        kept = selectors.customer_360(actor=user, customer_id=customer_id, now=now)["customer"]
        other = selectors.customer_by_phone(actor=user, project_id=kept.project_id, phone=post.get("phone", ""))
        services.customer_merge(actor=user, kept_id=kept.id, merged_id=other.id, now=now)
    elif action == "merge_undo":
        services.merge_undo(actor=user, record_id=_int(post.get("record_id", ""), "record_id"), now=now)
    elif action == "referral_code":
        services.referral_code_issue(actor=user, customer_id=customer_id, now=now)
    elif action == "sign":
        services.contract_sign(actor=user, contract_id=_uuid(post.get("contract_id"), "contract_id"), now=now)
    else:
        raise _field("action", _("Unknown step."))
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("crm:customer", args=[customer_id])
        return response
    return redirect("crm:customer", customer_id=customer_id)


@require_POST
@console_view(SALES_ROLES)
def customer_tags(request: StaffRequest, customer_id: uuid.UUID) -> HttpResponse:
    """htmx: adds (``op=add``) or removes (``op=remove``) one tag and answers the tags again."""
    op, tag = request.POST.get("op", ""), request.POST.get("tag", "")
    if op == "add":
        tags = services.customer_tag_add(actor=request.user, customer_id=customer_id, tag=tag, now=timezone.now())
    elif op == "remove":
        tags = services.customer_tag_remove(actor=request.user, customer_id=customer_id, tag=tag, now=timezone.now())
    else:
        raise _field("op", _("Unknown step."))
    return render(request, "crm/_tags.html", {"tags": tags, "may_tag": True, "customer_id": customer_id,
                                              "suggestions": selectors.tag_segments(actor=request.user)})


def _uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise _field(field, _("Choose one.")) from None


def _int(value: Any, field: str) -> int:
    try:
        return int(str(value).strip() or "0")
    except ValueError:
        raise _field(field, _("Expected a whole number.")) from None


@require_GET
@console_view(CRM_ROLES)
def inventory(request: StaffRequest) -> HttpResponse:
    project = _project(request)
    building = Building.objects.filter(project=project).order_by("code").first() if project else None
    if building is None:
        return render(request, "crm/inventory.html", {"page": "crm_inventory", "board": None,
                                                      "projects": _projects(request.user)})
    return redirect("crm:inventory_building", building_id=building.id)


@require_GET
@console_view(CRM_ROLES)
def inventory_building(request: StaffRequest, building_id: uuid.UUID) -> HttpResponse:
    board = selectors.inventory_board(actor=request.user, building_id=building_id, now=timezone.now())
    mine = selectors.my_customers(actor=request.user, now=timezone.now())
    return render(request, "crm/inventory.html", {"page": "crm_inventory", "board": board, "mine": mine,
                                                  "projects": _projects(request.user)})


@require_GET
@console_view(CRM_ROLES)
def approvals(request: StaffRequest) -> HttpResponse:
    return render(request, "crm/approvals.html", {"page": "crm_approvals",
                                                  "waiting": selectors.discount_inbox(actor=request.user)})


@require_POST
@console_view(CRM_ROLES)
def contract_decide(request: StaffRequest, contract_id: uuid.UUID) -> HttpResponse:
    decision = request.POST.get("decision")
    if decision not in {"approve", "reject"}:
        raise _field("decision", _("Approve or reject."))
    services.contract_discount_decide(actor=request.user, contract_id=contract_id, approve=decision == "approve",
                                      comment=request.POST.get("comment", ""), now=timezone.now())
    return redirect("crm:approvals")


@require_GET
@console_view(CRM_ROLES)
def dashboard(request: StaffRequest) -> HttpResponse:
    project = _project(request)
    now = timezone.now()
    context: dict[str, Any] = {"page": "crm_dashboard", "projects": _projects(request.user), "project": project}
    if project is not None:
        context["funnel"] = selectors.funnel(actor=request.user, project_id=project.id, now=now)
        context["kpi"] = selectors.first_response_kpi(actor=request.user, project_id=project.id, now=now)
        context["campaigns"] = selectors.campaigns(actor=request.user, project_id=project.id)
        context["chart"] = {
            "stages": [s["label"] for s in context["funnel"]["stages"]],
            "reached": [s["reached"] for s in context["funnel"]["stages"]],
            "months": [f["month"] for f in context["funnel"]["forecast"]],
            "forecast_yuan": [f["weighted_fen"] // 100 for f in context["funnel"]["forecast"]],
        }
    return render(request, "crm/dashboard.html", context)


@require_GET
@console_view(CRM_ROLES)
def payments(request: StaffRequest) -> HttpResponse:
    project = _project(request)
    now = timezone.now()
    context: dict[str, Any] = {"page": "crm_payments", "projects": _projects(request.user), "project": project}
    if project is not None:
        context["lines"] = selectors.payment_lines(actor=request.user, project_id=project.id, now=now,
                                                   status=request.GET.get("status") or None)
        context["receivables"] = selectors.receivables(actor=request.user, project_id=project.id, now=now)
        if request.GET.get("format") == "xlsx":
            return _xlsx(context["receivables"], project)
    return render(request, "crm/payments.html", context)


def _xlsx(rows: list[dict[str, Any]], project: Project) -> HttpResponse:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "receivables"
    sheet.append([_("Month"), _("Due (yuan)"), _("Received (yuan)"), _("Outstanding (yuan)"), _("Overdue (yuan)")])
    for row in rows:
        sheet.append([row["month"], *(Decimal(row[k]) / 100 for k in ("due_fen", "received_fen", "outstanding_fen",
                                                                      "overdue_fen"))])
    buffer = BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="receivables-{project.code}.xlsx"'
    return response


@require_POST
@console_view(CRM_ROLES)
def payment_pay(request: StaffRequest, line_id: int) -> HttpResponse:
    services.payment_record(actor=request.user, line_id=line_id,
                            amount_fen=yuan_to_fen(request.POST.get("amount_yuan", ""), "amount_yuan"),
                            reference=request.POST.get("reference", ""), now=timezone.now())
    back = str(request.POST.get("next", ""))
    return redirect(back if back.startswith("/crm/") else reverse("crm:payments"))


@require_GET
@console_view(HANDOVER_READERS)
def handover(request: StaffRequest) -> HttpResponse:
    project = _project(request)
    rows = selectors.ready_for_handover_list(actor=request.user, project_id=project.id) if project else []
    return render(request, "crm/handover.html", {"page": "crm_handover", "rows": rows, "project": project,
                                                 "projects": _projects(request.user)})


__all__ = ["Seat"]


@require_GET
@console_view(SALES_PAGE)
def team(request: StaffRequest) -> HttpResponse:
    project = _project(request)
    if project is None:
        raise NotFound(details={"object": "project"})
    rows = selectors.team(actor=request.user, project_id=project.id, now=timezone.now())
    tag = (request.GET.get("tag") or "").strip()[:40] or None
    customers = selectors.customers_of_project(actor=request.user, project_id=project.id, now=timezone.now(),
                                               tag=tag)
    segments = selectors.tag_segments(actor=request.user, held_only=False, project_id=project.id)
    return render(request, "crm/team.html", {"page": "crm_team", "rows": rows, "project": project,
                                             "projects": _projects(request.user), "customers": customers,
                                             "segments": segments, "tag": tag})


@require_POST
@console_view(SALES_PAGE)
def team_transfer(request: StaffRequest) -> HttpResponse:
    """Bulk transfer: the chosen customers to one consultant (the clock restarts for them)."""
    ids = [_uuid(v, "customer_ids") for v in request.POST.getlist("customer_ids")]
    moved = services.customers_transfer(actor=request.user, customer_ids=ids,
                                        to_user_id=_uuid(request.POST.get("to_user_id"), "to_user_id"),
                                        now=timezone.now())
    project_id = moved[0].project_id if moved else request.POST.get("project", "")
    return redirect(f"{reverse('crm:team')}?project={project_id}")


# --- the public page behind a marketing QR code --------------------------------------------------------

def code_page(request: Any, token: str) -> HttpResponse:
    """GET logs the scan and shows a short form; POST leaves a lead (rate limited per address)."""
    import hashlib

    from django.conf import settings as dj_settings

    from backend.core.errors import AppError
    from backend.core.ratelimit import client_ip, rate_limit_hit

    now = timezone.now()
    ip = client_ip(request)
    ip_hash = hashlib.sha256(f"{dj_settings.ID_HASH_KEY}:{ip}".encode()).hexdigest()
    try:
        if request.method == "POST":
            rate_limit_hit(name="crm_qr_lead", identifiers=[f"ip:{ip}"])
            services.code_lead_create(token=token, name=request.POST.get("name", ""),
                                      phone=request.POST.get("phone", ""), consent=request.POST.get("consent") == "on",
                                      now=now)
            return render(request, "crm/code.html", {"done": True})
        if request.method != "GET":
            return HttpResponse(status=405)
        code = services.code_scan(token=token, ip_hash=ip_hash, place=request.GET.get("at", ""), now=now)
        return render(request, "crm/code.html", {"code": code})
    except AppError as error:
        errors = error.details.get("errors", []) if isinstance(error.details, dict) else []
        return render(request, "crm/code.html", {"error": str(error.message), "errors": errors},
                      status=error.status)


def referral_page(request: Any, code: str) -> HttpResponse:
    """老带新: the public page behind a customer's referral code (a link or its QR code). GET shows a short form;
    POST leaves a lead attributed to the referrer (rate limited per address, like the marketing codes)."""
    from backend.core.errors import AppError
    from backend.core.ratelimit import client_ip, rate_limit_hit
    from backend.crm.models import ReferralCode
    from backend.crm.services.referrals import normalize_referral_code

    referral = ReferralCode.objects.select_related("project", "referrer").filter(
        code=normalize_referral_code(code)).first()
    try:
        if referral is None:
            raise NotFound(details={"object": "referral_code"})
        if request.method == "POST":
            rate_limit_hit(name="crm_qr_lead", identifiers=[f"ip:{client_ip(request)}"])
            services.referral_lead_create(code=referral.code, name=request.POST.get("name", ""),
                                          phone=request.POST.get("phone", ""),
                                          consent=request.POST.get("consent") == "on", now=timezone.now())
            return render(request, "crm/code.html", {"done": True})
        if request.method != "GET":
            return HttpResponse(status=405)
        # The referrer's surname only: the page is public.
        return render(request, "crm/code.html", {"code": {"project": referral.project, "campaign": _(
            "Recommended by %(name)s") % {"name": referral.referrer.name[:1] + "**"}}})
    except AppError as error:
        errors = error.details.get("errors", []) if isinstance(error.details, dict) else []
        return render(request, "crm/code.html", {"error": str(error.message), "errors": errors},
                      status=error.status)
