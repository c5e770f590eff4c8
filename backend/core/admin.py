from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from backend.core.models import Heartbeat

admin.site.site_header = _("Anxin after-sales administration")
admin.site.site_title = _("Anxin administration")
admin.site.index_title = _("Administration")


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seen_at", "host")
    readonly_fields = ("name", "last_seen_at", "host")
