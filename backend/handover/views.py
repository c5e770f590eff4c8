"""The handover officer's pages, in the staff layout: batches, slots, the day's schedule and the
inspection page (a tablet or a phone at the owner's side). Each view parses, calls one service or
selector and renders; a refusal is the domain's error in the reader's language with its 4xx status,
shown on the page it came from, and nothing changed."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.console.access import HANDOVER_PAGE_ROLES, HANDOVER_WRITERS
from backend.console.views import StaffRequest, console_view
from backend.core.dates import business_date, instant_in_window
from backend.core.errors import AppError, ValidationFailed
from backend.handover import selectors, services
from backend.handover.models import ItemStatus, KeyKind, Meter
from backend.properties.models import Building, Project

DOCUMENTS = (("quality_guarantee", gettext_lazy("Residential quality guarantee")),
             ("user_manual", gettext_lazy("Residential user manual")))


def _field(name: str, reason: str) -> ValidationFailed:
    return ValidationFailed(details={"errors": [{"field": name, "reason": reason}]})


def _uuid(raw: Any, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw or ""))
    except ValueError:
        raise _field(name, _("Choose one from the list.")) from None


def _day(raw: str | None, name: str) -> date:
    try:
        value = parse_date(raw or "")
    except ValueError:
        value = None
    if value is None or not 2000 <= value.year <= 2100:
        raise _field(name, _("Enter a valid date."))
    return value


def _int(raw: Any, name: str, *, low: int = 0, high: int = 10_000) -> int:
    try:
        value = int(str(raw).strip() or "0")
    except ValueError:
        raise _field(name, _("Enter a whole number.")) from None
    if not low <= value <= high:
        raise _field(name, _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return value


def _may_write(request: StaffRequest) -> bool:
    from backend.accounts.access import has_role

    return has_role(request.user, *HANDOVER_WRITERS)


def _categories() -> list[tuple[str, str]]:
    """The leaf categories of the work-order tree, in the reader's language ("family / kind")."""
    from backend.workorders.definitions import active_definitions

    english = (get_language() or "").startswith("en")
    rows: list[tuple[str, str]] = []

    def walk(cats: Any, prefix: str) -> None:
        for c in cats:
            label = f"{prefix}{(c.name_en or c.name) if english else c.name}"
            if c.children:
                walk(c.children, f"{label} / ")
            else:
                rows.append((c.code, label))
    walk(active_definitions().categories_doc.categories, "")
    return rows


# --- batches ---------------------------------------------------------------------------------------


def _batches_context(request: StaffRequest, **extra: Any) -> dict[str, Any]:
    return {"page": "handover", "rows": selectors.batches_list(actor=request.user),
            "projects": list(Project.objects.order_by("code")),
            "buildings": list(Building.objects.select_related("project").order_by("project__code", "code")),
            "may_write": _may_write(request), "values": request.POST, "error": None, **extra}


@require_GET
@console_view(HANDOVER_PAGE_ROLES)
def batches(request: StaffRequest) -> HttpResponse:
    return render(request, "handover/batches.html", _batches_context(request))


@require_POST
@console_view(HANDOVER_WRITERS)
def batch_new(request: StaffRequest) -> HttpResponse:
    """A batch of one building, its units taken at once from the CRM's ready-for-handover list if asked."""
    post, now = request.POST, timezone.now()
    try:
        building = Building.objects.filter(id=_uuid(post.get("building_id"), "building_id")).first()
        if building is None:
            raise _field("building_id", _("Choose one from the list."))
        batch = services.batch_create(actor=request.user, project_id=building.project_id, building_id=building.id,
                                      name=post.get("name", ""), start_date=_day(post.get("start_date"), "start_date"),
                                      end_date=_day(post.get("end_date"), "end_date"), now=now)
    except AppError as error:
        return _error_on(request, "handover/batches.html", _batches_context(request), error)
    if post.get("from_crm") == "on":
        services.batch_add_from_crm(actor=request.user, batch_id=batch.id, now=now)
    return redirect("handover:batch", batch_id=batch.id)


def _error_on(request: StaffRequest, template: str, context: dict[str, Any], error: AppError) -> HttpResponse:
    """The page the form came from, with the refusal in the reader's language and its status."""
    errors = error.details.get("errors", []) if isinstance(error.details, dict) else []
    context.update({"error": {"code": error.code, "message": str(error.message),
                              "reasons": [_where(e) + _(str(e.get("reason", ""))) for e in errors]}})
    return render(request, template, context, status=error.status)


def _where(error: dict[str, Any]) -> str:
    """An import's error names its row and column, as the file's reader counts them."""
    parts = []
    if error.get("row"):
        parts.append(_("Row %(row)s") % {"row": error["row"]})
    if error.get("column"):
        parts.append(str(error["column"]))
    return " · ".join(parts) + ": " if parts else ""


