from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class WarrantyClock(models.Model):
    """One component's warranty ends for a unit, started at handover (workflows.warranty.decide)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey("properties.Unit", on_delete=models.CASCADE, related_name="warranty_clocks",
                             verbose_name=_("unit"))
    component = models.CharField(_("component"), max_length=40)
    handover_date = models.DateField(_("handover date"))
    owner_end = models.DateField(_("owner chain end"), null=True, blank=True)
    contractor_end = models.DateField(_("contractor chain end"), null=True, blank=True)
    decided_end = models.DateField(_("decided end"), null=True, blank=True)
    chain = models.CharField(_("deciding chain"), max_length=20)
    rule = models.CharField(_("rule"), max_length=60)
    params = models.JSONField(_("params"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("warranty clock")
        verbose_name_plural = _("warranty clocks")
        constraints = [models.UniqueConstraint(fields=["unit", "component"], name="uniq_warranty_clock")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.component} → {self.decided_end}"


class OwnerExtension(models.Model):
    """A developer's contractual extension of the owner's period for a project (months added)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey("properties.Project", on_delete=models.CASCADE, related_name="warranty_extensions",
                                verbose_name=_("project"))
    component = models.CharField(_("component"), max_length=40)
    extra_months = models.PositiveSmallIntegerField(_("extra months"))
    contract_ref = models.CharField(_("contract reference"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("warranty extension")
        verbose_name_plural = _("warranty extensions")
        constraints = [models.UniqueConstraint(fields=["project", "component"], name="uniq_warranty_extension")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.component} +{self.extra_months}m"
