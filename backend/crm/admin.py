"""Administrators configure the sales office here: pool rules per project, seats, partners and their
commission rules, marketing codes, units on sale. Customers are written through the services (pages and
API), so the admin shows them read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backend.crm.models import (
    ChannelPartner,
    Customer,
    MarketingCode,
    PoolSettings,
    ReferralCode,
    Seat,
    UnitSale,
)
from backend.properties.identity import mask_phone


@admin.register(PoolSettings)
class PoolSettingsAdmin(admin.ModelAdmin):
    list_display = ("project", "max_customers", "warn_days", "protection_hours", "cooldown_days", "daily_claim_cap",
                    "idle_minutes", "grab_seconds", "handover_paid_percent")
    autocomplete_fields = ("project",)
    exclude = ("round_robin_cursor",)


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ("user", "project", "is_manager", "on_duty", "team")
    list_filter = ("is_manager", "on_duty", "project")
    autocomplete_fields = ("project",)
    raw_id_fields = ("user",)


@admin.register(ChannelPartner)
class ChannelPartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "protection_days")
    autocomplete_fields = ("project",)


@admin.register(MarketingCode)
class MarketingCodeAdmin(admin.ModelAdmin):
    list_display = ("campaign", "token", "project", "partner", "consultant", "cost_fen", "created_at")
    autocomplete_fields = ("project",)
    raw_id_fields = ("consultant", "partner")


@admin.register(ReferralCode)
class ReferralCodeAdmin(admin.ModelAdmin):
    """老带新 codes are given on the customer's page; the admin lists them (the reward rule is on the pool
    settings)."""

    list_display = ("code", "referrer", "project", "created_at")
    search_fields = ("code",)
    fields = ("code", "referrer", "project", "created_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(UnitSale)
class UnitSaleAdmin(admin.ModelAdmin):
    list_display = ("unit", "status", "list_price_fen", "updated_at")
    list_filter = ("status",)
    raw_id_fields = ("unit",)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "masked_phone", "project", "stage", "holder", "recycle_due_at")
    list_filter = ("stage", "project")
    search_fields = ("name",)
    fields = ("name", "project", "stage", "holder", "last_activity_at", "recycle_due_at", "merged_into")
    readonly_fields = fields

    @admin.display(description="phone")
    def masked_phone(self, obj: Customer) -> str:
        return mask_phone(obj.phone)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