def _batch_context(request: StaffRequest, batch_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    batch = selectors.batch_get(actor=request.user, batch_id=batch_id)
    return {"page": "handover", "batch": batch, "items": selectors.batch_items(batch=batch),
            "slots": selectors.batch_slots(batch=batch), "may_write": _may_write(request), "error": None,
            "statuses": ItemStatus.choices, "flash": request.GET.get("done", ""), "values": request.POST, **extra}


@require_GET
@console_view(HANDOVER_PAGE_ROLES)
def batch(request: StaffRequest, batch_id: uuid.UUID) -> HttpResponse:
    return render(request, "handover/batch.html", _batch_context(request, batch_id))


def _batch_action(run: Callable[[StaffRequest, uuid.UUID], Any], done: str) -> Callable[..., HttpResponse]:
    @require_POST
    @console_view(HANDOVER_WRITERS)
    def action(request: StaffRequest, batch_id: uuid.UUID) -> HttpResponse:
        selectors.batch_get(actor=request.user, batch_id=batch_id)  # an unknown batch: 404
        try:
            run(request, batch_id)
        except AppError as error:
            return _error_on(request, "handover/batch.html", _batch_context(request, batch_id), error)
        return redirect(reverse("handover:batch", args=[batch_id]) + f"?done={done}")
    action.__name__ = f"batch_{done}"
    return action


def _slot_add(request: StaffRequest, batch_id: uuid.UUID) -> Any:
    raw = request.POST.get("starts_at", "")
    try:
        starts_at = parse_datetime(raw)
    except ValueError:
        starts_at = None
    if starts_at is None:
        raise _field("starts_at", _("Enter a valid date and time."))
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at, timezone.get_current_timezone())
    if not instant_in_window(starts_at):
        raise _field("starts_at", _("Enter a valid date and time."))
    return services.slot_add(actor=request.user, batch_id=batch_id, starts_at=starts_at,
                             minutes=_int(request.POST.get("minutes", "60"), "minutes", low=1, high=600),
                             capacity=_int(request.POST.get("capacity", "1"), "capacity", low=1, high=500))


batch_from_crm = _batch_action(lambda r, b: services.batch_add_from_crm(actor=r.user, batch_id=b, now=timezone.now()),
                               "from_crm")
batch_invite = _batch_action(lambda r, b: services.invitations_send(actor=r.user, batch_id=b, now=timezone.now()),
                             "invited")
batch_slot = _batch_action(_slot_add, "slot")

IMPORT_MAX_BYTES = 5 * 1024 * 1024  # a batch of a few hundred units is a few kB


def _import_file(request: StaffRequest, batch_id: uuid.UUID) -> Any:
    """An XLSX or CSV of units and buyers, for developers without the CRM: every row or none."""
    from backend.handover.imports import batch_import_file

    upload = request.FILES.get("file")
    if upload is None:
        raise _field("file", _("Choose an XLSX or CSV file."))
    if upload.size is None or upload.size > IMPORT_MAX_BYTES:
        raise _field("file", _("The file is larger than 5 MB."))
    return batch_import_file(actor=request.user, batch_id=batch_id, filename=upload.name or "",
                             content=upload.read(), now=timezone.now())


batch_import = _batch_action(_import_file, "imported")


# --- the day's schedule ----------------------------------------------------------------------------


@require_GET
@console_view(HANDOVER_PAGE_ROLES)
def schedule(request: StaffRequest) -> HttpResponse:
    today = business_date(timezone.now())
    raw = request.GET.get("day")
    try:
        day = _day(raw, "day") if raw else today
    except ValidationFailed:
        day = today
    rows = selectors.day_schedule(actor=request.user, day=day)
    return render(request, "handover/schedule.html", {"page": "handover_schedule", "rows": rows, "day": day,
                                                      "previous": day - timedelta(days=1),
                                                      "next": day + timedelta(days=1), "today": today})


# --- one unit: the inspection page -----------------------------------------------------------------


