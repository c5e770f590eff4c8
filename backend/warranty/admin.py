from django.contrib import admin

from backend.warranty.models import OwnerExtension, WarrantyClock


@admin.register(OwnerExtension)
class OwnerExtensionAdmin(admin.ModelAdmin):
    list_display = ("project", "component", "extra_months", "contract_ref")
    list_filter = ("component",)


@admin.register(WarrantyClock)
class WarrantyClockAdmin(admin.ModelAdmin):
    list_display = ("unit", "component", "handover_date", "owner_end", "contractor_end", "decided_end", "chain")
    list_filter = ("component", "chain")
    readonly_fields = ("unit", "component", "handover_date", "owner_end", "contractor_end", "decided_end",
                       "chain", "rule", "params")
