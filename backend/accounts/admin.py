from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import DeviceToken, Team, TechnicianProfile, User, UserRole
from backend.accounts.views import RateLimitedAdminAuthenticationForm

# /admin/login/ is limited like /accounts/login/: per address and per username.
admin.site.login_form = RateLimitedAdminAuthenticationForm


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [UserRoleInline]
    list_display = ("username", "display_name", "phone", "is_active", "is_staff")
    search_fields = ("username", "display_name", "phone")
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), (_("Anxin"), {"fields": ("display_name", "phone")}))


@admin.register(UserRole)
class UserRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__display_name")
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "supervisor")
    search_fields = ("code", "name")
    filter_horizontal = ("members", "projects")
    autocomplete_fields = ("supervisor",)


@admin.register(TechnicianProfile)
class TechnicianProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "employee_no", "on_duty", "last_position_at")
    list_filter = ("on_duty",)
    search_fields = ("user__username", "user__display_name", "employee_no")
    autocomplete_fields = ("user",)


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
    exclude = ()

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        # Tokens are issued through the API so that the raw value is shown once to its device.
        return False
