from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from backend.workorders.definitions import active_definitions
from backend.workorders.models import (
    ApprovalInstance,
    ApprovalPending,
    ApprovalStandIn,
    Assignment,
    Attachment,
    Comment,
    GrabOffer,
    LabourLine,
    Notification,
    OrderNumberCounter,
    OwnerQuote,
    PartUsage,
    RoutingCursor,
    SlaAlert,
    SlaClockEvent,
    SlaDeadline,
    TimelineEvent,
    WorkOrder,
)
from backend.workorders.reasons import category_name, routing_explanation_lines, warranty_reason_text
from backend.workorders.selectors import candidate_names


class CategoryFilter(admin.SimpleListFilter):
    """Filters by a category family or category, listed by name in the reader's language."""

    title = _("category")
    parameter_name = "category"
    field_name = "category_code"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        rows: list[tuple[str, str]] = []

        def walk(categories: Any) -> None:  # the tree's order: each family, then its children
            for category in categories:
                rows.append((category.code, category_name(category.code)))
                walk(category.children)

        walk(active_definitions().categories_doc.categories)
        return rows

    def queryset(self, request: Any, queryset: Any) -> Any:
        code = self.value()
        if not code:
            return queryset
        definitions = active_definitions()
        if code not in definitions.category_codes:
            return queryset.none()
        return queryset.filter(**{f"{self.field_name}__in": definitions.codes_within(code)})


@admin.display(description=_("category"), ordering="category_code")
def category_shown(obj: Any) -> str:
    return category_name(obj.category_code)


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ("created_at", "kind", "actor_label", "from_state", "to_state", "note", "owner_visible", "device_at")


class DeadlineInline(ReadOnlyInline):
    model = SlaDeadline
    fields = ("cycle", "target", "policy_code", "deadline_at", "met_at", "status", "breached_at")


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ("started_at", "ended_at", "technician", "team", "method", "reason", "assigned_by")


# Fields shown as what they mean rather than as stored.
_SHOWN_AS = {"category_code": "category_label", "warranty_reason": "warranty_reason_shown",
             "routing_explanation": "routing_explanation_shown"}


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-mostly: states, assignments and clocks change through the services (the API), never here."""

    list_display = ("number", "state", "priority", category_shown, "project", "unit", "technician", "created_at")
    list_filter = ("state", "priority", CategoryFilter, "channel", "warranty_verdict", "project")
    search_fields = ("number", "description", "contact_name", "contact_phone")
    date_hierarchy = "created_at"
    # Codes are shown as what they mean, in the reader's language: the category by name, the
    # warranty reason and the routing explanation rendered from their stored codes and params.
    readonly_fields = [_SHOWN_AS.get(f.name, f.name) for f in WorkOrder._meta.fields
                       if f.name != "warranty_reasoning"]
    exclude = (*_SHOWN_AS, "warranty_reasoning")  # shown above as what they mean; nothing here is editable
    inlines = [TimelineInline, DeadlineInline, AssignmentInline]
    list_select_related = ("project", "unit", "technician")

    def has_add_permission(self, request: Any) -> bool:
        return False

    @admin.display(description=_("category"))
    def category_label(self, obj: WorkOrder) -> str:
        return f"{category_name(obj.category_code)} ({obj.category_code})"

    @admin.display(description=_("warranty reason"))
    def warranty_reason_shown(self, obj: WorkOrder) -> str:
        return warranty_reason_text(reasoning=obj.warranty_reasoning, fallback=obj.warranty_reason)

    @admin.display(description=_("routing explanation"))
    def routing_explanation_shown(self, obj: WorkOrder) -> Any:
        lines = routing_explanation_lines(obj.routing_explanation, names=candidate_names(obj.routing_explanation))
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines)) or "-"


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ("order", "kind", "actor_label", "from_state", "to_state", "created_at")
    list_filter = ("kind",)
    search_fields = ("order__number", "note")


@admin.register(SlaAlert)
class SlaAlertAdmin(ReadOnlyAdmin):
    list_display = ("order", "target", "level", "notify", "due_at", "sent_at")
    list_filter = ("level", "target", "notify")
    search_fields = ("order__number",)


@admin.register(SlaDeadline)
class SlaDeadlineAdmin(ReadOnlyAdmin):
    list_display = ("order", "cycle", "target", "deadline_at", "met_at", "status", "breached_at")
    list_filter = ("target", "status")
    search_fields = ("order__number",)


@admin.register(GrabOffer)
class GrabOfferAdmin(ReadOnlyAdmin):
    list_display = ("order", "team_code", "status", "offered_at", "expires_at", "taken_by")
    list_filter = ("status", "team_code")


@admin.register(ApprovalInstance)
class ApprovalInstanceAdmin(ReadOnlyAdmin):
    list_display = ("order", "amount_yuan", "graph_code", "status", "opened_at", "closed_at")
    list_filter = ("status", "graph_code")
    search_fields = ("order__number",)


@admin.register(ApprovalStandIn)
class ApprovalStandInAdmin(ReadOnlyAdmin):
    """Set by the approvers themselves in the console (审批 → while I am away)."""

    list_display = ("user", "stand_in", "starts_at", "ends_at", "ended_at", "reason")
    search_fields = ("user__username", "stand_in__username")


for model in (Comment, PartUsage, LabourLine, Attachment, Assignment, ApprovalPending, SlaClockEvent,
              OrderNumberCounter, RoutingCursor, Notification, OwnerQuote):
    admin.site.register(model, ReadOnlyAdmin)
