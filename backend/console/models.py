"""The console's own rows: a staff member's saved queue filters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    """A named queue filter of one user: the query string the queue page was opened with."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filter"), max_length=1000)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="uniq_saved_filter_name")]

    def __str__(self) -> str:
        return self.name
