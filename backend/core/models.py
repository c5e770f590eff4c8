from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time a periodic process proved it is alive (one row per process kind)."""

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    last_seen_at = models.DateTimeField(_("last seen at"))
    host = models.CharField(_("host"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
