"""The homeowner's pages behind a QR code: verify a phone, report with photos, follow the repair.

Views parse the request, call one service or selector and render. Pages are server-rendered and
work without JavaScript; ``portal.js`` adds photo resizing, article suggestions, the "add to the
existing report?" offer and live updates. Requests sent by that script (``X-Requested-With:
fetch``) get JSON in the error contract instead of a page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from backend.core.dates import instant_in_window
from backend.core.errors import AppError, NotFound, RateLimited, ValidationFailed
from backend.core.ratelimit import client_ip, rate_limit_hit
from backend.core.text import without_nul
from backend.properties.errors import QrTokenInvalid, QrTokenRevoked
from backend.properties.identity import mask_phone
from backend.properties.qr import qr_resolve
from backend.workorders.owner import steps as owner_services
from backend.workorders.owner.steps import OwnerIdentity
from owner_portal import selectors, services
from owner_portal.models import Article

SESSION_OWNER = selectors.SESSION_OWNER
SESSION_OTP = "portal_otp"
SESSION_VISIT = "portal_visit"
SESSION_AGE_SECONDS = 30 * 24 * 3600


# --- plumbing


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _error_json(exc: AppError) -> JsonResponse:
    response = JsonResponse(exc.as_body(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.details.get("retry_after_seconds", 60))
    return response


def _message_of(exc: AppError) -> str:
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if errors:
        return "；".join(str(e.get("reason")) for e in errors)
    if isinstance(exc, RateLimited):
        return _("Too many attempts. Please wait %(seconds)s seconds and try again.") % {
            "seconds": exc.details.get("retry_after_seconds", 60)}
    return str(exc.message)


def _noindex(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


def _unavailable(request: HttpRequest, reason: str, status: int, **context: object) -> HttpResponse:
    return _noindex(render(request, "owner_portal/qr_unavailable.html", {"reason": reason, **context}, status=status))


def portal_limited(view: Callable[..., HttpResponse] | None = None, *,
                   limit: str | None = None) -> Any:
    """Every public endpoint is rate limited per address (reads and writes separately, or by the
    ``limit`` named); a miss of any kind (forged token, another owner's order) is a friendly 404
    page or the error contract."""
    if view is None:
        return lambda inner: portal_limited(inner, limit=limit)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            name = limit or ("portal_read" if request.method in {"GET", "HEAD"} else "portal_write")
            rate_limit_hit(name=name, identifiers=[f"ip:{client_ip(request)}"])
            return _noindex(view(request, *args, **kwargs))
        except RateLimited as exc:
            if _wants_json(request):
                return _error_json(exc)
            response = _unavailable(request, "rate_limited", 429, retry_after=exc.details.get("retry_after_seconds"))
            response["Retry-After"] = str(exc.details.get("retry_after_seconds", 60))
            return response
        except QrTokenRevoked:
            return _unavailable(request, "revoked", 410)
        except QrTokenInvalid:
            return _unavailable(request, "invalid", 404)
        except NotFound as exc:
            if _wants_json(request):
                return _error_json(exc)
            return _unavailable(request, "not_found", 404)

    return wrapper


def identity_of(request: HttpRequest) -> OwnerIdentity | None:
    return selectors.identity_in_session(request.session)


def owner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Passes the verified identity to the view; without one, the owner is sent to verify their phone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        identity = identity_of(request)
        if identity is None:
            return _needs_identity(request, token=kwargs.get("token"))
        return view(request, identity, *args, **kwargs)

    return wrapper


def _visit(request: HttpRequest) -> str:
    visit = request.session.get(SESSION_VISIT)
    if not visit:
        visit = secrets.token_urlsafe(16)
        request.session[SESSION_VISIT] = visit
    return str(visit)


def _needs_identity(request: HttpRequest, *, token: str | None = None) -> HttpResponse:
    if _wants_json(request):
        from owner_portal.errors import NotVerified

        return _error_json(NotVerified())
    nxt = request.get_full_path()
    if token:
        return redirect(f"{reverse('owner_portal:verify', args=[token])}?next={nxt}")
    return redirect(f"{reverse('owner_portal:login')}?next={nxt}")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    nxt = _form(request, "next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=False) \
            and nxt.startswith("/"):
        return nxt
    return fallback


def _form(request: HttpRequest, name: str, default: str = "") -> str:
    """A posted field without NUL characters (PostgreSQL text cannot hold them; nobody types one)."""
    return str(without_nul(request.POST.get(name, default)))


def _now() -> datetime:
    return timezone.now()


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


# --- the scanned code


@require_safe
@portal_limited
def qr_landing(request: HttpRequest, token: str) -> HttpResponse:
    rate_limit_hit(name="qr_resolve", identifiers=[f"ip:{client_ip(request)}"])
    place = qr_resolve(token=token)
    return render(request, "owner_portal/qr_place.html", {"place": place, "token": token,
                                                          "identity": identity_of(request)})


@require_http_methods(["GET", "POST"])
@portal_limited
def verify(request: HttpRequest, token: str | None = None) -> HttpResponse:
    """Phone → 6-digit code by SMS → the session is scoped to that owner's homes."""
    place = qr_resolve(token=token) if token else None
    fallback = reverse("owner_portal:report", args=[token]) if token else reverse("owner_portal:orders")
    nxt = _safe_next(request, fallback)
    context: dict[str, Any] = {"place": place, "token": token, "next": nxt, "step": "phone", "error": "",
                               "phone": ""}
    pending = request.session.get(SESSION_OTP)
    retry_after: Any = None
    if request.method == "POST":
        action = _form(request, "action")
        try:
            if action == "send":
                context["phone"] = _form(request, "phone")[:20]
                challenge = services.otp_request(phone=_form(request, "phone"), token=token,
                                                 ip=client_ip(request), now=_now(), language=_language())
                request.session[SESSION_OTP] = {"id": str(challenge.id), "phone": mask_phone(challenge.phone)}
                pending = request.session[SESSION_OTP]
                context["step"] = "code"
            elif action == "check" and pending:
                context["step"] = "code"
                identity = services.otp_verify(challenge_id=pending.get("id"), code=_form(request, "code"),
                                               ip=client_ip(request), now=_now())
                visit = request.session.get(SESSION_VISIT)
                request.session.cycle_key()  # a new session id once the phone is proven
                request.session.pop(SESSION_OTP, None)
                request.session[SESSION_OWNER] = {"phone": identity.phone, "name": identity.name,
                                                  "owner_id": str(identity.owner_id) if identity.owner_id else None,
                                                  "verified_at": _now().isoformat()}
                if visit:
                    request.session[SESSION_VISIT] = visit
                request.session.set_expiry(SESSION_AGE_SECONDS)
                return redirect(nxt)
            elif action == "restart":
                request.session.pop(SESSION_OTP, None)
                pending = None
        except AppError as exc:
            context["error"] = _message_of(exc)
            if isinstance(exc, RateLimited):
                retry_after = exc.details.get("retry_after_seconds")
            if getattr(exc, "code", "") == "code_expired":
                request.session.pop(SESSION_OTP, None)
                pending = None
                context["step"] = "phone"
    elif pending and request.GET.get("step") == "code":
        context["step"] = "code"
    context["masked_phone"] = pending.get("phone") if pending else ""
    status = 200 if not context["error"] else 429 if retry_after is not None else 422
    response = render(request, "owner_portal/verify.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(int(retry_after))
    return response


@require_POST
@portal_limited
def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect(_safe_next(request, reverse("owner_portal:kb")))


# --- reporting


def _field_error(name: str, reason: str) -> ValidationFailed:
    return ValidationFailed(details={"errors": [{"field": name, "reason": reason}]})


def _form_datetime(raw: str, name: str) -> datetime | None:
    """A date and time typed in a form: None when empty; a field error when it is not a real time
    ("2026-13-45T99:00") or lies outside the accepted window."""
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed but not a date ("month must be in 1..12")
        value = None
    if value is None:
        raise _field_error(name, _("Enter a valid date and time."))
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    if not instant_in_window(value):
        raise _field_error(name, _("The date is out of the accepted range (2000–2100 for times, 1900–2100 for dates)."))
    return value


def _form_uuid(raw: str, name: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise _field_error(name, _("Expected an identifier (UUID).")) from None


def _slots_from(request: HttpRequest) -> list[dict[str, Any]]:
    slots = []
    for start_raw, end_raw in zip(request.POST.getlist("slot_start"), request.POST.getlist("slot_end"), strict=False):
        start, end = _form_datetime(start_raw or "", "slot_start"), _form_datetime(end_raw or "", "slot_end")
        if start is None and end is None:
            continue
        slots.append({"start": start, "end": end})
    return slots


def _photos_from(request: HttpRequest) -> list[services.Photo]:
    return [services.Photo(data=f.read(), name=f.name or "photo") for f in request.FILES.getlist("photos")]


@require_http_methods(["GET", "POST"])
@portal_limited
@owner_required
def report(request: HttpRequest, identity: OwnerIdentity, token: str) -> HttpResponse:
    place = qr_resolve(token=token)
    located = services.place_of_token(identity=identity, token=token, now=_now())
    language = _language()
    context: dict[str, Any] = {
        "place": place, "token": token, "identity": identity, "masked_phone": mask_phone(identity.phone),
        "families": selectors.category_choices(language=language, public_area="public_area_id" in located),
        "error": "", "values": {}, "duplicates": [], "max_photos": services.MAX_PHOTOS,
    }
    if request.method == "POST":
        values = {k: _form(request, k) for k in ("category_code", "description", "location_detail")}
        context["values"] = values
        context["selected_family"] = next((f["code"] for f in context["families"]
                                           if any(c["code"] == values["category_code"] for c in f["children"])), "")
        choice = _form(request, "choice")
        try:
            if choice.startswith("existing:"):
                order = services.portal_add_to_existing(identity=identity,
                                                        order_id=_form_uuid(choice.removeprefix("existing:"), "choice"),
                                                        description=values["description"],
                                                        photos=_photos_from(request), visit=_visit(request), now=_now())
                return _done(request, order.id)
            duplicates = selectors.open_orders_like(identity=identity, category_code=values["category_code"],
                                                    now=_now(), language=language,
                                                    unit_id=located.get("unit_id"),
                                                    public_area_id=located.get("public_area_id")) \
                if values["category_code"] and choice != "new" else []
            if duplicates:
                if _wants_json(request):
                    return JsonResponse({"code": "open_order_exists", "duplicates": duplicates}, status=409,
                                        json_dumps_params={"ensure_ascii": False})
                context["duplicates"] = duplicates
                return render(request, "owner_portal/report.html", context, status=409)
            result = services.portal_report(identity=identity, token=token, category_code=values["category_code"],
                                            description=values["description"],
                                            location_detail=values["location_detail"],
                                            preferred_slots=_slots_from(request), photos=_photos_from(request),
                                            visit=_visit(request), now=_now(), language=_language())
            return _done(request, result.order.id)
        except NotFound:
            raise
        except AppError as exc:
            if _wants_json(request):
                return _error_json(exc)
            context["error"] = _message_of(exc)
            return render(request, "owner_portal/report.html", context, status=exc.status)
    return render(request, "owner_portal/report.html", context)


def _done(request: HttpRequest, order_id: Any) -> HttpResponse:
    url = reverse("owner_portal:order", args=[order_id])
    if _wants_json(request):
        return JsonResponse({"redirect": url}, status=201)
    return redirect(url)


@require_safe
@portal_limited
@owner_required
def open_orders(request: HttpRequest, identity: OwnerIdentity, token: str) -> HttpResponse:
    located = services.place_of_token(identity=identity, token=token, now=_now())
    found = selectors.open_orders_like(identity=identity, category_code=request.GET.get("category", ""),
                                       unit_id=located.get("unit_id"), public_area_id=located.get("public_area_id"),
                                       now=_now(), language=_language()) if request.GET.get("category") else []
    return JsonResponse({"duplicates": found}, json_dumps_params={"ensure_ascii": False})


# --- following an order


@require_safe
@portal_limited
@owner_required
def orders(request: HttpRequest, identity: OwnerIdentity) -> HttpResponse:
    rows = selectors.portal_orders(identity=identity, now=_now(), language=_language())
    return render(request, "owner_portal/orders.html", {"orders": rows, "identity": identity,
                                                        "masked_phone": mask_phone(identity.phone),
                                                        "handovers": selectors.handovers_of(identity)})


def _order_context(request: HttpRequest, identity: OwnerIdentity, order_id: UUID, **extra: Any) -> dict[str, Any]:
    view = selectors.portal_order_view(identity=identity, order_id=order_id, now=_now(), language=_language())
    aspects = [("timeliness", _("Timeliness")), ("attitude", _("Attitude")), ("quality", _("Quality of the work"))]
    return {**view, "identity": identity, "error": "", "form": "", "rating_aspects": aspects, **extra}


@require_safe
@portal_limited
@owner_required
def order(request: HttpRequest, identity: OwnerIdentity, order_id: UUID) -> HttpResponse:
    return render(request, "owner_portal/order.html", _order_context(request, identity, order_id))


@require_safe
@portal_limited
@owner_required
def order_live(request: HttpRequest, identity: OwnerIdentity, order_id: UUID) -> HttpResponse:
    """The changing part of the tracking page, re-fetched by the page when something happened."""
    return render(request, "owner_portal/_order_live.html", _order_context(request, identity, order_id))


@require_safe
@portal_limited
@owner_required
def order_events(request: HttpRequest, identity: OwnerIdentity, order_id: UUID) -> HttpResponse:
    """``events since <id>``: how the page catches up after a missed WebSocket message, or polls without one."""
    try:
        since = max(0, int(request.GET.get("since", "0")))
    except ValueError:
        since = 0
    data = selectors.portal_events_since(identity=identity, order_id=order_id, since_id=since, now=_now())
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _order_action(run: Callable[[OwnerIdentity, UUID, HttpRequest], Any], form: str) -> Callable[..., HttpResponse]:
    @require_POST
    @portal_limited
    @owner_required
    def action(request: HttpRequest, identity: OwnerIdentity, order_id: UUID) -> HttpResponse:
        try:
            run(identity, order_id, request)
        except NotFound:
            raise
        except AppError as exc:
            if _wants_json(request):
                return _error_json(exc)
            context = _order_context(request, identity, order_id, error=_message_of(exc), form=form)
            return render(request, "owner_portal/order.html", context, status=exc.status)
        if _wants_json(request):
            return JsonResponse({"ok": True})
        return redirect(reverse("owner_portal:order", args=[order_id]) + f"#{form}")

    action.__name__ = f"order_{form}"
    return action


order_message = _order_action(lambda identity, oid, r: owner_services.owner_message_add(
    identity=identity, order_id=oid, body=_form(r, "body"), now=_now()), "message")
order_rate = _order_action(lambda identity, oid, r: owner_services.order_rate(
    identity=identity, order_id=oid, timeliness=_form(r, "timeliness"), attitude=_form(r, "attitude"),
    quality=_form(r, "quality"), comment=_form(r, "comment"), now=_now()), "rate")
order_reopen = _order_action(lambda identity, oid, r: owner_services.order_reopen(
    identity=identity, order_id=oid, reason=_form(r, "reason"), now=_now()), "reopen")
order_cancel = _order_action(lambda identity, oid, r: owner_services.order_owner_cancel(
    identity=identity, order_id=oid, reason=_form(r, "reason"), now=_now()), "cancel")
order_reschedule = _order_action(lambda identity, oid, r: owner_services.order_reschedule_request(
    identity=identity, order_id=oid, slots=_slots_from(r), note=_form(r, "note"), now=_now()), "reschedule")
order_quote = _order_action(lambda identity, oid, r: owner_services.quote_decide(
    identity=identity, order_id=oid, quote_id=_form_uuid(_form(r, "quote_id"), "quote_id"), accept=_form(r, "decision") == "accept",
    reason=_form(r, "reason"), now=_now()), "quote")
order_photos = _order_action(lambda identity, oid, r: services.portal_photos_add(
    identity=identity, order_id=oid, photos=_photos_from(r), now=_now()), "photos")


@require_safe
@portal_limited
@owner_required
def order_photo(request: HttpRequest, identity: OwnerIdentity, order_id: UUID, attachment_id: UUID, size: str = "full") -> HttpResponse:
    row = selectors.portal_attachment(identity=identity, order_id=order_id, attachment_id=attachment_id, now=_now(),
                                      thumbnail=size == "thumb")
    stored = row.thumbnail if size == "thumb" else row.file
    handle = default_storage.open(str(stored.name), "rb")
    response = FileResponse(handle, content_type="image/jpeg" if size == "thumb" else row.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response  # type: ignore[return-value]  # a FileResponse streams; Django treats it as a response


# --- knowledge base


@require_safe
@portal_limited
def kb(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    found = selectors.articles_search(query=query, limit=20) if query else None
    return render(request, "owner_portal/kb.html", {
        "groups": selectors.articles_by_category(language=_language()), "query": query, "found": found,
        "token": request.GET.get("token", "")[:40]})


def _published_article(article_id: UUID, *, with_steps: bool = False) -> Article:
    qs = Article.objects.filter(id=article_id, published=True)
    article = (qs.prefetch_related("steps") if with_steps else qs).first()
    if article is None:
        raise NotFound(details={"object": "article"})
    return article


@require_safe
@portal_limited
def kb_article(request: HttpRequest, article_id: UUID) -> HttpResponse:
    """Reads only: the page itself reports the read with a POST (``kb_article_read``), so that a GET
    (a link preview, a prefetch, a crawler) writes nothing."""
    return render(request, "owner_portal/kb_article.html", {"article": _published_article(article_id, with_steps=True),
                                                            "token": request.GET.get("token", "")[:40]})


@require_POST
@portal_limited(limit="portal_read")  # one per page read: counted with the reads, not against the owner's forms
def kb_article_read(request: HttpRequest, article_id: UUID) -> HttpResponse:
    """Counts a read of the article once per visit (the visit's later report marks it as not self-served)."""
    services.article_view_record(article=_published_article(article_id), visit=_visit(request), now=_now())
    return HttpResponse(status=204)


@require_safe
@portal_limited
def kb_suggest(request: HttpRequest) -> HttpResponse:
    found = selectors.articles_search(query=request.GET.get("q", "")[:200],
                                      category_code=request.GET.get("category", "")[:50], limit=3)
    token = request.GET.get("token", "")[:40]
    suffix = f"?token={token}" if token else ""
    rows = [{"id": str(a.id), "title": a.shown_title, "summary": a.shown_summary,
             "url": reverse("owner_portal:kb_article", args=[a.id]) + suffix} for a in found]
    return JsonResponse({"articles": rows}, json_dumps_params={"ensure_ascii": False})


# --- documents


@require_safe
@portal_limited
@owner_required
def quality_guarantee(request: HttpRequest, identity: OwnerIdentity, unit_id: UUID) -> HttpResponse:
    """The 住宅质量保证书 of a unit the verified owner owns today (else the portal's 404)."""
    from backend.warranty.documents import quality_guarantee_pdf_for_owner

    content = quality_guarantee_pdf_for_owner(owner_id=identity.owner_id, unit_id=unit_id, now=_now())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="quality-guarantee-{unit_id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the handover (交房): the SMS invitation's link


def _handover_context(identity: OwnerIdentity, token: str, **extra: Any) -> dict[str, Any]:
    view = selectors.handover_view(identity=identity, token=token, now=_now(), language=_language())
    return {**view, "token": token, "identity": identity, "masked_phone": mask_phone(identity.phone), "error": "",
            **extra}


@require_safe
@portal_limited
@owner_required
def handover(request: HttpRequest, identity: OwnerIdentity, invite_token: str) -> HttpResponse:
    """The invited buyer picks (or changes) the handover slot; later the inspection and its defects' progress.
    Only the phone the invitation was texted to sees it: anyone else gets the portal's 404 page."""
    return render(request, "owner_portal/handover.html",
                  _handover_context(identity, invite_token, booked=request.GET.get("booked") == "1"))


@require_POST
@portal_limited
@owner_required
def handover_book(request: HttpRequest, identity: OwnerIdentity, invite_token: str) -> HttpResponse:
    from backend.handover.selectors import item_of_invitation
    from backend.handover.services import appointment_book

    item = item_of_invitation(token=invite_token, phone_e164=identity.phone)  # another phone's: 404
    try:
        raw = _form(request, "slot_id")
        if not raw.isdigit():
            raise _field_error("slot_id", _("Choose a time slot."))
        appointment_book(item_id=item.id, slot_id=int(raw), now=_now())
    except NotFound:
        raise
    except AppError as exc:
        if _wants_json(request):
            return _error_json(exc)
        return render(request, "owner_portal/handover.html",
                      _handover_context(identity, invite_token, error=_message_of(exc)), status=exc.status)
    return redirect(reverse("owner_portal:handover", args=[invite_token]) + "?booked=1")
