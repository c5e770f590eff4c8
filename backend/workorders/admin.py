from __future__ import annotations

from typing import Any

from django.contrib import admin

from backend.workorders.models import (
    ApprovalInstance,
    ApprovalPending,
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


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-mostly: states, assignments and clocks change through the services (the API), never here."""

    list_display = ("number", "state", "priority", "category_code", "project", "unit", "technician", "created_at")
    list_filter = ("state", "priority", "channel", "warranty_verdict", "project")
    search_fields = ("number", "description", "contact_name", "contact_phone")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in WorkOrder._meta.fields]
    inlines = [TimelineInline, DeadlineInline, AssignmentInline]
    list_select_related = ("project", "unit", "technician")

    def has_add_permission(self, request: Any) -> bool:
        return False


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


for model in (Comment, PartUsage, LabourLine, Attachment, Assignment, ApprovalPending, SlaClockEvent,
              OrderNumberCounter, RoutingCursor, Notification, OwnerQuote):
    admin.site.register(model, ReadOnlyAdmin)
