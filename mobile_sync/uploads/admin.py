"""Read-only view of upload sessions, for support staff answering "my photo never arrived"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from mobile_sync.uploads.models import UploadSession


@admin.register(UploadSession)
class UploadSessionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("client_id", "order", "user", "status", "received", "size", "reason", "created_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("client_id", "order__number", "sha256", "user__username")
    list_select_related = ("order", "user")
    raw_id_fields = ("device_token", "user", "order", "attachment")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
