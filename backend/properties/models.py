from __future__ import annotations

import uuid

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.core.models import SyncTracked


def sms_regions_of(value: str) -> list[str]:
    return [code for code in value.upper().replace(",", " ").split() if code]


def sms_regions_validator(value: str) -> None:
    unknown = [code for code in sms_regions_of(value) if code not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ValidationError(_("Unknown region codes: %(codes)s"), params={"codes": " ".join(unknown)},
                              code="unknown_region")


class Project(SyncTracked):
    """A development (楼盘)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    sla_calendar = models.CharField(_("SLA calendar"), max_length=50, default="standard")
    # Region for heating/cooling seasons and regional warranty rules (workflows.warranty.SEASONS keys).
    warranty_region = models.CharField(_("warranty region"), max_length=30, default="default")
    # The customer-service line homeowners are told to call (E.164, may be empty).
    service_phone = models.CharField(_("customer service phone (E.164)"), max_length=20, blank=True, default="")
    # Regions (ISO codes, e.g. "HK MO") whose mobile numbers may receive this project's verification
    # codes beyond the deployment's SMS_ALLOWED_REGIONS: a project sold to Hong Kong buyers allows HK.
    sms_extra_regions = models.CharField(
        _("extra SMS regions"), max_length=60, blank=True, default="", validators=[sms_regions_validator],
        help_text=_("ISO region codes separated by spaces, e.g. HK MO: mobile numbers of these regions may "
                    "receive this project's verification codes."))

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="project_latitude_range"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180), name="project_longitude_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋) of a project."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("project"))
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    floors = models.PositiveSmallIntegerField(_("floors"))
    # 竣工验收合格之日: the contractor's warranty chain starts here; empty → warranty "unknown".
    completion_acceptance_date = models.DateField(_("completion acceptance date"), null=True, blank=True)
    design_life_years = models.PositiveSmallIntegerField(_("design life (years)"), default=50)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["project__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="uniq_building_code"),
            models.CheckConstraint(condition=Q(floors__gte=1), name="building_floors_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} {self.name}"


class HandoverStatus(models.TextChoices):
    NOT_DELIVERED = "not_delivered", _("Not delivered")
    SCHEDULED = "scheduled", _("Handover scheduled")
    DELIVERED = "delivered", _("Delivered")


class UnitUse(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    SHOP = "shop", _("Shop")
    OFFICE = "office", _("Office")
    PARKING = "parking", _("Parking")


class Unit(SyncTracked):
    """A unit (房号) in a building."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("building"))
    number = models.CharField(_("unit number"), max_length=30)
    floor = models.SmallIntegerField(_("floor"))
    layout = models.CharField(_("layout"), max_length=50, blank=True)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True)
    handover_status = models.CharField(
        _("handover status"), max_length=20, choices=HandoverStatus.choices, default=HandoverStatus.NOT_DELIVERED
    )
    handover_date = models.DateField(_("handover date"), null=True, blank=True)
    use = models.CharField(_("use"), max_length=20, choices=UnitUse.choices, default=UnitUse.RESIDENTIAL)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building__code", "floor", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="uniq_unit_number"),
            models.CheckConstraint(condition=Q(handover_status__in=HandoverStatus.values), name="unit_handover_status_valid"),
            models.CheckConstraint(condition=Q(area_m2__isnull=True) | Q(area_m2__gt=0), name="unit_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.number}"


class PublicArea(models.Model):
    """A shared place: lobby, lift, garage level B2 ... of a project, optionally of one building."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="public_areas",
                                verbose_name=_("project"))
    building = models.ForeignKey(Building, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="public_areas", verbose_name=_("building"))
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("public area")
        verbose_name_plural = _("public areas")
        ordering = ["project__code", "code"]
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="uniq_public_area_code")]

    def __str__(self) -> str:
        return f"{self.project.name} {self.name}"


class Owner(models.Model):
    """A homeowner (业主). The phone is stored in E.164; the national ID only as a keyed hash."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone (E.164)"), max_length=20, unique=True)
    id_number_hash = models.CharField(_("ID number (keyed hash)"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")

    def __str__(self) -> str:
        return self.name


class Ownership(models.Model):
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("owner"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("unit"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)
    is_primary_contact = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        constraints = [
            models.UniqueConstraint(fields=["owner", "unit", "start_date"], name="uniq_ownership"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="ownership_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.unit}"


class QrToken(models.Model):
    """The token printed in a QR code for one unit or one public area. Rotating revokes the old one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.CharField(_("token"), max_length=64, unique=True)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, null=True, blank=True, related_name="qr_tokens",
                             verbose_name=_("unit"))
    public_area = models.ForeignKey(PublicArea, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="qr_tokens", verbose_name=_("public area"))
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("QR token")
        verbose_name_plural = _("QR tokens")
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(public_area__isnull=True))
                | (Q(unit__isnull=True) & Q(public_area__isnull=False)),
                name="qr_token_exactly_one_place",
            ),
            models.UniqueConstraint(fields=["unit"], condition=Q(revoked_at__isnull=True, unit__isnull=False),
                                    name="one_active_qr_per_unit"),
            models.UniqueConstraint(fields=["public_area"],
                                    condition=Q(revoked_at__isnull=True, public_area__isnull=False),
                                    name="one_active_qr_per_public_area"),
        ]

    def __str__(self) -> str:
        return f"QR {self.token[:8]}…"


class Contractor(models.Model):
    """A contractor or supplier (承包单位/供应商) that owes the developer warranty on its work."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True, default="")

    class Meta:
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BuildingComponentContractor(models.Model):
    """Who built a component (workflows.warranty.COMPONENTS code) of a building."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="component_contractors",
                                 verbose_name=_("building"))
    component = models.CharField(_("component"), max_length=40)
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="components",
                                   verbose_name=_("contractor"))

    class Meta:
        verbose_name = _("building component contractor")
        verbose_name_plural = _("building component contractors")
        constraints = [models.UniqueConstraint(fields=["building", "component"], name="uniq_building_component")]

    def __str__(self) -> str:
        return f"{self.building} {self.component}: {self.contractor}"
