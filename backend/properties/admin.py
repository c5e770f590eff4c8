from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError
from backend.properties import qr
from backend.properties.errors import InvalidIdNumber, InvalidPhone
from backend.properties.identity import hash_id_number, mask_phone, normalize_phone
from backend.properties.models import (
    Building,
    BuildingComponentContractor,
    Contractor,
    Owner,
    Ownership,
    Project,
    PublicArea,
    QrToken,
    Unit,
)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "city", "delivery_date", "sla_calendar", "service_phone", "warranty_region")
    list_filter = ("city", "sla_calendar")
    search_fields = ("code", "name", "city", "address")
    ordering = ("code",)


class BuildingComponentContractorInline(admin.TabularInline):
    model = BuildingComponentContractor
    extra = 0
    autocomplete_fields = ("contractor",)


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_phone")
    search_fields = ("name",)


@admin.register(BuildingComponentContractor)
class BuildingComponentContractorAdmin(admin.ModelAdmin):
    """Who built what, across buildings (a contractor's components, for chargeback); also inline on the building."""

    list_display = ("building", "component", "contractor")
    list_filter = ("component", "contractor")
    list_select_related = ("building__project", "contractor")
    search_fields = ("building__code", "building__name", "contractor__name")
    autocomplete_fields = ("building", "contractor")


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("project", "code", "name", "floors", "completion_acceptance_date", "design_life_years")
    inlines = [BuildingComponentContractorInline]
    list_filter = ("project__city",)
    search_fields = ("code", "name", "project__code", "project__name")
    autocomplete_fields = ("project",)
    list_select_related = ("project",)


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    autocomplete_fields = ("owner", "unit")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("number", "building", "floor", "layout", "area_m2", "use", "handover_status", "handover_date")
    list_filter = ("handover_status", "layout", "building__project__city")
    search_fields = ("number", "building__code", "building__name", "building__project__code", "building__project__name")
    autocomplete_fields = ("building",)
    list_select_related = ("building__project",)
    inlines = [OwnershipInline]
    # Large registries: the exact total of a filtered page is not worth a full count.
    show_full_result_count = False


@admin.register(PublicArea)
class PublicAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "project", "building")
    list_filter = ("project__city",)
    search_fields = ("name", "code", "project__code", "project__name", "building__name")
    autocomplete_fields = ("project", "building")
    list_select_related = ("project", "building")


class OwnerAdminForm(forms.ModelForm):
    """Phones are saved in E.164; an ID number typed here is validated and stored only as its hash."""

    id_number = forms.CharField(
        label=_("ID number"), required=False, strip=True,
        help_text=_("Stored only as a keyed hash. Leave empty to keep the stored one."),
    )

    class Meta:
        model = Owner
        fields = ("name", "phone")

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_id_number(self) -> str:
        raw = self.cleaned_data.get("id_number") or ""
        if not raw:
            return ""
        try:
            return hash_id_number(raw)
        except InvalidIdNumber as exc:
            raise forms.ValidationError(exc.message) from exc

    def save(self, commit: bool = True) -> Owner:
        owner = super().save(commit=False)
        if self.cleaned_data.get("id_number"):
            owner.id_number_hash = self.cleaned_data["id_number"]
        if commit:
            owner.save()
        return owner


@admin.register(Owner)
class OwnerAdmin(admin.ModelAdmin):
    form = OwnerAdminForm
    list_display = ("name", "masked_phone", "has_id_number", "created_at")
    search_fields = ("name", "phone")
    readonly_fields = ("created_at",)
    inlines = [OwnershipInline]
    show_full_result_count = False

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Owner) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("ID number on file"), boolean=True)
    def has_id_number(self, obj: Owner) -> bool:
        return bool(obj.id_number_hash)


@admin.register(Ownership)
class OwnershipAdmin(admin.ModelAdmin):
    list_display = ("owner", "unit", "start_date", "end_date", "is_primary_contact")
    list_filter = ("is_primary_contact",)
    search_fields = ("owner__name", "owner__phone", "unit__number", "unit__building__project__name")
    autocomplete_fields = ("owner", "unit")
    list_select_related = ("owner", "unit__building__project")
    date_hierarchy = "start_date"


class QrStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[QrToken]) -> QuerySet[QrToken]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(QrToken)
class QrTokenAdmin(admin.ModelAdmin):
    list_display = ("short_token", "place", "created_at", "revoked_at", "is_active")
    list_filter = (QrStatusFilter,)
    search_fields = ("token", "unit__number", "unit__building__name", "unit__building__project__name",
                     "public_area__name", "public_area__project__name")
    list_select_related = ("unit__building__project", "public_area__project", "public_area__building")
    readonly_fields = ("token", "unit", "public_area", "created_at", "revoked_at", "url")
    fields = readonly_fields
    actions = ["revoke_selected", "rotate_selected"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued by the label sheets and by rotation, never typed in.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: QrToken | None = None) -> bool:
        # A token is revoked, not deleted: a deleted one would scan as "invalid" instead of "replaced".
        return False

    @admin.display(description=_("token"))
    def short_token(self, obj: QrToken) -> str:
        return f"{obj.token[:8]}…"

    @admin.display(description=_("place"))
    def place(self, obj: QrToken) -> str:
        return str(obj.unit) if obj.unit_id else str(obj.public_area)

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj: QrToken) -> bool:
        return obj.revoked_at is None

    @admin.display(description=_("URL"))
    def url(self, obj: QrToken) -> str:
        return qr.qr_url(obj.token)

    @admin.action(description=_("Revoke the selected QR codes (no replacement)"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[QrToken]) -> None:
        now = timezone.now()
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                qr.qr_token_revoke(actor=request.user, token_id=token.id, now=now)
            except AppError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
                return
            done += 1
        self.message_user(request, _("%(n)s QR code(s) revoked.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Replace the selected QR codes with new ones"))
    def rotate_selected(self, request: HttpRequest, queryset: QuerySet[QrToken]) -> None:
        now = timezone.now()
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                qr.qr_token_rotate(actor=request.user, unit_id=token.unit_id, public_area_id=token.public_area_id,
                                   now=now)
            except AppError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
                return
            done += 1
        self.message_user(request, _("%(n)s QR code(s) replaced: print the new labels.") % {"n": done},
                          messages.SUCCESS)
