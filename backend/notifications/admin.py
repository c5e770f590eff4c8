from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from backend.notifications import services
from backend.notifications.models import Delivery, RobotChannel, WebhookEndpoint
from backend.properties.identity import mask_phone


def _show_secret_once(request: HttpRequest, name: str, secret: str) -> None:
    messages.warning(request, _('Signing secret of "%(name)s": %(secret)s. Copy it now: it is not shown again.')
                     % {"name": name, "secret": secret})


URL_FIELDS: dict[type[models.Field], dict[str, Any]] = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("name", "url", "event_types", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "url")
    fields = ("name", "url", "event_types", "active", "secret_hint", "created_at")
    readonly_fields = ("secret_hint", "created_at")
    actions = ["rotate_secret"]

    @admin.display(description=_("signing secret"))
    def secret_hint(self, obj: WebhookEndpoint) -> str:
        if not obj.pk:
            return str(_("Generated when you save; shown once."))
        return f"{obj.secret[:4]}…"

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        if not change:
            _show_secret_once(request, obj.name, obj.secret)

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            secret = services.webhook_endpoint_rotate_secret(endpoint_id=endpoint.pk)
            _show_secret_once(request, endpoint.name, secret)


@admin.register(RobotChannel)
class RobotChannelAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("name", "kind", "event_types", "active", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    fields = ("kind", "name", "webhook_url", "secret", "event_types", "active", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only; failed or dead deliveries can be sent again."""

    list_display = ("created_at", "event_type", "target_kind", "target", "status", "attempts", "last_status_code",
                    "next_attempt_at", "sent_at")
    list_filter = ("status", "target_kind", "event_type")
    search_fields = ("=id", "idempotency_key", "target_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["redrive"]

    @admin.display(description=_("target"))
    def target(self, obj: Delivery) -> str:
        return mask_phone(obj.target_id) if obj.target_kind == Delivery.TargetKind.SMS else obj.target_id

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send again now (a new series of attempts)"), permissions=["change"])
    def redrive(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.delivery_redrive(delivery_ids=list(queryset.values_list("id", flat=True)), now=timezone.now())
        self.message_user(request, ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.",
                                            count) % {"count": count})
