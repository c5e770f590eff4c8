"""One resumable photo upload of one device: the declared file, how much of it arrived, and its fate."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import DeviceToken
from backend.workorders.models import Attachment, WorkOrder

# An upload that has not completed this long after it was opened is expired (bytes deleted).
UPLOAD_TTL = timedelta(hours=24)


class UploadSession(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        COMPLETE = "complete", _("complete")
        REJECTED = "rejected", _("rejected")
        EXPIRED = "expired", _("expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device_token = models.ForeignKey(DeviceToken, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("device token"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    client_id = models.CharField(_("client id"), max_length=16)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("work order"))
    size = models.PositiveIntegerField(_("declared size (bytes)"))
    sha256 = models.CharField(_("declared SHA-256"), max_length=64)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    owner_visible = models.BooleanField(_("visible to the owner"))
    received = models.PositiveIntegerField(_("bytes received"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    attachment = models.ForeignKey(Attachment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("attachment"))
    # True when the order already had this content: no new attachment was stored.
    deduplicated = models.BooleanField(_("deduplicated"), default=False)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("upload session")
        verbose_name_plural = _("upload sessions")
        constraints = [
            models.UniqueConstraint(fields=["device_token", "client_id"], name="uniq_upload_per_device_client_id"),
            models.CheckConstraint(condition=Q(received__lte=F("size")), name="upload_received_within_size"),
            models.CheckConstraint(condition=Q(status__in=["open", "complete", "rejected", "expired"]),
                                   name="upload_status_valid"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="upload_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} · {self.received}/{self.size} ({self.status})"

    def expires_at(self) -> datetime:
        return self.created_at + UPLOAD_TTL

    def is_stale(self, now: datetime) -> bool:
        return self.status == self.Status.OPEN and now >= self.expires_at()