def _item_context(request: StaffRequest, item_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    data = selectors.item_workspace(actor=request.user, item_id=item_id)
    from backend.properties.qr import qr_url

    return {**data, "page": "handover", "may_write": _may_write(request), "error": None,
            "categories": _categories(), "key_kinds": KeyKind.choices, "meters": Meter.choices,
            "documents": [(code, str(label)) for code, label in DOCUMENTS],
            "refusal_reasons": _refusal_reasons(), "flash": request.GET.get("done", ""),
            "qr_link": qr_url(data["qr"].token) if data["qr"] else "", "values": request.POST, **extra}


def _refusal_reasons() -> list[tuple[str, str]]:
    labels = {"defects": _("Defects to be repaired first"), "area_dispute": _("Dispute over the floor area"),
              "documents_missing": _("Documents missing"), "other": _("Other")}
    return [(code, labels[code]) for code in services.REFUSAL_REASONS]


@require_GET
@console_view(HANDOVER_PAGE_ROLES)
def item(request: StaffRequest, item_id: uuid.UUID) -> HttpResponse:
    return render(request, "handover/item.html", _item_context(request, item_id))


def _item_action(run: Callable[[StaffRequest, Any], Any], done: str) -> Callable[..., HttpResponse]:
    @require_POST
    @console_view(HANDOVER_WRITERS)
    def action(request: StaffRequest, item_id: uuid.UUID) -> HttpResponse:
        found = selectors.item_get(actor=request.user, item_id=item_id)  # an unknown unit: 404
        try:
            run(request, found)
        except AppError as error:
            if request.htmx:
                raise
            return _error_on(request, "handover/item.html", _item_context(request, item_id), error)
        return redirect(reverse("handover:item", args=[item_id]) + f"?done={done}#{done}")
    action.__name__ = f"item_{done}"
    return action


def _start(request: StaffRequest, found: Any) -> Any:
    return services.inspection_start(actor=request.user, item_id=found.id, now=timezone.now())


@require_POST
@console_view(HANDOVER_WRITERS)
def line_ok(request: StaffRequest, item_id: uuid.UUID, line_id: int) -> HttpResponse:
    """A checklist line found in order (htmx: the line's row comes back)."""
    found = selectors.item_get(actor=request.user, item_id=item_id)
    line = selectors.line_of_item(item=found, line_id=line_id)
    services.inspection_line_ok(actor=request.user, line_id=line.id)
    line.refresh_from_db()
    if request.htmx:
        return render(request, "handover/_line.html", {"line": line, "item": found, "may_write": True,
                                                       "inspection": found.inspection})
    return redirect(reverse("handover:item", args=[item_id]) + "#checklist")


def _photos(request: StaffRequest) -> list[bytes]:
    files = request.FILES.getlist("photos")
    if len(files) > 9:
        raise _field("photos", _("At most 9 photos."))
    return [f.read() for f in files]


def _defect(request: StaffRequest, found: Any) -> Any:
    post = request.POST
    category = post.get("category_code", "")
    if category not in {code for code, _label in _categories()}:
        raise _field("category_code", _("Choose the kind of defect."))
    description = (post.get("description") or "").strip()
    if not description:
        raise _field("description", _("Describe the defect."))
    line_id = _int(post.get("line_id") or "0", "line_id", high=2**31 - 1) or None
    if line_id is not None:
        selectors.line_of_item(item=found, line_id=line_id)
    return services.defect_report(actor=request.user, item_id=found.id, category_code=category,
                                  description=description[:2000], line_id=line_id, photos=_photos(request),
                                  now=timezone.now())


def _sign(request: StaffRequest, found: Any) -> Any:
    raw = request.POST.get("signature", "")
    prefix = "data:image/png;base64,"
    upload = request.FILES.get("signature_file")
    if upload is not None:
        data = upload.read()
    elif raw.startswith(prefix):
        try:
            data = base64.b64decode(raw.removeprefix(prefix), validate=True)
        except (binascii.Error, ValueError):
            data = b""
    else:
        data = b""
    if not data:
        raise _field("signature", _("The owner signs in the box first."))
    return services.inspection_sign(actor=request.user, item_id=found.id, signature_png=data, now=timezone.now())


def _keys(request: StaffRequest, found: Any) -> Any:
    post = request.POST
    keys = {kind: _int(post.get(f"key_{kind}", "0"), f"key_{kind}", high=99) for kind in KeyKind.values}
    readings = {meter: post.get(f"reading_{meter}", "").strip() for meter in Meter.values
                if post.get(f"reading_{meter}", "").strip()}
    photos = {meter: f.read() for meter in Meter.values if (f := request.FILES.get(f"photo_{meter}")) is not None}
    if photos:
        from backend.workorders.records.photos import clean_upload

        photos = {meter: clean_upload(data).content for meter, data in photos.items()}
    documents = [code for code in request.POST.getlist("documents") if code in dict(DOCUMENTS)]
    return services.keys_and_readings_record(actor=request.user, item_id=found.id, keys=keys, readings=readings,
                                             documents=documents, photos=photos or None)


def _complete(request: StaffRequest, found: Any) -> Any:
    return services.handover_complete(actor=request.user, item_id=found.id, now=timezone.now())


def _refuse(request: StaffRequest, found: Any) -> Any:
    return services.handover_refuse(actor=request.user, item_id=found.id, reasons=request.POST.getlist("reasons"),
                                    note=request.POST.get("note", ""), now=timezone.now())


item_start = _item_action(_start, "started")
item_defect = _item_action(_defect, "defect")
item_sign = _item_action(_sign, "signed")
item_keys = _item_action(_keys, "keys")
item_complete = _item_action(_complete, "completed")
item_refuse = _item_action(_refuse, "refused")
