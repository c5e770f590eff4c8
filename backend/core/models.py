from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.core.ids import new_sync_id


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


class SyncTracked(models.Model):
    """A row offline devices hold: the 16-character id they know it by, and the stamp of the transaction
    that last wrote it (set by a database trigger, see mobile_sync/migrations), from which pulls are computed."""

    sync_id = models.CharField(_("sync id"), max_length=16, unique=True, default=new_sync_id, editable=False)
    sync_stamp = models.BigIntegerField(_("sync stamp"), default=0, editable=False, db_index=True)

    class Meta:
        abstract = True
