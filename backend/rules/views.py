"""The rules pages in the staff layout: versions and their audit list, drafts edited as YAML (with
line-exact validation by the engine's loader) or through forms, simulation, publish and rollback.
Each view parses, calls one service or selector, and renders."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.access import ensure_role, has_role
from backend.console.views import StaffRequest, console_view
from backend.core.dates import business_date
from backend.core.errors import AppError, NotAuthenticated, NotFound, ValidationFailed
from backend.rules import edits, problems, simulation
from backend.rules import selectors as rule_selectors
from backend.rules import services as rule_services
from backend.rulesets import selectors as rulesets
from backend.rulesets import services as versions
from backend.rulesets.models import RuleDraft
from backend.rulesets.services import RULE_EDITORS, RULE_READERS
from workflows.schema import DOCUMENTS

FILES = list(DOCUMENTS)
DEFAULT_DAYS = 30


def json_view(roles: tuple[str, ...]) -> Callable[..., Any]:
    """A JSON endpoint of the editor: errors in the one error shape (401/403/404/422), never a redirect."""
    def decorate(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
        @wraps(view)
        def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            try:
                if not request.user.is_authenticated:
                    raise NotAuthenticated()
                ensure_role(request.user, roles)
                return view(request, *args, **kwargs)
            except AppError as error:
                body = error.as_body()
                if "problems" in error.details:
                    body["details"] = {**error.details,
                                       "problems": problems.rendered(error.details["problems"])}
                return JsonResponse(body, status=error.status)
        return wrapped
    return decorate


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(code="malformed_request", details={"errors": [{"field": "body", "reason": "JSON"}]}) \
            from exc
    if not isinstance(body, dict):
        raise ValidationFailed(details={"errors": [{"field": "body", "reason": "expected an object"}]})
    return body


def _sources_from(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValidationFailed(details={"errors": [{"field": "sources", "reason": _("Expected the files' texts.")}]})
    return value


def _posted_sources(request: HttpRequest, fallback: dict[str, str]) -> dict[str, str]:
    posted = {name: request.POST[f"file:{name}"] for name in FILES if f"file:{name}" in request.POST}
    return {**fallback, **posted}


def _int(value: Any, field: str, *, low: int, high: int, default: int | None = None) -> int:
    if (value is None or value == "") and default is not None:
        return default
    try:
        number = int(str(value))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ValidationFailed(details={"errors": [{"field": field,
                                                    "reason": _("Enter a whole number from %(low)s to %(high)s.")
                                                    % {"low": low, "high": high}}]})
    return number


def _draft(draft_id: int, *, open_only: bool = False) -> RuleDraft:
    draft = rulesets.draft_get(draft_id=draft_id)
    if draft is None or (open_only and draft.status != RuleDraft.Status.OPEN):
        raise NotFound()
    return draft


def _validation(sources: dict[str, str]) -> dict[str, Any]:
    try:
        definitions = versions.definitions_check(sources)
    except AppError as error:
        found = problems.rendered(error.details.get("problems", []))
        return {"ok": False, "problems": found, "summary": problems.summary(len(found))}
    return {"ok": True, "problems": [], "version": definitions.version, "summary": _("No problems found.")}


# --- pages -----------------------------------------------------------------------------------------

@require_GET
@console_view(RULE_READERS)
def index(request: StaffRequest) -> HttpResponse:
    live = rulesets.live_version()
    definitions = rulesets.live_definitions()
    warnings = definitions.health_warnings(business_date(timezone.now()))
    return render(request, "rules/index.html", {
        "page": "rules", "live": live, "live_hash": definitions.version, "versions": rulesets.version_list(),
        "drafts": rulesets.draft_list(), "warnings": warnings, "may_edit": has_role(request.user, *RULE_EDITORS)})


@require_POST
@console_view(RULE_EDITORS)
def draft_new(request: StaffRequest) -> HttpResponse:
    draft = versions.draft_save(actor=request.user, sources=rulesets.live_sources(),
                                title=request.POST.get("title", ""), now=timezone.now())
    return redirect("rules:draft", draft_id=draft.id)


@require_GET
@console_view(RULE_EDITORS)
def draft(request: StaffRequest, draft_id: int) -> HttpResponse:
    row = _draft(draft_id)
    sources = {name: row.sources.get(name, "") for name in FILES}
    live = rulesets.live_version()
    return render(request, "rules/draft.html", {
        "page": "rules", "draft": row, "files": [(name, sources[name]) for name in FILES],
        "check": _validation(sources), "live": live,
        "diff": rule_selectors.sources_diff(rulesets.live_sources(), sources),
        "boundaries": edits.approval_boundaries(sources["approvals.yaml"]) if sources["approvals.yaml"] else [],
        "policies": _safe(edits.sla_policies, sources["sla.yaml"]),
        "rules": _safe(edits.routing_rules, sources["routing.yaml"]),
        "calendars": _safe(edits.calendar_codes, sources["calendars.yaml"]),
        "teams": _safe_codes(sources["teams.yaml"]),
        "next_year": business_date(timezone.now()).year + 1, "days": DEFAULT_DAYS})


def _safe_codes(text: str) -> list[str]:
    try:
        return edits.team_codes(text)
    except (AppError, KeyError, TypeError, AttributeError):
        return []


def _safe(read: Callable[[str], list[dict[str, Any]]], text: str) -> list[dict[str, Any]]:
    try:
        return read(text)
    except (AppError, KeyError, TypeError, AttributeError):
        return []  # the file does not read as YAML now; the editor shows why


@require_POST
@json_view(RULE_EDITORS)
def validate(request: StaffRequest) -> JsonResponse:
    return JsonResponse(_validation(_sources_from(_json_body(request).get("sources"))))


@require_POST
@json_view(RULE_EDITORS)
def draft_save(request: StaffRequest, draft_id: int) -> JsonResponse:
    body = _json_body(request)
    sources = _sources_from(body.get("sources"))
    row = versions.draft_save(actor=request.user, draft_id=draft_id, sources=sources,
                              title=str(body.get("title") or ""), now=timezone.now())
    return JsonResponse({"saved_at": timezone.localtime(row.updated_at).strftime("%H:%M:%S"),
                         **_validation(dict(row.sources))})


def _decimal(value: str, field: str) -> Decimal:
    try:
        amount = Decimal(value.strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0 or amount > Decimal("100000000"):
        raise ValidationFailed(details={"errors": [{"field": field, "reason": _("Enter an amount in yuan.")}]})
    return amount


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError) as exc:
        raise ValidationFailed(details={"errors": [{"field": field, "reason": _("Enter a date as YYYY-MM-DD.")}]}) \
            from exc


def _form_edit(kind: str, post: Any, sources: dict[str, str]) -> tuple[str, str]:
    """(file, new text) of one form edit."""
    if kind == "approval-threshold":
        return "approvals.yaml", edits.approval_threshold_set(sources["approvals.yaml"],
                                                              old=_decimal(post.get("old", ""), "old"),
                                                              new=_decimal(post.get("new", ""), "new"))
    if kind == "sla-target":
        return "sla.yaml", edits.sla_target_set(sources["sla.yaml"], policy=post.get("policy", ""),
                                                target=post.get("target", ""), duration=post.get("duration", ""))
    if kind == "routing-rule":
        categories = [c.strip() for c in post.get("categories", "").replace("，", ",").split(",") if c.strip()]
        return "routing.yaml", edits.routing_rule_set(sources["routing.yaml"], rule=post.get("rule", ""),
                                                      team=post.get("team", ""), categories=categories)
    if kind == "calendar-closure":
        start = _date(post.get("start", ""), "start")
        end = _date(post.get("end", "") or post.get("start", ""), "end")
        return "calendars.yaml", edits.calendar_closure_add(sources["calendars.yaml"],
                                                            calendar=post.get("calendar", ""), start=start, end=end,
                                                            reason=post.get("reason", ""))
    if kind == "official-year":
        year = _int(post.get("year"), "year", low=2000, high=2200)
        return "calendars.yaml", edits.official_year_set(sources["calendars.yaml"], year=year,
                                                         notice=post.get("notice", ""),
                                                         holidays=post.get("holidays", ""),
                                                         workdays=post.get("workdays", ""))
    raise NotFound()


@require_POST
@console_view(RULE_EDITORS)
def draft_form(request: StaffRequest, draft_id: int, kind: str) -> HttpResponse:
    row = _draft(draft_id, open_only=True)
    sources = {name: row.sources.get(name, "") for name in FILES}
    name, text = _form_edit(kind, request.POST, sources)
    versions.draft_save(actor=request.user, draft_id=row.id, sources={name: text}, title="", now=timezone.now())
    return redirect(reverse("rules:draft", args=[row.id]) + f"?file={name}")


@require_GET
@console_view(RULE_EDITORS)
def draft_simulate(request: StaffRequest, draft_id: int) -> HttpResponse:
    row = _draft(draft_id)
    days = _int(request.GET.get("days"), "days", low=1, high=simulation.MAX_DAYS, default=DEFAULT_DAYS)
    definitions = versions.definitions_check(row.sources)
    result = simulation.simulate(definitions=definitions, days=days, now=timezone.now())
    show_all = request.GET.get("all") == "1"
    context = {"page": "rules", "draft": row, "sim": result, "show_all": show_all,
               "rows": result.orders if show_all else [d for d in result.orders if d.changed][:500]}
    template = "rules/_simulation.html" if request.htmx else "rules/simulation.html"
    return render(request, template, context)


@require_POST
@console_view(RULE_EDITORS)
def draft_publish(request: StaffRequest, draft_id: int) -> HttpResponse:
    row = _draft(draft_id, open_only=True)
    sources = _posted_sources(request, dict(row.sources))
    expected = _int(request.POST.get("expected_live"), "expected_live", low=1, high=10**9)
    published = rule_services.rules_publish(actor=request.user, sources=sources, note=request.POST.get("note", ""),
                                            expected_live=expected, recompute_open=request.POST.get("recompute") == "1",
                                            now=timezone.now(), draft_id=row.id)
    return redirect(reverse("rules:index") + f"?published={published.number}")


@require_POST
@console_view(RULE_EDITORS)
def draft_discard(request: StaffRequest, draft_id: int) -> HttpResponse:
    versions.draft_discard(actor=request.user, draft_id=draft_id, now=timezone.now())
    return redirect("rules:index")


@require_GET
@console_view(RULE_READERS)
def version(request: StaffRequest, number: int) -> HttpResponse:
    row = rulesets.version_get(number=number)
    if row is None:
        raise NotFound()
    previous = rule_selectors.version_sources(number - 1) or {}
    return render(request, "rules/version.html", {
        "page": "rules", "row": row, "files": [(name, row.sources.get(name, "")) for name in FILES],
        "diff": rule_selectors.sources_diff(previous, row.sources), "live": rulesets.live_version(),
        "may_edit": has_role(request.user, *RULE_EDITORS)})


@require_GET
@console_view(RULE_READERS)
def diff(request: StaffRequest) -> HttpResponse:
    a = _int(request.GET.get("a"), "a", low=1, high=10**9)
    b = _int(request.GET.get("b"), "b", low=1, high=10**9)
    before, after = rule_selectors.version_sources(a), rule_selectors.version_sources(b)
    if before is None or after is None:
        raise NotFound()
    return render(request, "rules/diff.html", {"page": "rules", "a": a, "b": b,
                                               "diff": rule_selectors.sources_diff(before, after),
                                               "versions": rulesets.version_list()})


@require_POST
@console_view(RULE_EDITORS)
def version_restore(request: StaffRequest, number: int) -> HttpResponse:
    expected = _int(request.POST.get("expected_live"), "expected_live", low=1, high=10**9)
    row = rule_services.rules_restore(actor=request.user, number=number, note=request.POST.get("note", ""),
                                      expected_live=expected, recompute_open=request.POST.get("recompute") == "1",
                                      now=timezone.now())
    return redirect(reverse("rules:index") + f"?published={row.number}")
