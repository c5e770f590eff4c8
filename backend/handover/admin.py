"""Admin for the handover settings an administrator edits: checklists per unit type, first service tasks."""

from __future__ import annotations

from django.contrib import admin

from backend.handover.models import Batch, ChecklistTemplate, FirstTaskRule


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("project", "layout")
    list_filter = ("project",)


@admin.register(FirstTaskRule)
class FirstTaskRuleAdmin(admin.ModelAdmin):
    list_display = ("project", "kind", "days_after")
    list_filter = ("project",)


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "building", "start_date", "end_date")
    list_filter = ("project",)
    readonly_fields = ("created_by", "created_at")
