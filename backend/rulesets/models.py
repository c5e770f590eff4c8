"""Published rule sets (immutable, numbered) and drafts an administrator is working on.

A published version is never updated: the services only insert rows, and rolling back publishes
an earlier version's sources again under a new number. The version in force is the one with the
highest number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleVersion(models.Model):
    number = models.PositiveIntegerField(_("version"), unique=True)
    # The engine's SHA-256 of the validated content (``DefinitionSet.version``): what orders store.
    content_hash = models.CharField(_("content hash"), max_length=64, db_index=True)
    sources = models.JSONField(_("definition files"))  # {"routing.yaml": "...", ...}
    note = models.TextField(_("note"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"))
    restored_from = models.ForeignKey("self", verbose_name=_("restored from"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    recomputed_open_orders = models.PositiveIntegerField(_("open orders recomputed"), default=0)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("rule version")
        constraints = [
            models.CheckConstraint(condition=models.Q(number__gte=1), name="rule_version_number_positive"),
            models.CheckConstraint(condition=~models.Q(content_hash=""), name="rule_version_hash_present"),
        ]

    def __str__(self) -> str:
        return f"v{self.number} ({self.content_hash[:12]})"


class RuleDraft(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Draft")
        PUBLISHED = "published", _("Published")
        DISCARDED = "discarded", _("Discarded")

    sources = models.JSONField(_("definition files"))
    base = models.ForeignKey(RuleVersion, verbose_name=_("based on"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="drafts")
    title = models.CharField(_("title"), max_length=120, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    published_as = models.ForeignKey(RuleVersion, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("rule draft")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["open", "published", "discarded"]),
                                   name="rule_draft_status_valid"),
            models.CheckConstraint(condition=~models.Q(status="published") | models.Q(published_as__isnull=False),
                                   name="rule_draft_published_has_version"),
        ]

    def __str__(self) -> str:
        return self.title or f"draft {self.pk}"
