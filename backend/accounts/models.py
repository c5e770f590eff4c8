from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.accounts.roles import Role
from backend.core.models import SyncTracked


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.display_name or self.username


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_rows", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="uniq_user_role"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Routing rules in workflows/definitions name teams by this code.
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    supervisor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="supervised_teams",
        verbose_name=_("supervisor"),
    )
    members = models.ManyToManyField(User, blank=True, related_name="teams", verbose_name=_("members"))
    projects = models.ManyToManyField(
        "properties.Project", blank=True, related_name="teams", verbose_name=_("projects served")
    )
    category_codes = models.JSONField(_("categories served"), default=list, blank=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TechnicianProfile(SyncTracked):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="technician_profile",
                                verbose_name=_("user"))
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True)
    # Shown to the homeowner once the technician is assigned (the portal falls back to initials).
    photo = models.ImageField(_("photo"), upload_to="technicians/", blank=True)
    # {"plumbing": 3, "electrical": 2}: skill code -> level 1..5
    skills = models.JSONField(_("skills"), default=dict, blank=True)
    base_latitude = models.DecimalField(_("base latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    base_longitude = models.DecimalField(_("base longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    last_latitude = models.DecimalField(_("last latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    last_longitude = models.DecimalField(_("last longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    last_position_at = models.DateTimeField(_("last position at"), null=True, blank=True)
    on_duty = models.BooleanField(_("on duty"), default=False)

    class Meta:
        verbose_name = _("technician profile")
        verbose_name_plural = _("technician profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_latitude__isnull=True) | Q(last_latitude__gte=-90, last_latitude__lte=90),
                name="tech_last_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(last_longitude__isnull=True) | Q(last_longitude__gte=-180, last_longitude__lte=180),
                name="tech_last_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class DeviceToken(models.Model):
    """An API token for one device. Only its SHA-256 is stored; the token is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="device_tokens", verbose_name=_("user"))
    name = models.CharField(_("device name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device token")
        verbose_name_plural = _("device tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], condition=Q(revoked_at__isnull=True), name="one_active_token_per_device"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
